"""The resolver's fixed path: the per-request work taken out of Powertools' (headers lowered once, middleware frames
called directly, the log context set in one step) changes nothing a request or a log line shows."""

import itertools
import json
import logging
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import MiddlewareFrame, Route, _registered_api_adapter
from aws_lambda_powertools.event_handler.openapi.params import Body, Cookie, Header
from aws_lambda_powertools.event_handler.request import Request

from library_common import api
from library_common.api import LibraryResolver, create_app, lambda_handler_for
from library_common.envelope import ok
from tests.conftest import LambdaContext, load_event

app = create_app()
seen_by_middleware: list[str] = []


def tags_the_response(app, next_middleware):
    response = next_middleware(app)
    response.headers["X-Tagged"] = "yes"
    return response


def reads_the_request(app, next_middleware, request: Request):
    seen_by_middleware.append(request.headers.get("x-note"))
    return next_middleware(app)


@app.get("/note", middlewares=[tags_the_response])
def note(x_note: Annotated[str | None, Header(alias="X-Note", max_length=5)] = None):
    api.logger.info("note read", extra={"note": x_note})
    api.logger.append_keys(appended_by_the_route="only this invocation")
    return ok({"note": x_note})


@app.get("/injected", middlewares=[reads_the_request])
def injected():
    return ok(None)


@app.get("/session")
def session(session_id: Annotated[str | None, Cookie(alias="session", max_length=8)] = None):
    return ok({"session": session_id})


@app.get("/plain")
def plain():
    return ok(None)


@app.get("/path-of/<name>")
def path_of(name: str, request: Request):
    return ok({"name": name, "path": request.path_parameters})


def _event(path, headers=None, request_id="request-1"):
    event = load_event("service/health.json", httpMethod="GET", path=path, resource=path)
    for name, value in (headers or {}).items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    event["requestContext"]["requestId"] = request_id
    return event


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[dict] = []
        self.setFormatter(api.logger.registered_formatter)

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


def test_each_log_line_carries_its_invocations_context_and_correlation_id_and_nothing_from_the_last(
    lambda_context, monkeypatch
):
    monkeypatch.setattr(api, "_invocations", itertools.count())  # as in a new process: its first invocation is cold
    lines = _Lines()
    api.logger.addHandler(lines)
    try:
        handler = lambda_handler_for(app)
        for request_id in ("first-request", "second-request"):
            assert handler(_event("/note", {"X-Note": "hi"}, request_id), lambda_context)["statusCode"] == 200
    finally:
        api.logger.removeHandler(lines)
    first, second = lines.lines
    assert {key: second[key] for key in ("message", "note", "correlation_id", "cold_start")} == {
        "message": "note read",
        "note": "hi",
        "correlation_id": "second-request",
        "cold_start": False,
    }
    assert (first["correlation_id"], first["cold_start"]) == ("first-request", True)
    for line in (first, second):
        assert (
            line["function_name"],
            line["function_memory_size"],
            line["function_arn"],
            line["function_request_id"],
        ) == (
            LambdaContext.function_name,
            LambdaContext.memory_limit_in_mb,
            LambdaContext.invoked_function_arn,
            LambdaContext.aws_request_id,
        )
    # The key the route appended in the first invocation is gone in the second, as with clear_state=True.
    assert "appended_by_the_route" not in second


def test_a_declared_header_is_read_whatever_its_case_and_still_validated():
    answer = app.resolve(_event("/note", {"x-NOTE": "hi"}), None)
    assert (answer["statusCode"], json.loads(answer["body"])["data"]) == (200, {"note": "hi"})
    refused = app.resolve(_event("/note", {"X-Note": "too long"}), None)
    body = json.loads(refused["body"])
    assert (refused["statusCode"], body["code"], body["errors"][0]["field"]) == (422, "VALIDATION_ERROR", "x-note")


def test_every_header_read_gets_a_case_insensitive_dict_of_its_own():
    event = api._RequestEvent(_event("/note", {"X-Note": "hi"}))
    headers = event.headers
    headers["x-note"] = "rewritten"
    assert (headers["X-NOTE"], event.headers["X-Note"]) == ("rewritten", "hi")
    assert event.multi_value_headers["x-note"] == ["hi"]
    assert event.resolved_headers_field is not event.resolved_headers_field


def _middlewares(stack) -> list:
    found = []
    while isinstance(stack, MiddlewareFrame | api._DirectFrame):
        found.append(stack.current_middleware if isinstance(stack, MiddlewareFrame) else stack.middleware)
        stack = stack.next_middleware
    if isinstance(stack, api._RouteCall):  # in the place of Powertools' adapter, calling the route's function
        return [*found, _registered_api_adapter, stack.route_function]
    return [*found, stack]


