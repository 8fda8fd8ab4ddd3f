"""The served OpenAPI document is generated from the routes; this fails when someone forgets `make openapi`."""

from devtools import openapi
from library_common.envelope import MAX_ID


def test_the_committed_openapi_document_matches_the_routes():
    assert openapi.DOCUMENT.read_text() == openapi.render(), "run `make openapi` and commit the result"


def test_every_operation_documents_the_error_envelope_and_protected_ones_the_bearer_scheme():
    document = openapi.build()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {"4XX", "5XX"} <= set(operation["responses"]), (method, path)
    assert document["paths"]["/auth"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in document["paths"]["/health"]["get"]


def _integer_schemas(node, where=""):
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            yield from _integer_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integer_schemas(value, f"{where}/{index}")


def test_integer_bounds_are_exact_integers_so_the_largest_id_documented_is_accepted():
    for where, schema in _integer_schemas(openapi.build()):
        for bound in ("maximum", "minimum"):
            assert not isinstance(schema.get(bound), float), (where, schema)
            assert schema.get(bound, 0) <= MAX_ID, where


def test_every_id_in_a_path_or_an_id_filter_has_the_bigint_upper_bound():
    for path, operations in openapi.build()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if parameter["in"] == "path" or name.endswith("_id"):
                    schema = parameter["schema"]
                    integer = next((s for s in schema.get("anyOf", [schema]) if s.get("type") == "integer"), None)
                    if integer is not None:
                        assert integer.get("maximum") == MAX_ID, (method, path, name)


def test_post_loans_documents_its_201():
    assert "201" in openapi.build()["paths"]["/loans"]["post"]["responses"]


def test_patch_fields_that_refuse_null_are_not_documented_as_nullable():
    schemas = openapi.build()["components"]["schemas"]
    for model, fields in (
        ("BookPatch", ("title", "author", "quantity")),
        ("PolicyChange", tuple(schemas["PolicyChange"]["properties"])),
    ):
        for field in fields:
            variants = schemas[model]["properties"][field].get("anyOf", [])
            assert {"type": "null"} not in variants, (model, field)
