"""Helpers the benchmarks share: a scratch database, percentile figures, and the in-process handler against its
own statements through bare pg8000 (events with a member's authorizer context, statement capture, replay)."""

from __future__ import annotations

import json
import os
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pg8000
from sqlalchemy import URL, event, make_url

from devtools import database
from library_common import db, tokens

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh migrated database (embedded unless DATABASE_URL is set), wired into the layer's settings."""
    server = database.server_url(Path(os.environ.get("LIBRARY_DATA_DIR", ROOT / ".data")))
    url = database.ensure_database(server, f"library_bench_{uuid.uuid4().hex[:8]}")
    database.migrate_database(url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database.as_environment_value(url)
    db.reset()
    tokens.clear_caches()
    try:
        yield os.environ["DATABASE_URL"]
    finally:
        db.reset()
        database.drop_database(url)
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary_ms(samples_seconds: list[float]) -> tuple[float, float]:
    """(median, p99) in milliseconds."""
    ms = [s * 1000 for s in samples_seconds]
    return statistics.median(ms), percentile(ms, 0.99)


class Context:
    """The Lambda context a handler is called with in process."""

    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15_000


def member_event(name: str, member_id: int, **changes: Any) -> dict[str, Any]:
    """events/<name>.json as a member's request (the authorizer's context), without an Idempotency-Key (each
    request a new one), top-level keys replaced by `changes`."""
    request = json.loads((ROOT / "events" / f"{name}.json").read_text())
    for headers in (request.get("headers") or {}, request.get("multiValueHeaders") or {}):
        headers.pop("Idempotency-Key", None)
    request["requestContext"]["authorizer"] = {
        "principalId": str(member_id),
        "user_id": str(member_id),
        "role": "member",
        "permissions": "",
    }
    request.update(changes)
    return request


@contextmanager
def capturing() -> Iterator[list[list[tuple[str, Any]]]]:
    """Every statement the layer's engine sends, one list per request: append an empty list before each request;
    `captured[-1]` is the current request's.

    Heard at the dialect's `do_execute` (and `do_execute_no_params`), where the driver is called: a connection
    event such as `before_cursor_execute` would switch on SQLAlchemy's event paths for every execution of the
    handler measured (~45,000 instructions a statement, ~0.24 M of a borrow), which no deployed function runs."""
    captured: list[list[tuple[str, Any]]] = []

    def capture(_cursor, statement, parameters, _context) -> None:
        captured[-1].append((statement, parameters))

    def capture_without_parameters(_cursor, statement, _context) -> None:
        captured[-1].append((statement, ()))

    listeners = {"do_execute": capture, "do_execute_no_params": capture_without_parameters}
    for name, listener in listeners.items():
        event.listen(db.get_engine(), name, listener)
    try:
        yield captured
    finally:
        for name, listener in listeners.items():
            event.remove(db.get_engine(), name, listener)


def bare_connection(url: str | URL, *, layer_readers: bool = False) -> Any:
    """A pg8000 connection of its own to the database at `url`; with `layer_readers`, the layer's own connection
    settings (its type converters): the driver at its best."""
    parsed = make_url(url)
    connection = pg8000.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host or "localhost",
        port=parsed.port or 5432,
        database=parsed.database,
        unix_sock=dict(parsed.query).get("unix_sock"),
    )
    if layer_readers:
        db.configure_connection(connection, None)
    return connection


def replay(connection: Any, statements: list[tuple[str, Any]]) -> None:
    """A request's statements in order on a bare connection, every row fetched, then COMMIT."""
    cursor = connection.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        if cursor.description:
            cursor.fetchall()
    connection.commit()
