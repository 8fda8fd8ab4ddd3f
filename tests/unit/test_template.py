"""The template is the one source of routes and auth for both AWS and the local API."""

import json
import re

import yaml

from devtools import template


def test_routes_and_authorizer_come_from_the_template():
    api = template.load()
    routes = {(route.method, route.path): route for route in api.routes}
    assert routes[("GET", "/health")].authorized is False
    assert routes[("GET", "/auth")].authorized is True
    assert api.authorizer.function == "AuthorizerFunction"
    assert api.authorizer.header == "Authorization"


def test_every_gateway_response_speaks_the_envelope_with_its_own_status():
    responses = template.load().gateway_responses
    for required in ("UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "BAD_REQUEST_BODY", "DEFAULT_4XX", "DEFAULT_5XX"):
        assert required in responses
    for response_type, response in responses.items():
        body = json.loads(response.body)
        assert body["status"] == response.status, response_type
        assert body["data"] is None and body["code"].isupper() and body["message"]


def test_literal_paths_win_over_parameters():
    route = template.Route("GET", "/books/{id}", "F", False, template._path_pattern("/books/{id}"))
    literal = template.Route("GET", "/books/imports", "F", False, template._path_pattern("/books/imports"))
    assert literal.specificity > route.specificity
    assert route.pattern.match("/books/17").groupdict() == {"id": "17"}


def test_cors_preflight_headers_come_from_the_apis_cors_settings():
    headers = template.load().cors_headers
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Idempotency-Key" in headers["Access-Control-Allow-Headers"]
    assert "PATCH" in headers["Access-Control-Allow-Methods"]


def test_the_chat_is_its_own_function_and_the_catalogue_carries_none_of_it():
    """The catalogue's cold start no longer pays for the chat: its route, code, model setting and Bedrock access
    are the chat function's alone."""
    api = template.load()
    chat_routes = {(route.method, route.path) for route in api.routes if route.function == "ChatFunction"}
    assert chat_routes == {("POST", "/library/chat")}
    books = api.functions["BooksFunction"]
    assert not [path for path in books.code_dir.rglob("*.py") if "chat" in path.name or "chat" in path.parent.name]
    resources = yaml.load(template.TEMPLATE.read_text(), Loader=template._CloudFormationLoader)["Resources"]
    for name, mentions_bedrock in (("BooksFunction", False), ("ChatFunction", True)):
        properties = json.dumps(resources[name]["Properties"])
        assert ("BEDROCK_MODEL_ID" in properties) is mentions_bedrock, name
        assert ("bedrock:InvokeModel" in properties) is mentions_bedrock, name


def test_the_dashboard_plots_exactly_the_metrics_the_code_emits():
    from library_common import metrics

    emitted = {
        value
        for name, value in vars(metrics).items()
        if name.isupper() and name[0] != "_" and name not in ("NAMESPACE", "SERVICE")
    }
    dashboard = json.dumps(
        yaml.load(template.TEMPLATE.read_text(), Loader=template._CloudFormationLoader)["Resources"]["Dashboard"]
    )
    # SEARCH('{Library,service} MetricName="LoansBorrowed"', ...), JSON-escaped twice in the dumped template.
    plotted = set(re.findall(r"\{Library,[a-z,]+\} MetricName=\\+\"(\w+)", dashboard))
    assert plotted == emitted
