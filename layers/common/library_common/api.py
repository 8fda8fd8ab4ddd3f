"""The REST resolver every API function uses: validation on, envelope everywhere, caller bound per request."""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import itertools
import json
import os
import time
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import (
    MiddlewareFrame,
    Route,
    _find_request_param_name,
    _registered_api_adapter,
)
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
    _get_multi_value_query_params,
    _normalize_errors,
    _normalize_multi_params,
    _request_body_to_args,
    _request_params_to_args,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.data_classes.common import CaseInsensitiveDict
from aws_lambda_powertools.utilities.typing import LambdaContext
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from library_common import cold_start, db, metrics, models, token_version
from library_common.caller import ANONYMOUS, Caller, from_authorizer_context, from_claims
from library_common.envelope import JSON, error_body, error_response
from library_common.errors import Forbidden, LibraryError, Unauthorized

logger = Logger()
BEARER = "bearerAuth"
# Pass as `security=SECURED` on every route that needs a token, so the OpenAPI document shows it.
SECURED: list[dict[str, list[str]]] = [{BEARER: []}]
# A plain mapping, not Powertools' HTTPBearer model: importing its OpenAPI models costs every cold start ~60 ms,
# and only the OpenAPI document (devtools.openapi) reads this.
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
_caller: ContextVar[Caller] = ContextVar("caller", default=ANONYMOUS)


def caller() -> Caller:
    """The caller of the request being handled."""
    return _caller.get()


