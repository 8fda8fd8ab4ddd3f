"""The served OpenAPI document is generated from the routes; this fails when someone forgets `make openapi`."""

from devtools import openapi


def test_the_committed_openapi_document_matches_the_routes():
    assert openapi.DOCUMENT.read_text() == openapi.render(), "run `make openapi` and commit the result"


def test_every_operation_documents_the_error_envelope_and_protected_ones_the_bearer_scheme():
    document = openapi.build()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {"4XX", "5XX"} <= set(operation["responses"]), (method, path)
    assert document["paths"]["/auth"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in document["paths"]["/health"]["get"]
