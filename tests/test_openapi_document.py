"""The served OpenAPI document is generated from the routes; this fails when someone forgets `make openapi`."""

import schemathesis
from schemathesis.specs.openapi.stateful import collect_transitions

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


def _resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _field(document, schema, pointer):
    """The schema of the field a `$response.body#/a/b` expression names, or None."""
    for name in pointer.strip("/").split("/"):
        schema = _resolve(document, schema)
        schema = schema.get("items") if name.isdigit() else schema.get("properties", {}).get(name)
        if schema is None:
            return None
    return _resolve(document, schema)


def _operations_by_id(document):
    return {
        operation["operationId"]: (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def test_every_link_names_an_operation_its_inputs_and_a_field_of_the_answer_it_starts_from():
    document = openapi.build()
    by_id = _operations_by_id(document)
    links = 0
    for operations in document["paths"].values():
        for operation in operations.values():
            for answer in operation["responses"].values():
                answer_schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                for name, link in answer.get("links", {}).items():
                    links += 1
                    _, _, target = by_id[link["operationId"]]
                    path_parameters = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                    assert set(link.get("parameters", {})) == path_parameters, name
                    body = link.get("requestBody", {})
                    if body:
                        body_schema = target["requestBody"]["content"]["application/json"]["schema"]
                        assert set(body) <= set(_resolve(document, body_schema)["properties"]), name
                    for expression in (*link.get("parameters", {}).values(), *body.values()):
                        pointer = expression.removeprefix("$response.body#")
                        field = _field(document, answer_schema, pointer)
                        assert field is not None, (name, pointer)
                        types = {field.get("type"), *(variant.get("type") for variant in field.get("anyOf", []))}
                        assert types & {"integer", "string"}, (name, pointer)
    assert links >= sum(len(table) for table in openapi.LINKS.values())


def test_a_created_book_links_to_reading_borrowing_and_holding_it_and_a_loan_to_its_return_and_renewal():
    paths = openapi.build()["paths"]
    book_links = paths["/books"]["post"]["responses"]["201"]["links"]
    loan_links = paths["/loans"]["post"]["responses"]["201"]["links"]
    assert book_links["ReadBook"]["operationId"] == paths["/books/{book_id}"]["get"]["operationId"]
    assert book_links["UpdateBook"]["operationId"] == paths["/books/{book_id}"]["patch"]["operationId"]
    assert book_links["Borrow"] == {
        "operationId": paths["/loans"]["post"]["operationId"],
        "requestBody": {"book_id": "$response.body#/data/id"},
    }
    assert book_links["PlaceHold"]["operationId"] == paths["/holds"]["post"]["operationId"]
    assert loan_links["Return"]["operationId"] == paths["/loans/{loan_id}/return"]["post"]["operationId"]
    assert loan_links["Renew"]["parameters"] == {"loan_id": "$response.body#/data/id"}


def test_schemathesis_takes_every_link_as_a_transition_of_its_stateful_pass():
    schema = schemathesis.openapi.from_dict(openapi.build())
    transitions = collect_transitions([result.ok() for result in schema.get_all_operations()])
    found = {(source, link.name) for source, links in transitions.operations.items() for link in links.outgoing}
    declared = {
        (f"{method.upper()} {path}", name) for (method, path, _), table in openapi.LINKS.items() for name in table
    }
    assert declared <= found