def client_address(event: dict[str, Any]) -> str:
    """The address the request came from, as API Gateway saw the connection (`identity.sourceIp`): never a
    header, which a client could write itself. Empty when the event carries none."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")[:64]


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "isbn") -> "isbn"; ("query", "page") -> "page"; nested paths joined with dots.
    parts = [str(part) for part in location[1:]] or [str(part) for part in location]
    return ".".join(parts)


def _validation_failed(error: RequestValidationError) -> Response:
    problems = error.errors()
    if any(problem.get("type") in ("json_invalid", "unsupported_content_type") for problem in problems):
        return Response(400, JSON, error_body(400, "MALFORMED_REQUEST", "Request body is not valid JSON"))
    fields = [{"field": _field_name(tuple(p.get("loc", ()))), "message": p.get("msg", "invalid")} for p in problems]
    return Response(422, JSON, error_body(422, "VALIDATION_ERROR", "Validation failed", fields))


# What a client is told to wait when the database is unavailable (a restart or failover takes seconds).
DATABASE_RETRY_AFTER_SECONDS = 5
# Set by the database error handler when the request may be run again on a new connection (see `_resolve`).
_retry_wanted: ContextVar[bool] = ContextVar("retry_wanted", default=False)


def _sqlstate(error: DBAPIError) -> str:
    """The SQLSTATE tells server errors apart."""
    return db.server_error_fields(error).get("C", "")


# PostgreSQL's error fields a log line may carry: codes and names of schema objects. The message and detail
# ('M', 'D') are left out: they quote the values ("Key (email)=(...) already exists", "Failing row contains").
LOGGED_ERROR_FIELDS = {"C": "sqlstate", "n": "constraint", "t": "table", "c": "column", "s": "schema"}


def database_error_log_fields(error: DBAPIError) -> dict[str, str]:
    """What a log line says about a database error: its class, SQLSTATE and the objects involved, never a row."""
    fields = db.server_error_fields(error)
    logged = {name: fields[key] for key, name in LOGGED_ERROR_FIELDS.items() if key in fields}
    return {"error_type": type(error.orig or error).__name__, **logged}


def _lowered_names(headers: dict[str, Any] | None) -> dict[str, Any]:
    """The headers by lower-cased name (the last of two spellings wins), lowered by C loops (`map`, `zip`): a dict
    comprehension spends ~1,000 instructions a header, and a request has about twenty."""
    headers = headers or {}
    return dict(zip(map(str.lower, headers), headers.values(), strict=True))


# The request's headers by lower-cased name, lowered once by its handler for each reader (the body check, the caller
# on a public route, the event Powertools reads): (the event's headers dict, its lowered copy).
_request_headers: ContextVar[tuple[Any, dict[str, Any]] | None] = ContextVar("request_headers", default=None)


def _lowered_once(headers: dict[str, Any] | None) -> dict[str, Any]:
    """`_lowered_names(headers)`, the request's own copy when these are the request's headers."""
    lowered = _request_headers.get()
    return lowered[1] if lowered is not None and lowered[0] is headers else _lowered_names(headers)


def _resolve_caller(event: dict[str, Any]) -> Caller:
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    authorised = from_authorizer_context(context)
    if authorised is not None:
        # API Gateway may serve a cached authorizer answer past the token's own expiry: never honour that.
        if authorised.expires_at is not None and authorised.expires_at <= time.time():
            raise Unauthorized("The access token has expired", code="TOKEN_EXPIRED")
        return authorised
    # Public routes run without the authorizer; a token sent there is still honoured (e.g. an admin registering).
    headers = _lowered_once(event.get("headers"))
    if not headers.get("authorization"):
        return ANONYMOUS
    from library_common import tokens  # pyjwt and cryptography cost ~60 ms of cold start; most requests never need them

    try:
        token = tokens.bearer_token(headers.get("authorization"))
        return from_claims(tokens.verify_access_token(token)) if token else ANONYMOUS
    except tokens.InvalidToken as error:
        raise Unauthorized("Invalid or expired token") from error


# No route takes form bodies; Powertools would try to parse them (and fail with a bare ValueError on a
# multipart body without a boundary), so they are refused before validation.
FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
UNSUPPORTED_MEDIA_TYPE = "Unsupported Content-Type for this route; send application/json"


def _unreadable_body_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """The proxy answer for a body no route can read, given before the resolver (whose request validation runs
    first and would fail with a bare exception): a form body (415), or bytes that are not UTF-8 text (400)."""
    headers = _lowered_once(event.get("headers"))
    if (headers.get("content-type") or "").strip().lower().startswith(FORM_CONTENT_TYPES):
        return _proxy_error(415, "UNSUPPORTED_MEDIA_TYPE", UNSUPPORTED_MEDIA_TYPE)
    if event.get("isBase64Encoded") and event.get("body"):
        try:
            base64.b64decode(event["body"]).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _proxy_error(400, "MALFORMED_REQUEST", "Request body is not UTF-8 text")
    return None


def _proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "multiValueHeaders": {"Content-Type": [JSON]},
        "body": json.dumps(error_body(status, code, message)),
        "isBase64Encoded": False,
    }


# The routes an account that must change its password may still call: the change itself, and signing out.
PASSWORD_CHANGE_ROUTES = frozenset({("PATCH", "/auth"), ("POST", "/auth/logout")})


def _refuse_until_password_changed(who: Caller, event: dict[str, Any]) -> None:
    if who.must_change_password and (event.get("httpMethod"), event.get("resource")) not in PASSWORD_CHANGE_ROUTES:
        raise Forbidden(
            "Change your password first (PATCH /auth with current_password and password)",
            code="PASSWORD_CHANGE_REQUIRED",
        )


def _token_still_current(who: Caller) -> Callable[[Connection], None]:
    """A deactivated, demoted or signed-out-everywhere user's older tokens end here, in the request's first
    transaction (one primary-key read; `bench/bench_auth.py` measures it), unless the route checks it itself."""

    def check(connection: Connection) -> None:
        token_version.refuse_if_stale_now(connection, who.user_id, who.token_version)

    return check


def checks_token_version_itself(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """Route middleware (`middlewares=[checks_token_version_itself]`) for a route that reads the caller's token
    version inside a statement it runs anyway and refuses a stale token with `token_version.refuse_if_stale`
    before it writes anything: the request's first transaction then skips the separate read."""
    skipped = db.first_transaction_check.set(None)
    try:
        return next_middleware(app)
    finally:
        db.first_transaction_check.reset(skipped)


