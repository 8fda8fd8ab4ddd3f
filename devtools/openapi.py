"""`make openapi`: merges every function's routes into the one OpenAPI document the service function serves.

Lambda ships each function alone, so the service function cannot import the others at run time: the merged
document is generated here, committed, and checked for staleness by the tests.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import Server

from devtools import template
from library_common.api import BEARER, BEARER_SCHEME
from library_common.envelope import MAX_ID, ErrorEnvelope

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
DOCUMENT = FUNCTIONS / "service" / "library_service" / "openapi.json"
# Serves the web console's files (GET /, /assets/...), not API operations: left out, as /docs is.
NOT_API = {"ConsoleFunction"}

ERRORS_4XX = (
    "400 malformed JSON, 401 missing/invalid/expired token, 403 not allowed, 404 unknown id or route, "
    "409 conflicts with the current state, 415 unsupported Content-Type, 422 validation failed (with `errors`), "
    "429 too many attempts"
)
DESCRIPTION = (
    "A library's catalogue, members and staff, borrowing, returns, renewals, holds, fines and notices. "
    "Every response is the envelope `{status, message, data}`; errors add `code` (and `errors` for validation). "
    "Protected routes need `Authorization: Bearer <access token>` from POST /auth/login."
)


def build() -> dict:
    merge = OpenAPIMerge(
        title="Library API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[Server(url="/")],
        security_schemes={BEARER: BEARER_SCHEME},
        on_conflict="error",
    )
    api = template.load()
    for logical_id in sorted({route.function for route in api.routes} - NOT_API):
        function = api.functions[logical_id]
        module = function.handler.rsplit(".", 1)[0]
        merge.add_file(function.code_dir / (module.replace(".", "/") + ".py"), resolver_name="app")
    # Powertools' merge leaves enums (e.g. a parameter's `in`) as Python objects: make it plain JSON first.
    document = json.loads(json.dumps(merge.get_openapi_schema(), default=_plain))
    return _with_links(_with_error_envelopes(_exact_integer_bounds(document)))


# OpenAPI links: what an answer lets a client (and schemathesis's stateful pass) call next, from a created resource
# or the first row of a page. (method, path, status) of the answer -> link name -> (method, path) of the next call
# and its inputs: path parameters, then a request body; values are runtime expressions.
CREATED_ID = "$response.body#/data/id"
FIRST_ID = "$response.body#/data/items/0/id"
LINKS = {
    ("get", "/books", "200"): {
        "ReadFirstBook": ("get", "/books/{book_id}", {"book_id": FIRST_ID}, None),
        "BorrowFirstBook": ("post", "/loans", {}, {"book_id": FIRST_ID}),
        "HoldFirstBook": ("post", "/holds", {}, {"book_id": FIRST_ID}),
    },
    ("get", "/loans", "200"): {
        "ReadFirstLoan": ("get", "/loans/{loan_id}", {"loan_id": FIRST_ID}, None),
        "RenewFirstLoan": ("post", "/loans/{loan_id}/renew", {"loan_id": FIRST_ID}, None),
        "ReturnFirstLoan": ("post", "/loans/{loan_id}/return", {"loan_id": FIRST_ID}, None),
    },
    ("get", "/holds", "200"): {
        "CancelFirstHold": ("delete", "/holds/{hold_id}", {"hold_id": FIRST_ID}, None),
    },
    ("get", "/fines", "200"): {
        "PayFirstFine": ("post", "/fines/{fine_id}/pay", {"fine_id": FIRST_ID}, None),
        "WaiveFirstFine": ("post", "/fines/{fine_id}/waive", {"fine_id": FIRST_ID}, None),
    },
    ("get", "/users", "200"): {
        "ReadFirstUser": ("get", "/users/{user_id}", {"user_id": FIRST_ID}, None),
    },
    ("post", "/books", "201"): {
        "ReadBook": ("get", "/books/{book_id}", {"book_id": CREATED_ID}, None),
        "UpdateBook": ("patch", "/books/{book_id}", {"book_id": CREATED_ID}, None),
        "ReplaceBook": ("put", "/books/{book_id}", {"book_id": CREATED_ID}, None),
        "RemoveBook": ("delete", "/books/{book_id}", {"book_id": CREATED_ID}, None),
        "ListReviews": ("get", "/books/{book_id}/reviews", {"book_id": CREATED_ID}, None),
        "AddReview": ("post", "/books/{book_id}/reviews", {"book_id": CREATED_ID}, None),
        "Borrow": ("post", "/loans", {}, {"book_id": CREATED_ID}),
        "PlaceHold": ("post", "/holds", {}, {"book_id": CREATED_ID}),
    },
    ("post", "/loans", "201"): {
        "ReadLoan": ("get", "/loans/{loan_id}", {"loan_id": CREATED_ID}, None),
        "Renew": ("post", "/loans/{loan_id}/renew", {"loan_id": CREATED_ID}, None),
        "Return": ("post", "/loans/{loan_id}/return", {"loan_id": CREATED_ID}, None),
        "ReadBook": ("get", "/books/{book_id}", {"book_id": "$response.body#/data/book_id"}, None),
    },
    ("post", "/holds", "200"): {
        "CancelHold": ("delete", "/holds/{hold_id}", {"hold_id": CREATED_ID}, None),
    },
    ("post", "/books/{book_id}/reviews", "201"): {
        "RemoveReview": ("delete", "/reviews/{review_id}", {"review_id": CREATED_ID}, None),
    },
    ("post", "/users", "201"): {
        "ReadUser": ("get", "/users/{user_id}", {"user_id": CREATED_ID}, None),
        "UpdateUser": ("patch", "/users/{user_id}", {"user_id": CREATED_ID}, None),
        "DeactivateUser": ("delete", "/users/{user_id}", {"user_id": CREATED_ID}, None),
        "UserLoans": ("get", "/users/{user_id}/loans", {"user_id": CREATED_ID}, None),
    },
    ("post", "/groups", "201"): {
        "ReadGroup": ("get", "/groups/{group_id}", {"group_id": CREATED_ID}, None),
        "UpdateGroup": ("patch", "/groups/{group_id}", {"group_id": CREATED_ID}, None),
        "DeleteGroup": ("delete", "/groups/{group_id}", {"group_id": CREATED_ID}, None),
    },
    ("post", "/books/imports", "201"): {
        "ReadImport": ("get", "/books/imports/{job_id}", {"job_id": "$response.body#/data/job/id"}, None),
    },
    ("post", "/auth/login", "200"): {
        "Refresh": ("post", "/auth/refresh", {}, {"refresh_token": "$response.body#/data/refresh_token"}),
        "Logout": ("post", "/auth/logout", {}, {"refresh_token": "$response.body#/data/refresh_token"}),
    },
}


def _with_links(document: dict) -> dict:
    """Writes LINKS into the answers they start from, naming each next call by its operationId."""
    paths = document["paths"]
    for (method, path, status), links in LINKS.items():
        answer = paths[path][method]["responses"][status]
        answer["links"] = {}
        for name, (next_method, next_path, parameters, body) in links.items():
            link = {"operationId": paths[next_path][next_method]["operationId"]}
            if parameters:
                link["parameters"] = parameters
            if body is not None:
                link["requestBody"] = body
            answer["links"][name] = link
    return document


def _exact_integer_bounds(node: object) -> object:
    """Powertools types a parameter's `le`/`ge` as float: 2**63 - 1 (MAX_ID) becomes 9.223372036854776e+18, which
    is 2**63, one more than any route accepts. An integer's bounds are written back as the integers they are."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for bound in ("maximum", "minimum"):
                if isinstance(node.get(bound), float):
                    node[bound] = MAX_ID if node[bound] >= float(MAX_ID) else int(node[bound])
        for value in node.values():
            _exact_integer_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _exact_integer_bounds(value)
    return node


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _with_error_envelopes(document: dict) -> dict:
    """Every operation can fail with the error envelope; Powertools' own 422/500 shapes are not what we send."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorEnvelope"] = error_schema
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = {str(code): spec for code, spec in operation["responses"].items() if str(code)[0] not in "45"}
            operation["responses"] = responses
            responses["4XX"] = {"description": ERRORS_4XX, **error}
            responses["5XX"] = {"description": "Internal error, or the database is unavailable (503)", **error}
    return document


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    DOCUMENT.write_text(render())
    print(f"wrote {DOCUMENT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
