"""The local stand-in for `sam local start-api` (which needs Docker).

It serves the routes of template.yaml, runs the authorizer first on protected routes, builds REST API proxy
events of the same shape as `sam local generate-event apigateway aws-proxy`, and answers gateway-level
failures with the template's GatewayResponses. Each function runs in worker processes that see only its own
folder and the layer, one event at a time, so concurrent requests behave as they do across Lambda containers.
"""

from __future__ import annotations

import base64
import fnmatch
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from devtools import template
from devtools.template import Api, Function, Route

WORKER_SOURCE = (Path(__file__).with_name("lambda_worker.py")).read_text()
ACCOUNT_ID = "123456789012"
API_ID = "localapi01"
STARTUP_TIMEOUT_SECONDS = 30
PIPE_BUFFER_BYTES = 64 * 1024


class FunctionFailed(Exception):
    """The function raised, crashed or timed out: API Gateway answers 5xx."""


class _Worker:
    """One worker process. Events and answers cross its pipes as lines of JSON, orjson both ways (the standard
    library's encoder and decoder were about half of the local API's own instructions a request), with an
    answer's body as raw bytes after its line rather than a JSON text escaped into a JSON string."""

    def __init__(self, function: Function, environment: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER_SOURCE, function.handler],
            cwd=function.code_dir,
            # The layer alone, like /opt/python; the working directory (the function's folder) is /var/task.
            env={**environment, "PYTHONPATH": str(template.LAYER_DIR)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # A pipe's capacity: an answer the worker wrote at once is read at once, not in 4 KiB reads.
            bufsize=PIPE_BUFFER_BYTES,
        )
        self._read_line(STARTUP_TIMEOUT_SECONDS)

    def _read_line(self, timeout: float) -> dict[str, Any]:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else b""
        reply = orjson.loads(line) if line else None
        if reply is not None and "bodyBytes" in reply:
            reply = self._with_body(reply)
        if reply is None:
            self.stop()
            raise FunctionFailed("timed out" if not ready else "the function's process exited")
        return reply

    def _with_body(self, reply: dict[str, Any]) -> dict[str, Any] | None:
        """The result with its body, which follows its line as raw UTF-8 (lambda_worker.body_apart); None when the
        process exited before writing all of it."""
        body = self.process.stdout.read(reply["bodyBytes"])
        if len(body) != reply["bodyBytes"]:
            return None
        reply["result"]["body"] = body.decode()
        return reply

    def invoke(self, event: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.process.stdin.write(orjson.dumps({"event": event, "timeout": timeout}) + b"\n")
        self.process.stdin.flush()
        return self._read_line(timeout)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class FunctionPool:
    """Up to `concurrency` workers per function, started on demand and reused, like warm containers."""

    def __init__(self, function: Function, environment: dict[str, str], concurrency: int):
        self.function = function
        self.environment = environment
        self.concurrency = concurrency
        self._idle: list[_Worker] = []
        self._count = 0
        self._available = threading.Condition()

    def _acquire(self) -> _Worker:
        with self._available:
            while not self._idle and self._count >= self.concurrency:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return _Worker(self.function, self.environment)
        except BaseException:
            self._release(None)
            raise

    def _release(self, worker: _Worker | None) -> None:
        with self._available:
            if worker is not None and worker.alive:
                self._idle.append(worker)
            else:
                self._count -= 1
            self._available.notify()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        worker = self._acquire()
        try:
            reply = worker.invoke(event, self.function.timeout)
        except FunctionFailed:
            self._release(None)
            raise
        self._release(worker)
        if "result" not in reply:
            raise FunctionFailed(f"{reply.get('errorType')}: {reply.get('errorMessage')}")
        return reply["result"]

    def stop(self) -> None:
        with self._available:
            for worker in self._idle:
                worker.stop()
            self._idle.clear()


@dataclass
class _CachedPolicy:
    expires: float
    policy: dict[str, Any]
    context: dict[str, Any]


class LocalApi:
    def __init__(self, api: Api, environment: dict[str, str], concurrency: int = 8):
        self.api = api
        self.pools = {
            logical_id: FunctionPool(
                function,
                {**environment, **function.environment, **_local_overrides(function, environment)},
                concurrency,
            )
            for logical_id, function in api.functions.items()
        }
        self._policies: dict[str, _CachedPolicy] = {}
        self._policies_lock = threading.Lock()
        # A path without {parameters} is found by a dictionary lookup, the others by their patterns in the
        # template's order of specificity: a literal route outranks every templated one that matches its path.
        self._literal_routes: dict[str, list[Route]] = {}
        for route in api.routes:
            if "{" not in route.path:
                self._literal_routes.setdefault(route.path, []).append(route)
        self._templated_routes = [route for route in api.routes if "{" in route.path]

    def stop(self) -> None:
        for pool in self.pools.values():
            pool.stop()

    # --- the gateway -------------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: RequestHeaders, body: bytes, source_ip: str):
        """Returns (status, headers, body bytes) exactly as API Gateway would answer."""
        url = urlsplit(raw_path)
        path = url.path or "/"
        if method == "OPTIONS":
            return self._preflight()
        route, path_parameters = self._match(method, path)
        if route is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN")
        authorizer_context: dict[str, Any] | None = None
        if route.authorized and self.api.authorizer is not None:
            token = headers.get(self.api.authorizer.header)
            if not token:
                return self._gateway_response("UNAUTHORIZED")
            outcome = self._authorize(token, method, path)
            if isinstance(outcome, str):
                return self._gateway_response(outcome)
            authorizer_context = outcome
        event = self._proxy_event(method, url, path, route, path_parameters, headers, body, source_ip)
        if authorizer_context is not None:
            event["requestContext"]["authorizer"] = authorizer_context
        try:
            result = self.pools[route.function].invoke(event)
        except FunctionFailed as error:
            print(f"[local-api] {route.function} failed: {error}", file=sys.stderr)
            return self._gateway_response("DEFAULT_5XX")
        return _proxy_result(result)

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self._literal_routes.get(path, ()):
            if route.method in (method, "ANY"):
                return route, {}
        for route in self._templated_routes:
            found = route.pattern.match(path)
            if found and route.method in (method, "ANY"):
                return route, found.groupdict()
        return None, {}

    def _method_arn(self, method: str, path: str) -> str:
        return f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/{self.api.stage}/{method}{path}"

    def _authorize(self, token: str, method: str, path: str) -> dict[str, Any] | str:
        now = time.monotonic()
        with self._policies_lock:
            cached = self._policies.get(token)
        if cached is None or cached.expires < now:
            arn = self._method_arn(method, path)
            event = {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
            try:
                result = self.pools[self.api.authorizer.function].invoke(event)
            except FunctionFailed as error:
                if "Unauthorized" in str(error):
                    return "UNAUTHORIZED"
                print(f"[local-api] authorizer failed: {error}", file=sys.stderr)
                return "DEFAULT_5XX"
            cached = _CachedPolicy(
                expires=now + self.api.authorizer.ttl_seconds,
                policy=result.get("policyDocument", {}),
                context={**result.get("context", {}), "principalId": result.get("principalId")},
            )
            with self._policies_lock:
                self._policies[token] = cached
        # A cached policy is re-checked against this request's ARN, as API Gateway does.
        if not _policy_allows(cached.policy, self._method_arn(method, path)):
            return "ACCESS_DENIED"
        return cached.context

    def malformed_request(self):
        """A request whose framing is broken (a bad Content-Length, a body shorter than announced): the gateway's
        400 envelope, never a dropped connection or a request left waiting for bytes that never come."""
        return self._gateway_response("DEFAULT_4XX")

    def _gateway_response(self, response_type: str):
        response = self.api.gateway_responses.get(response_type)
        if response is None:
            fallback = "DEFAULT_5XX" if response_type in ("DEFAULT_5XX", "AUTHORIZER_FAILURE") else "DEFAULT_4XX"
            response = self.api.gateway_responses[fallback]
        return response.status, dict(response.headers), response.body.encode()

    def _preflight(self):
        return (
            200,
            {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Headers": "Authorization,Content-Type,Idempotency-Key",
                "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
            },
            b"",
        )

    def _proxy_event(self, method, url, path, route, path_parameters, headers: RequestHeaders, body: bytes, source_ip):
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            multi_query.setdefault(name, []).append(value)
        try:
            text, is_base64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body).decode(), True
        now = time.time()
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            # A repeated header: its last value, and all of them in multiValueHeaders, as API Gateway sends them.
            "headers": {name: values[-1] for name, values in headers.all.items()} or None,
            "multiValueHeaders": dict(headers.all) or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": API_ID,
                "resourceId": "local",
                "resourcePath": route.path,
                "httpMethod": method,
                # What the client asked for, as API Gateway reports it (no stage prefix here: the local API has none).
                "path": path,
                "stage": self.api.stage,
                "protocol": "HTTP/1.1",
                "requestId": str(uuid.uuid4()),
                "requestTime": _request_time(int(now)),
                "requestTimeEpoch": int(now * 1000),
                "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent")},
            },
            "body": text if body else None,
            "isBase64Encoded": is_base64,
        }