def _bind_caller(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    who = _resolve_caller(app.current_event.raw_event)
    _refuse_until_password_changed(who, app.current_event.raw_event)
    caller_token = _caller.set(who)
    actor_token = db.current_actor.set(who.user_id)
    check_token = db.first_transaction_check.set(_token_still_current(who) if who.is_authenticated else None)
    try:
        return next_middleware(app)
    finally:
        _caller.reset(caller_token)
        db.current_actor.reset(actor_token)
        db.first_transaction_check.reset(check_token)


def _unsupported_media_type(_error: RequestUnsupportedContentType) -> Response:
    return Response(415, JSON, error_body(415, "UNSUPPORTED_MEDIA_TYPE", UNSUPPORTED_MEDIA_TYPE))


def _database_refused(error: DBAPIError) -> Response:
    """A database error as the envelope: unavailable 503, a bad value 422, a race or a deadlock 409, anything else
    500."""
    state = _sqlstate(error)
    logged = database_error_log_fields(error)
    if db.is_unavailable(error):
        _retry_wanted.set(db.may_retry(error))
        logger.warning("database unavailable", extra={**logged, "retry": _retry_wanted.get()})
        return Response(
            503,
            JSON,
            error_body(503, "DATABASE_UNAVAILABLE", "The database is unavailable; try again in a few seconds"),
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    if state.startswith("22"):
        # Input that passed validation but that PostgreSQL cannot store or compare, e.g. an id beyond bigint.
        logger.info("database rejected a value", extra=logged)
        return Response(422, JSON, error_body(422, "INVALID_VALUE", "A value is out of range or malformed"))
    if db.integrity_violation(error):
        return _integrity_refused(error, logged)
    if state in db.ROLLED_BACK_STATES:
        return _rolled_back(logged)
    # Where it failed (the stack), not the exception's text: that quotes the server's message and detail.
    logger.error("database error", extra={**logged, "stack": "".join(traceback.format_tb(error.__traceback__))})
    return Response(500, JSON, error_body(500, "INTERNAL_ERROR", "Internal server error"))


# Integrity violations a value sent can cause (a NULL or a value a CHECK refuses) where validation let it through.
VALUE_VIOLATIONS = frozenset({"23502", "23514"})


@functools.cache
def _audit_keys() -> frozenset[str]:
    """The foreign keys of the audit columns (fk_books_created_by_users, ...), which name the request's caller."""
    return frozenset(
        str(key.name)
        for table in models.METADATA.tables.values()
        for key in table.foreign_key_constraints
        if key.column_keys in (["created_by"], ["updated_by"])
    )


def _integrity_refused(error: DBAPIError, logged: dict[str, str]) -> Response:
    """An integrity violation (SQLSTATE class 23) the domain code did not turn into its own answer: a race it did
    not anticipate still ends as a 4xx, never as a duplicate or dangling row, nor a 500. A write whose audit key
    fails names a caller whose account is gone since the request's token check: that check's own 401."""
    logger.warning("integrity violation reached the API", extra=logged)
    if db.violated_constraint(error) in _audit_keys():
        return error_response(token_version.revoked())
    if db.integrity_violation(error) in VALUE_VIOLATIONS:
        return Response(422, JSON, error_body(422, "INVALID_VALUE", "A value is missing or not allowed here"))
    return Response(409, JSON, error_body(409, "CONFLICT", "Conflicts with the current data"))


def _rolled_back(logged: dict[str, str]) -> Response:
    """PostgreSQL chose this transaction as a deadlock's victim (or a serialization failure) and rolled it back:
    nothing of it was kept, so the request runs once more when it had started no commit, as for a dead connection;
    otherwise, or again, a 409 the caller may retry."""
    _retry_wanted.set(db.commits_started.get() == 0)
    logger.warning("transaction rolled back by the database", extra={**logged, "retry": _retry_wanted.get()})
    return Response(409, JSON, error_body(409, "CONFLICT", "Ran into another request changing the same data; retry"))


def _connection_lost(error: ConnectionError) -> Response:
    """pg8000 lets a socket error out unwrapped when the server resets the connection mid-read (a restart): the
    same 503 as any unreachable database, and the same one retry when no commit had started."""
    return _database_gone(error, retry=db.commits_started.get() == 0)


def _database_timed_out(error: TimeoutError) -> Response:
    """pg8000's socket timeout (DB_TIMEOUT_SECONDS) also escapes unwrapped when it strikes the first read of a
    reply (the server, or a half-dead proxy, said nothing): the same 503, not retried, as the time is spent."""
    if not _raised_in_driver(error):
        return _unexpected(error)
    return _database_gone(error, retry=False)


def _raised_in_driver(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return any("/pg8000/" in frame.filename for frame in frames)


def _database_gone(error: OSError, *, retry: bool) -> Response:
    db.drop_connections()  # SQLAlchemy did not see a disconnect: drop the connections ourselves
    _retry_wanted.set(retry)
    logger.warning("database connection lost", extra={"error_type": type(error).__name__, "retry": retry})
    return Response(
        503,
        JSON,
        error_body(503, "DATABASE_UNAVAILABLE", "The database is unavailable; try again in a few seconds"),
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def _response_invalid(error: ResponseValidationError) -> Response:
    # Each problem's place and kind, not its `input`: that is the response's data.
    problems = [{"loc": p.get("loc"), "type": p.get("type"), "msg": p.get("msg")} for p in error.errors()]
    logger.error("response failed its schema", extra={"errors": problems})
    return Response(500, JSON, error_body(500, "INTERNAL_ERROR", "Internal server error"))


def _no_route(_error: Exception) -> Response:
    return Response(404, JSON, error_body(404, "ROUTE_NOT_FOUND", "No such route"))


def _unexpected(_error: Exception) -> Response:
    logger.exception("unhandled error")
    return Response(500, JSON, error_body(500, "INTERNAL_ERROR", "Internal server error"))


def _remembered(ask: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """`ask`, its answer kept for each object asked about (a route's parameter field, an annotation), which lives as
    long as its route: the object itself is kept with its answer, so its id is never reused."""
    answers: dict[int, tuple[Any, bool]] = {}

    def remembered(about: Any) -> bool:
        known = answers.get(id(about))
        if known is None or known[0] is not about:
            known = answers[id(about)] = (about, ask(about))
        return known[1]

    remembered.remembers = True  # type: ignore[attr-defined]
    return remembered


def _remember_annotation_answers() -> None:
    """Powertools asks on every request, by walking type annotations, whether each query parameter and header a
    route declares is a scalar (~0.3 ms of every GET /books, a dozen parameters) and whether each body field is or
    holds a sequence (~43,000 instructions a request with a body). The answers belong to the field and its
    annotation, which live as long as their route, so each is worked out once."""
    from aws_lambda_powertools.event_handler.middlewares import openapi_validation

    if getattr(openapi_validation.is_scalar_field, "remembers", False):
        return
    openapi_validation.is_scalar_field = _remembered(openapi_validation.is_scalar_field)
    openapi_validation._is_or_contains_sequence = _remembered(openapi_validation._is_or_contains_sequence)


# Powertools' own serialiser: compact json.dumps, its Encoder for Decimals, models and dataclasses.
_STANDARD_JSON = Encoder(separators=(",", ":"))
# What orjson hands to the Encoder rather than writing itself, so that both write the same values alike.
_PASSED_THROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_text(body: Any) -> str:
    """A response body as JSON text: orjson (a page of 20 books in ~10 us, not ~110), non-ASCII characters written
    as UTF-8 rather than escaped; what orjson refuses (an unpaired surrogate, an integer beyond 64 bits, a key that
    is not a string) is written by the standard serialiser, as before."""
    try:
        return orjson.dumps(body, default=_STANDARD_JSON.default, option=_PASSED_THROUGH).decode()
    except orjson.JSONEncodeError:
        return _STANDARD_JSON.encode(body)


class _RequestEvent(APIGatewayProxyEvent):
    """The REST event as Powertools reads it, with its header names lower-cased once per request: Powertools reads
    the headers four or five times a request (request validation, its body's content type, cookies, the
    compression check), and its own properties build a new case-insensitive copy of every header each time. Each
    read still gets a dict of its own, as before: request validation rewrites the one it is given."""

    def __init__(self, data: dict[str, Any], json_deserializer: Callable[..., Any] | None = None):
        super().__init__(data, json_deserializer)
        self._lowered: dict[str, dict[str, Any]] = {}

    @property
    def headers(self) -> dict[str, str]:
        return self._fresh_copy("headers")

    @property
    def multi_value_headers(self) -> dict[str, list[str]]:
        return self._fresh_copy("multiValueHeaders")

    def _fresh_copy(self, field: str) -> CaseInsensitiveDict:
        lowered = self._lowered.get(field)
        if lowered is None:
            lowered = self._lowered[field] = _lowered_once(self.get(field))
        copy = CaseInsensitiveDict.__new__(CaseInsensitiveDict)  # its __init__ lowers names by a Python generator
        dict.update(copy, lowered)
        return copy


class _DirectFrame:
    """One middleware of a route's stack, called as Powertools' MiddlewareFrame calls it, without what that frame
    does on every call for its debug mode (a log line, the frame's description kept for printing) and for a
    middleware that asks for injected arguments (`Request`, `Depends`), which none of the layer's middlewares do:
    ~33,000 instructions a frame, five frames a request."""

    __slots__ = ("middleware", "next_middleware")

    def __init__(self, middleware: Callable[..., Any], next_middleware: Callable[..., Any]):
        self.middleware = middleware
        self.next_middleware = next_middleware

    def __call__(self, app: APIGatewayRestResolver) -> Any:
        return self.middleware(app, self.next_middleware)


@functools.cache  # the same few middlewares again for every route, and for each 404's stack
def _asks_for_injection(middleware: Callable[..., Any]) -> bool:
    return len(inspect.signature(middleware).parameters) > 2  # more than (app, next_middleware)


def _direct_calls(stack: Callable[..., Any], route: Route) -> Callable[..., Any]:
    """The middleware stack Powertools built for a route, in the same order, its frames direct calls; a middleware
    that takes more than (app, next_middleware) keeps Powertools' frame, which injects its arguments."""
    if not isinstance(stack, MiddlewareFrame):
        return stack  # the route's own function, at the bottom of the stack
    inner = _direct_calls(stack.next_middleware, route)
    if stack.current_middleware is _registered_api_adapter and _calls_plainly(route):
        return _RouteCall(inner)
    if _asks_for_injection(stack.current_middleware):
        stack.next_middleware = inner
        return stack
    return _DirectFrame(stack.current_middleware, inner)


def _calls_plainly(route: Route) -> bool:
    """The route's function takes only its validated arguments: no `Request` parameter, no `Depends`."""
    return not route.has_dependencies and _find_request_param_name(route.func) is None


class _RouteCall:
    """The bottom of a route's stack: its function called with the validated arguments and its answer made a
    Response, as Powertools' `_registered_api_adapter` does for a function without `Request` or `Depends`, but
    without that adapter's debug line, whose f-string formats every argument (a request body's model repr)
    whether debug logging is on or not: ~30,000 instructions a borrow."""

    __slots__ = ("route_function",)

    def __init__(self, route_function: Callable[..., Any]):
        self.route_function = route_function

    def __call__(self, app: APIGatewayRestResolver) -> Any:
        return app._to_response(self.route_function(**app.context.get("_route_args", {})))


class _RequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, the same steps in the same order and the same answers, except that a route
    declaring no header (no cookie) parameter skips reading the headers (cookies): Powertools builds a
    case-insensitive copy of every multi-value header (a Python loop over ~20 names) and parses the Cookie header
    for every request, only to find nothing asked for. The multi-value headers come lowered from the event
    (`_RequestEvent`), as the copy Powertools would make."""

    def handler(self, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
        dependant = app.context["_route"].dependant
        event = app.current_event
        path_values, path_errors = _request_params_to_args(dependant.path_params, app.context["_route_args"])
        query_string = _normalize_multi_params(
            event.resolved_query_string_parameters,
            dependant.query_params,
            multi_value_params=_get_multi_value_query_params(event),
        )
        query_values, query_errors = _request_params_to_args(dependant.query_params, query_string)
        declared_values, declared_errors = _headers_and_cookies(dependant, event)
        values = {**path_values, **query_values, **declared_values}
        errors = path_errors + query_errors + declared_errors
        if dependant.body_params:
            body_values, body_errors = _request_body_to_args(dependant.body_params, self._get_body(app))
            values.update(body_values)
            errors.extend(body_errors)
        if errors:
            raise RequestValidationError(_normalize_errors(errors))
        app.context["_route_args"] = values
        return next_middleware(app)


def _headers_and_cookies(dependant: Any, event: _RequestEvent) -> tuple[dict[str, Any], list[Any]]:
    """The route's header and cookie values (in that order) and errors, each read only when the route declares any."""
    values: dict[str, Any] = {}
    errors: list[Any] = []
    if dependant.header_params:
        headers = _normalize_multi_params(
            event.resolved_headers_field, dependant.header_params, multi_value_params=event.multi_value_headers
        )
        values, errors = _request_params_to_args(dependant.header_params, headers)
    if dependant.cookie_params:
        cookie_values, cookie_errors = _request_params_to_args(dependant.cookie_params, event.resolved_cookies_field)
        values = {**values, **cookie_values}
        errors = errors + cookie_errors
    return values, errors


class LibraryResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with costs of its fixed path per request taken out: the headers copied into a new
    case-insensitive dict on every read (`_RequestEvent`), the middleware frames' and the route adapter's per-call
    debug and injection work (`_DirectFrame`, `_RouteCall`), and request validation reading headers and cookies a
    route does not declare (`_RequestValidation`). Routing, validation, middleware order and exception handling
    are its own."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        if hasattr(self, "_request_validation_middleware"):
            self._request_validation_middleware = _RequestValidation()

    def _to_proxy_event(self, event: dict) -> _RequestEvent:
        return _RequestEvent(event, self._json_body_deserializer)

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> Any:
        # Debug mode keeps Powertools' frames: they are what it prints.
        if not route._middleware_stack_built and not self._debug:
            route._build_middleware_stack(router_middlewares=self._router_middlewares, app=self)
            route._middleware_stack = _direct_calls(route._middleware_stack, route)
        return super()._call_route(route, route_arguments)


def create_app() -> APIGatewayRestResolver:
    _remember_annotation_answers()
    app = LibraryResolver(enable_validation=True, response_validation_error_http_code=500, serializer=json_text)
    app.configure_openapi(title="Library API", security_schemes={BEARER: BEARER_SCHEME})
    app.use(middlewares=[_bind_caller])
    app.exception_handler(LibraryError)(error_response)
    app.exception_handler(RequestValidationError)(_validation_failed)
    app.exception_handler(RequestUnsupportedContentType)(_unsupported_media_type)
    app.exception_handler(DBAPIError)(_database_refused)
    app.exception_handler(ConnectionError)(_connection_lost)
    app.exception_handler(TimeoutError)(_database_timed_out)
    app.exception_handler(ResponseValidationError)(_response_invalid)
    app.not_found(_no_route)
    app.exception_handler(Exception)(_unexpected)
    return app


def _resolve(app: APIGatewayRestResolver, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Resolves the request, and once more on a fresh connection when its pooled one was found dead before it
    started any commit (a database restart leaves every idle pooled connection dead)."""
    for attempt in range(2):
        commits = db.commits_started.set(0)
        retry = _retry_wanted.set(False)
        try:
            answer = app.resolve(event, context)
            if attempt == 0 and _retry_wanted.get():
                continue
            return answer
        finally:
            db.commits_started.reset(commits)
            _retry_wanted.reset(retry)
    return answer


# Powertools' rule: a provisioned-concurrency instance was initialised before any request, so none is cold.
_COLD_STARTS = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"
_invocations = itertools.count()


def _bind_log_context(event: dict[str, Any], context: LambdaContext) -> None:
    """The keys every log line of the invocation carries, as `Logger.inject_lambda_context(clear_state=True)` sets
    them (the keys a previous invocation appended dropped; cold start; the Lambda context's fields), with API
    Gateway's request id as the correlation id, read as the dict it is (`correlation_id_path` would run a JMESPath
    search). The event itself is never logged: it carries the caller's token.

    The formatter's keys are the container's own but for three: the keys Powertools' `structure_logs` makes for
    this container are made once (`_log_keys_template`) and each invocation fills in its own three, in their
    places. Powertools rebuilds all of them on every call: ~40,000 instructions a request, against ~10,000."""
    first = next(_invocations) == 0 and _COLD_STARTS
    formatter = logger.registered_formatter
    template = _log_keys_template(
        formatter, context.function_name, context.memory_limit_in_mb, context.invoked_function_arn
    )
    formatter.log_format = {
        **template,
        "cold_start": first,
        "function_request_id": context.aws_request_id,
        "correlation_id": (event.get("requestContext") or {}).get("requestId"),
    }
    formatter.thread_safe_clear_keys()
    if logger.sampling_rate and not first:
        logger.refresh_sample_rate_calculation()  # each request sampled anew, as the decorator does


@functools.lru_cache(maxsize=8)
def _log_keys_template(formatter: Any, function_name: str, memory_size: int, function_arn: str) -> dict[str, Any]:
    """The formatter's keys for a container, as Powertools' `structure_logs` makes them; the three keys each
    invocation has its own of are left empty, in the place that call gives them."""
    logger.structure_logs(
        cold_start=None,
        function_name=function_name,
        function_memory_size=memory_size,
        function_arn=function_arn,
        function_request_id=None,
        correlation_id=None,
    )
    return dict(formatter.log_format)


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The function's handler, built last at import: the garbage collection its `app` module paused while importing
    resumes (library_common.cold_start)."""
    cold_start.resume_collection()

    @metrics.flushed
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        _bind_log_context(event, context)
        headers = event.get("headers")
        lowered = _request_headers.set((headers, _lowered_names(headers)))
        try:
            return _unreadable_body_refusal(event) or _resolve(app, event, context)
        finally:
            _request_headers.reset(lowered)

    return lambda_handler
