"""The functions' own time per request: the handler in process against its own SQL through a bare pg8000 connection.

GET /books (page 1, 20 items), a two-word search and a member's GET /loans (20 loans) run through their
handlers (event in, envelope out) with every statement captured by a `before_cursor_execute` listener; each
request's statements are then replayed, in order, on a bare pg8000 connection to the same database, with the
placeholders already in PostgreSQL's form and the same type converters as the layer's connections. Handler and
replay alternate request by request, so the machine's drift touches both alike. The function's own time
(routing, validation, SQLAlchemy, the rules, serialisation, the envelope) is the handler's median minus the
replay's. Borrow and return are measured the same way in bench_loans, the authorizer's warm call in bench_auth.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pg8000
from sqlalchemy import event, make_url, text

from bench.support import scratch_database
from library_common import db
from tests.conftest import LambdaContext, load_event

BOOKS = 10_000
MEMBER_LOANS = 20
ROUNDS = 2_000
WARM_UP = 100
TARGET_MS = 1.3
WORDS = "river silver shadow garden winter summer night morning stone iron glass paper fire water wind storm"
SEED = [
    f"""INSERT INTO books (title, author, genre, description, quantity)
        SELECT initcap(w[1 + n % 16] || ' ' || w[1 + (n / 16) % 16] || ' ' || n), 'Author ' || (n % 300),
               'Genre ' || (n % 20), w[1 + (n / 7) % 16] || ' and ' || w[1 + (n / 3) % 16], 1 + n % 3
        FROM generate_series(1, {BOOKS}) n, (SELECT string_to_array('{WORDS}', ' ') AS w) words""",
    """INSERT INTO users (name, email, password_hash, role, is_active)
       VALUES ('Member', 'member@bench.example', 'x', 'member', true)""",
    f"""INSERT INTO loans (user_id, book_id, borrowed_on, due_date, returned_on)
        SELECT 1, n, now() - make_interval(days => n), current_date - n + 14,
               CASE WHEN n % 2 = 0 THEN now() - make_interval(days => n) + interval '5 days' END
        FROM generate_series(1, {MEMBER_LOANS}) n""",
    f"UPDATE books SET copies_on_loan = 1 WHERE id <= {MEMBER_LOANS} AND id % 2 = 1",
    "VACUUM ANALYZE",
]


def _query_event(name: str, query: dict[str, str], **changes: Any) -> dict[str, Any]:
    request = load_event(name)
    request["queryStringParameters"] = query or None
    request["multiValueQueryStringParameters"] = {key: [value] for key, value in query.items()} or None
    request.update(changes)
    return request


def _requests() -> dict[str, tuple[Any, dict[str, Any]]]:
    from library_books.app import lambda_handler as books
    from library_loans.app import lambda_handler as loans

    member = {"principalId": "1", "user_id": "1", "role": "member", "permissions": ""}
    my_loans = _query_event("loans/list_loans.json", {})
    my_loans["requestContext"]["authorizer"] = member
    return {
        "GET /books (page 1, 20 items)": (books, _query_event("books/list_books.json", {"page_size": "20"})),
        "GET /books?search=<two words>": (books, _query_event("books/list_books.json", {"search": "silver river"})),
        f"GET /loans (a member's {MEMBER_LOANS})": (loans, my_loans),
    }


@contextmanager
def _capturing() -> Iterator[list[tuple[str, Any]]]:
    captured: list[tuple[str, Any]] = []

    def capture(_connection, _cursor, statement, parameters, _context, _executemany) -> None:
        captured.append((statement, parameters))

    event.listen(db.get_engine(), "before_cursor_execute", capture)
    try:
        yield captured
    finally:
        event.remove(db.get_engine(), "before_cursor_execute", capture)


def _bare_connection(url: str) -> Any:
    parsed = make_url(url)
    connection = pg8000.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host or "localhost",
        port=parsed.port or 5432,
        database=parsed.database,
        unix_sock=dict(parsed.query).get("unix_sock"),
    )
    # The layer's own connection settings (its type converters), when it has any: the driver at its best.
    configure = getattr(db, "configure_connection", None)
    if configure is not None:
        configure(connection, None)
    return connection


def _replay(connection: Any, statements: list[tuple[str, Any]]) -> None:
    cursor = connection.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        if cursor.description:
            cursor.fetchall()
    connection.commit()


def _timed(work: Any) -> tuple[float, float, Any]:
    """(wall seconds, this thread's CPU seconds, result) of one call."""
    cpu, started = time.thread_time(), time.perf_counter()
    result = work()
    return time.perf_counter() - started, time.thread_time() - cpu, result


def measure(handler: Any, request: dict[str, Any], bare: Any) -> dict[str, float]:
    samples: dict[str, list[float]] = {"handler": [], "replay": [], "handler cpu": [], "replay cpu": []}
    for round_number in range(WARM_UP + ROUNDS):
        with _capturing() as captured:
            wall, cpu, response = _timed(lambda: handler(request, LambdaContext()))
        if response["statusCode"] != 200:
            raise RuntimeError(response["body"][:300])
        replay_wall, replay_cpu, _ = _timed(lambda: _replay(bare, captured))
        if round_number >= WARM_UP:
            for name, value in zip(samples, (wall, replay_wall, cpu, replay_cpu), strict=True):
                samples[name].append(value)
    figures = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    items = len(json.loads(response["body"])["data"]["items"])
    return {**figures, "statements": len(captured), "items": items}


def run() -> str:
    with scratch_database() as url:
        with db.get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for statement in SEED:
                connection.execute(text(statement))
        bare = _bare_connection(url)
        try:
            figures = {name: measure(handler, request, bare) for name, (handler, request) in _requests().items()}
        finally:
            bare.close()
    lines = [
        f"{BOOKS:,} books. Medians over {ROUNDS:,} requests each after {WARM_UP} warm-up requests, the handler and "
        "the replay of its statements through bare pg8000 alternating request by request:",
        "",
        "| request | items | SQL statements | handler ms (CPU ms) | bare pg8000 ms (CPU ms) "
        "| own time, wall ms | own time, CPU ms | target (own CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, figure in figures.items():
        own_wall = figure["handler"] - figure["replay"]
        own_cpu = figure["handler cpu"] - figure["replay cpu"]
        verdict = "met" if own_cpu <= TARGET_MS else "NOT met"
        lines.append(
            f"| {name} | {figure['items']} | {figure['statements']} | {figure['handler']:.2f} "
            f"({figure['handler cpu']:.2f}) | {figure['replay']:.2f} ({figure['replay cpu']:.2f}) | {own_wall:.2f} "
            f"| {own_cpu:.2f} | at most {TARGET_MS} ms: **{verdict}** |"
        )
    lines += [
        "",
        "The CPU columns are this thread's CPU time (the operating system's accounting): waiting for the server "
        "counts in neither, so handler CPU minus replay CPU is the function's own work, which on a shared, busy "
        "machine the wall-clock difference overstates (a wake-up after each round trip waits for a free core).",
    ]
    return "\n".join(lines)