class RequestHeaders:
    """A request's header fields: every value of each name as the client spelled it, and a case-blind lookup."""

    def __init__(self, fields: list[tuple[str, str]]):
        self.all: dict[str, list[str]] = {}
        self._by_lowered: dict[str, str] = {}
        for name, value in fields:
            self.all.setdefault(name, []).append(value)
            self._by_lowered[name.lower()] = value

    def get(self, name: str, default: str | None = None) -> str | None:
        """The last value of `name`, whatever its case (the one API Gateway puts in `headers`)."""
        return self._by_lowered.get(name.lower(), default)


@lru_cache(maxsize=2)
def _request_time(second: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))


@lru_cache(maxsize=2)
def _http_date(second: int) -> str:
    return formatdate(second, usegmt=True)


def _policy_allows(policy: dict[str, Any], arn: str) -> bool:
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    allowed = False
    for statement in statements:
        resources = statement.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if any(fnmatch.fnmatchcase(arn, resource) for resource in resources):
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _proxy_result(result: dict[str, Any]):
    headers: dict[str, str | list[str]] = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        # Set-Cookie cannot be folded into one comma-separated line: API Gateway sends one header per cookie.
        folded = name.lower() != "set-cookie"
        headers[name] = ", ".join(str(v) for v in values) if folded else [str(v) for v in values]
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return int(result.get("statusCode", 200)), headers, payload


