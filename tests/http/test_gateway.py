"""The local API answers as API Gateway would: template routes, authorizer first, gateway responses."""

import json
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from devtools import template
from library_common import migrate
from tests.http.client import call

pytestmark = pytest.mark.http


def test_health_is_public_and_reports_the_schema(local_api):
    reply = call(local_api, "GET", "/health")
    assert reply.status == 200
    assert reply.body["data"]["schema_version"] == migrate.SCHEMA_HEAD


def test_a_protected_route_without_a_token_gets_the_templates_401_envelope(local_api):
    reply = call(local_api, "GET", "/auth")
    expected = template.load().gateway_responses["UNAUTHORIZED"]
    assert reply.status == 401
    assert reply.body == json.loads(expected.body)
    assert reply.headers.get("WWW-Authenticate") == "Bearer"


@pytest.mark.parametrize("authorization", ["Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer a.b.c"])
def test_a_bad_token_is_stopped_by_the_authorizer(local_api, authorization):
    reply = call(local_api, "GET", "/auth", headers={"Authorization": authorization})
    assert reply.status == 401
    assert reply.body["code"] == "UNAUTHORIZED"


def test_a_valid_token_reaches_the_function_with_the_caller(local_api, users):
    member = users.create("member", name="Mia")
    reply = call(local_api, "GET", "/auth", token=users.token(member))
    assert reply.status == 200
    assert reply.body["data"]["id"] == member["id"] and reply.body["data"]["name"] == "Mia"
    assert reply.body["status"] == 200 and reply.body["message"]


def test_an_unknown_route_or_method_is_a_404_envelope(local_api):
    for method, path in (("GET", "/no-such-thing"), ("DELETE", "/health")):
        reply = call(local_api, method, path)
        assert reply.status == 404
        assert reply.body["code"] == "ROUTE_NOT_FOUND" and reply.body["data"] is None


def test_openapi_and_docs_are_served(local_api):
    document = call(local_api, "GET", "/openapi.json").body
    assert {"/health", "/auth"} <= set(document["paths"])
    docs = call(local_api, "GET", "/docs")
    assert docs.status == 200 and docs.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in docs.text


def test_concurrent_requests_are_served_in_parallel_workers(local_api, users):
    member = users.create("member")
    token = users.token(member)
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(lambda _: call(local_api, "GET", "/auth", token=token), range(24)))
    assert [reply.status for reply in replies] == [200] * 24


@pytest.mark.parametrize(
    "request_head, body",
    [
        ("GET /health HTTP/1.1\r\nContent-Length: :\r\n", b""),
        ("POST /auth/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n", b'{"email": "a'),
    ],
    ids=["malformed Content-Length", "body shorter than its Content-Length"],
)
def test_broken_request_framing_gets_the_400_envelope_not_a_hang(local_api, request_head, body):
    host, port = urlsplit(local_api).hostname, urlsplit(local_api).port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(f"{request_head}Host: {host}\r\n\r\n".encode() + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(payload) == json.loads(template.load().gateway_responses["DEFAULT_4XX"].body)


def test_each_answer_on_a_kept_alive_connection_arrives_whole_in_one_segment(local_api):
    """Headers and body leave in one write with Nagle's algorithm off: written apart, the body of every answer
    after the first waited for the client's delayed ACK (~40 ms a request on a kept-alive connection)."""
    host, port = urlsplit(local_api).hostname, urlsplit(local_api).port
    with socket.create_connection((host, port), timeout=10) as connection:
        for _ in range(3):
            connection.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head, _, body = connection.recv(65536).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            announced = re.search(rb"(?im)^content-length: *(\d+)", head)
            assert announced and len(body) == int(announced.group(1)), (head, body)
            assert json.loads(body)["status"] == 200


def _exchange(local_api: str, request: bytes, *, then: bytes = b"") -> list[bytes]:
    """Sends `request` on a new connection (and `then` after the first reply, as a client waiting for
    100 Continue would) and returns every byte the local API sent until it closed the connection."""
    host, port = urlsplit(local_api).hostname, urlsplit(local_api).port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(request)
        replies = [connection.recv(65536)]
        if then:
            connection.sendall(then)
        while chunk := connection.recv(65536):
            replies.append(chunk)
    return replies


def test_a_client_expecting_100_continue_gets_it_before_it_sends_the_body(local_api):
    body = b'{"email": "nobody@example.org", "password": "wrong-password"}'
    head = (
        "POST /auth/login HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    first, *rest = _exchange(local_api, head.encode(), then=body)
    assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
    answer_head, _, answer = b"".join(rest).partition(b"\r\n\r\n")
    assert answer_head.startswith(b"HTTP/1.1 401")
    assert json.loads(answer)["status"] == 401


def test_an_http_1_0_request_is_answered_and_its_connection_closed(local_api):
    answer = b"".join(_exchange(local_api, b"GET /health HTTP/1.0\r\nHost: local\r\n\r\n"))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"\r\nConnection: close" in head
    assert json.loads(body)["status"] == 200


def test_more_than_100_header_fields_are_refused_with_431(local_api):
    fields = "".join(f"X-Field-{number}: {number}\r\n" for number in range(101))
    request = f"GET /health HTTP/1.1\r\nHost: local\r\n{fields}\r\n".encode()
    assert b"".join(_exchange(local_api, request)).startswith(b"HTTP/1.1 431")


@pytest.mark.parametrize(
    "bad_line",
    [
        "X-Trace-Id abc123",
        " folded onto the field above",
        "\tfolded onto the field above",
        "X-Trace-Id : abc123",
        ": abc123",
    ],
    ids=["no colon", "folded with a space", "folded with a tab", "space before the colon", "no name"],
)
def test_a_malformed_header_line_is_a_400_envelope_and_the_connection_closes(local_api, bad_line):
    """RFC 9112 5 and 5.2: such a request cannot be read as its sender meant it, so neither it nor anything sent
    after it on the connection is served."""
    request = f"GET /health HTTP/1.1\r\nHost: local\r\nX-Before: 1\r\n{bad_line}\r\n\r\n"
    then = "GET /health HTTP/1.1\r\nHost: local\r\n\r\n"
    answer = b"".join(_exchange(local_api, (request + then).encode()))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"\r\nConnection: close" in head
    assert json.loads(body) == json.loads(template.load().gateway_responses["DEFAULT_4XX"].body)
    assert answer.count(b"HTTP/1.1 ") == 1, "the request sent after it is not served"


def test_well_formed_fields_however_spaced_are_served(local_api):
    # No space after a colon, tabs around a value: fields all the same, and the connection serves the next request.
    first = b"GET /health HTTP/1.1\r\nHost:local\r\nX-Note: \t two  words \t\r\nAccept:*/*\r\n\r\n"
    last = b"GET /health HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n"
    answers = b"".join(_exchange(local_api, first + last))
    assert answers.count(b"HTTP/1.1 200 OK\r\n") == 2, answers