def test_a_routes_middlewares_run_in_the_order_powertools_builds_them():
    app.resolve(_event("/note"), None)  # the stack is built on the route's first request
    (route,) = [route for route in app._static_routes if route.path == "/note"]
    twin = Route(route.method, route.path, route.rule, route.func, False, False, middlewares=route.middlewares)
    twin._build_middleware_stack(router_middlewares=app._router_middlewares, app=app)
    assert _middlewares(route._middleware_stack) == _middlewares(twin._middleware_stack)
    assert app.resolve(_event("/note"), None)["multiValueHeaders"]["X-Tagged"] == ["yes"]


def test_a_middleware_that_asks_for_the_request_still_gets_it():
    seen_by_middleware.clear()
    assert app.resolve(_event("/injected", {"X-Note": "hello"}), None)["statusCode"] == 200
    assert seen_by_middleware == ["hello"]


def test_debug_mode_keeps_powertools_frames_which_it_prints(capsys):
    debugging = LibraryResolver(debug=True)
    debugging.get("/ping")(lambda: {"pong": True})
    assert debugging.resolve(_event("/ping"), None)["statusCode"] == 200
    assert isinstance(debugging._static_routes[0]._middleware_stack, MiddlewareFrame)
    assert "Processed Middlewares" in capsys.readouterr().out


@app.post("/tally")
def tally(counts: Annotated[list[int], Body()], label: Annotated[str, Body()]):
    return ok({"counts": counts, "label": label})


def test_powertools_answers_about_annotations_are_asked_once_and_kept():
    asked = []

    def is_list(about):
        asked.append(about)
        return about is list

    remembered = api._remembered(is_list)
    assert [remembered(list), remembered(list), remembered(int)] == [True, True, False]
    assert asked == [list, int]


def test_a_body_field_that_is_a_sequence_stays_one_and_a_scalar_sent_as_a_list_is_unwrapped_request_after_request():
    for _ in range(2):  # the second request answers from what the first worked out
        event = _event("/tally")
        event.update(httpMethod="POST", body=json.dumps({"counts": [1, 2], "label": ["first"]}))
        answer = app.resolve(event, None)
        assert json.loads(answer["body"])["data"] == {"counts": [1, 2], "label": "first"}


def test_a_declared_cookie_is_read_and_validated_and_a_route_declaring_none_ignores_headers_and_cookies():
    answer = app.resolve(_event("/session", {"Cookie": "theme=dark; session=abc"}), None)
    assert json.loads(answer["body"])["data"] == {"session": "abc"}
    refused = app.resolve(_event("/session", {"cookie": "session=far-too-long"}), None)
    assert (refused["statusCode"], json.loads(refused["body"])["errors"][0]["field"]) == (422, "session")
    assert (
        app.resolve(_event("/plain", {"Cookie": "session=far-too-long", "X-Note": "too long"}), None)["statusCode"]
        == 200
    )


def test_a_route_that_asks_for_the_request_keeps_powertools_adapter_which_injects_it():
    event = _event("/path-of/shelf")
    event.update(resource="/path-of/{name}", pathParameters={"name": "shelf"})
    answer = app.resolve(event, None)
    assert json.loads(answer["body"])["data"] == {"name": "shelf", "path": {"name": "shelf"}}
    (route,) = [route for route in app._dynamic_routes if route.func is path_of]
    frames, stack = [], route._middleware_stack
    while isinstance(stack, api._DirectFrame | MiddlewareFrame):
        frames.append(stack)
        stack = stack.next_middleware
    assert stack is path_of and getattr(frames[-1], "middleware", None) is _registered_api_adapter


def test_the_headers_lowered_once_a_request_are_that_requests_own(lambda_context):
    handler = lambda_handler_for(app)
    event = _event("/tally", {"CONTENT-TYPE": "application/json"})
    event.update(httpMethod="POST", body=json.dumps({"counts": [1], "label": "one"}))
    assert handler(event, lambda_context)["statusCode"] == 200
    # The same dict, changed before the next request (as a test or a retry might): read afresh.
    event["headers"]["CONTENT-TYPE"] = "text/plain"
    event["multiValueHeaders"]["CONTENT-TYPE"] = ["text/plain"]
    assert handler(event, lambda_context)["statusCode"] == 415
    event["headers"]["CONTENT-TYPE"] = "multipart/form-data"
    event["multiValueHeaders"]["CONTENT-TYPE"] = ["multipart/form-data"]
    assert json.loads(handler(event, lambda_context)["body"])["code"] == "UNSUPPORTED_MEDIA_TYPE"