def _local_overrides(function: Function, environment: dict[str, str]) -> dict[str, str]:
    """Like `sam local --env-vars`: a variable the template declares takes the developer's value when set."""
    return {name: environment[name] for name in function.environment if name in environment}


# Answers up to this size (headers and body) leave the local API in one send.
RESPONSE_BUFFER_BYTES = 256 * 1024
# How long a request may take to deliver the body its Content-Length announces.
BODY_READ_TIMEOUT_SECONDS = 2
# The standard library's limits on a request's header fields.
MAX_HEADER_LINE = 65536
MAX_HEADER_FIELDS = 100


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    # Python's default backlog of 5 resets connections when a burst of clients (a race test) connects at once.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser closing a kept-alive connection or cancelling a request is the client's choice, not a failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _MalformedFields(ValueError):
    """A header line that is not `name: value` (RFC 9112 5): no colon, no name, whitespace between the name and
    its colon, or an obsolete line folding (a line starting with a space or a tab, 5.2)."""


def _read_fields(rfile: Any) -> list[tuple[str, str]] | None:
    """A request's header fields up to the blank line, or None past the standard library's limits (a line of
    64 KiB, 100 fields). A malformed line raises _MalformedFields: the request cannot be read as its sender meant
    it, and a server must not guess (RFC 9112 5 and 5.2: a 400)."""
    fields = []
    while True:
        line = rfile.readline(MAX_HEADER_LINE + 1)
        if len(line) > MAX_HEADER_LINE or len(fields) > MAX_HEADER_FIELDS:
            return None
        if line in (b"\r\n", b"\n", b""):
            return fields
        name, colon, value = line.decode("iso-8859-1").partition(":")
        # Whitespace at either end of the name: a folded line, or a space before the colon. (A token check by
        # regular expression, line by line, cost this loop 39% more instructions; this, 7%.)
        if not colon or not name or name.strip() != name:
            raise _MalformedFields(line[:80])
        fields.append((name, value.strip()))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one buffered write, and small segments are never held back: with Nagle's
    # algorithm on and the two written apart, a kept-alive client's delayed ACK stalled every answer ~40 ms.
    disable_nagle_algorithm = True
    wbufsize = RESPONSE_BUFFER_BYTES
    local_api: LocalApi
    quiet: bool

    def parse_request(self) -> bool:
        """The request line and header fields. HTTP/1.0 and 1.1 requests are read here: the email parser the
        standard library reads header fields with was a fifth of the gateway's own CPU a request. Other request
        lines (HTTP/0.9, malformed) go to the standard library, which answers them."""
        words = self.raw_requestline.split()
        if len(words) != 3 or words[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
            parsed = super().parse_request()
            self.headers = RequestHeaders(list(self.headers.items())) if parsed else None
            return parsed
        self.command, self.path, self.request_version = (word.decode("iso-8859-1") for word in words)
        self.requestline = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n")
        if self.path.startswith("//"):  # as the standard library does, so that no answer redirects off the host
            self.path = "/" + self.path.lstrip("/")
        try:
            fields = _read_fields(self.rfile)
        except _MalformedFields:
            # The gateway's 400 envelope, and the connection closed: where this request ends is unknown.
            self.close_connection = True
            self._answer(*self.local_api.malformed_request())
            return False
        if fields is None:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long or too many header fields")
            return False
        self.headers = RequestHeaders(fields)
        connection = (self.headers.get("Connection") or "").lower()
        http_1_0 = self.request_version == "HTTP/1.0"
        self.close_connection = connection == "close" or (http_1_0 and connection != "keep-alive")
        if not http_1_0 and (self.headers.get("Expect") or "").lower() == "100-continue":
            return self.handle_expect_100()
        return True

    def handle_expect_100(self) -> bool:
        # The answers' buffered writer would hold "100 Continue" back, and the client its body, until the body's
        # read timed out (curl sends Expect: 100-continue with every upload over 1 KiB).
        accepted = super().handle_expect_100()
        self.wfile.flush()
        return accepted

    def _read_body(self) -> bytes | None:
        """The request body, or None when the Content-Length is malformed or the body does not arrive."""
        announced = (self.headers.get("Content-Length") or "0").strip()
        if not announced.isdigit():
            return None
        length = int(announced)
        if not length:
            return b""
        self.connection.settimeout(BODY_READ_TIMEOUT_SECONDS)
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            return None
        finally:
            self.connection.settimeout(None)
        return body if len(body) == length else None

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            status, headers, payload = self.local_api.malformed_request()
            self.close_connection = True
        else:
            status, headers, payload = self.local_api.handle(
                self.command, self.path, self.headers, body, self.client_address[0]
            )
        self._answer(status, headers, payload)

    def _answer(self, status: int, headers: dict[str, Any], payload: bytes) -> None:
        """Status line, header fields and body in one write (and so one segment, up to the buffer's size)."""
        self.log_request(status, len(payload))
        lines = [f"{self.protocol_version} {status} {self.responses.get(status, ('',))[0]}"]
        lines.append(f"Date: {_http_date(int(time.time()))}")
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                lines.extend(f"{name}: {line}" for line in (value if isinstance(value, list) else [value]))
        lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        self.wfile.flush()

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the gateway, which answers unknown ones as API Gateway does.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if not self.quiet:
            super().log_message(format, *args)


def make_handler(local_api: LocalApi, quiet: bool) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"local_api": local_api, "quiet": quiet})


class Server:
    """The local API on a port, in a background thread; `stop()` ends it and its workers."""

    def __init__(self, environment: dict[str, str], host: str = "127.0.0.1", port: int = 3000, concurrency: int = 8):
        self.local_api = LocalApi(template.load(), environment, concurrency)
        quiet = environment.get("LOCAL_API_QUIET") == "1"
        self.httpd = _Listener((host, port), make_handler(self.local_api, quiet))
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.local_api.stop()
