"""CloudFormation's side of a custom resource, for the tests of the functions that back one: a Lambda context with
the time a deployment gives, and a real local HTTP server standing in for the pre-signed S3 ResponseURL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import LambdaContext


class DeployContext(LambdaContext):
    log_stream_name = "2026/03/10/[$LATEST]0123456789abcdef"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


@dataclass
class Responses:
    """What CloudFormation would have received at the ResponseURL."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def only(self) -> dict[str, Any]:
        assert len(self.received) == 1, self.received
        return self.received[0]


@pytest.fixture
def responses() -> Iterator[Responses]:
    recorded = Responses(url="")

    class ResponseBucket(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            recorded.received.append(
                {"path": self.path, "content_type": self.headers.get("Content-Type"), "body": json.loads(body)}
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            recorded.arrived.set()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ResponseBucket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorded.url = f"http://127.0.0.1:{server.server_port}/response?X-Amz-Signature=abc"
    yield recorded
    server.shutdown()
    server.server_close()
