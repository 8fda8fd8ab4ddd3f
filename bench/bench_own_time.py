"""The functions' own time per request: the handler in process against its own SQL through a bare pg8000 connection.

GET /books (page 1, 20 items), a two-word search and a member's GET /loans (20 loans) run through their
handlers (event in, envelope out) with every statement captured where the dialect calls the driver; each
request's statements are then replayed, in order, on a bare pg8000 connection to the same database, with the
placeholders already in PostgreSQL's form and the same type converters as the layer's connections. Handler and
replay alternate request by request, so the machine's drift touches both alike. The function's own time
(routing, validation, SQLAlchemy, the rules, serialisation, the envelope) is the handler's median minus the
replay's. A borrow and a return (each round a member and a title of their own) are measured the same way, their
statements replayed on a twin database seeded alike (bench_loans compares them with pg8000 as shipped); the
authorizer's warm call is measured in bench_auth.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import make_url, text

from bench.support import Context, bare_connection, capturing, member_event, replay, scratch_database
from devtools import database
from library_common import db
from tests.conftest import load_event

BOOKS = 10_000
MEMBER_LOANS = 20
ROUNDS = 2_000
WARM_UP = 100
TARGET_MS = 1.3
TARGET_WRITE_MS = 0.8
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
    # A member and a title of their own for each round's borrow and return.
    f"""INSERT INTO users (name, email, password_hash, role, is_active)
        SELECT 'Borrower ' || n, 'borrower' || n || '@bench.example', 'x', 'member', true
        FROM generate_series(1, {WARM_UP + ROUNDS}) n""",
    f"""INSERT INTO books (title, author, quantity)
        SELECT 'Loanable ' || n, 'Author', 1 FROM generate_series(1, {WARM_UP + ROUNDS}) n""",
    "VACUUM ANALYZE",
]
FIRST_BORROWER = 2  # user 1 is the member with the 20 loans
FIRST_LOANABLE = BOOKS + 1


def _query_event(name: str, query: dict[str, str], **changes: Any) -> dict[str, Any]:
    request = load_event(name)
    request["queryStringParameters"] = query or None
    request["multiValueQueryStringParameters"] = {key: [value] for key, value in query.items()} or None
    request.update(changes)
    return request


class Request(NamedTuple):
    handler: Any
    event_for: Callable[[int], dict[str, Any]]  # the request of round n
    target_ms: float
    writes: bool = False  # replayed on the twin database, which the handler's writes leave in the same state
    lends: bool = False  # a borrow: its loan is kept for the return of the same round


def _requests() -> tuple[dict[str, Request], dict[int, int]]:
    from library_books.app import lambda_handler as books
    from library_loans.app import lambda_handler as loans

    member = {"principalId": "1", "user_id": "1", "role": "member", "permissions": ""}
    my_loans = _query_event("loans/list_loans.json", {})
    my_loans["requestContext"]["authorizer"] = member
    page = _query_event("books/list_books.json", {"page_size": "20"})
    search = _query_event("books/list_books.json", {"search": "silver river"})
    loan_ids: dict[int, int] = {}  # round -> the loan its borrow made, for the return of the same round

    def borrow(n: int) -> dict[str, Any]:
        return member_event("loans/borrow", FIRST_BORROWER + n, body=json.dumps({"book_id": FIRST_LOANABLE + n}))

    def return_loan(n: int) -> dict[str, Any]:
        loan = str(loan_ids[n])
        return member_event(
            "loans/return_loan", FIRST_BORROWER + n, path=f"/loans/{loan}/return", pathParameters={"loan_id": loan}
        )

    return {
        "GET /books (page 1, 20 items)": Request(books, lambda _n: page, TARGET_MS),
        "GET /books?search=<two words>": Request(books, lambda _n: search, TARGET_MS),
        f"GET /loans (a member's {MEMBER_LOANS})": Request(loans, lambda _n: my_loans, TARGET_MS),
        "POST /loans (a borrow)": Request(loans, borrow, TARGET_WRITE_MS, writes=True, lends=True),
        "POST /loans/{id}/return": Request(loans, return_loan, TARGET_WRITE_MS, writes=True),
    }, loan_ids


def _timed(work: Any) -> tuple[float, float, Any]:
    """(wall seconds, this thread's CPU seconds, result) of one call."""
    cpu, started = time.thread_time(), time.perf_counter()
    result = work()
    return time.perf_counter() - started, time.thread_time() - cpu, result


def measure(request: Request, bare: Any, loan_ids: dict[int, int]) -> dict[str, Any]:
    samples: dict[str, list[float]] = {"handler": [], "replay": [], "handler cpu": [], "replay cpu": []}
    context = Context()
    with capturing() as captured:
        for round_number in range(WARM_UP + ROUNDS):
            event = request.event_for(round_number)
            captured.append([])
            wall, cpu, response = _timed(lambda: request.handler(event, context))  # noqa: B023 - called at once
            if response["statusCode"] not in (200, 201):
                raise RuntimeError(response["body"][:300])
            data = json.loads(response["body"])["data"]
            if request.lends:
                loan_ids[round_number] = data["id"]
            replay_wall, replay_cpu, _ = _timed(lambda: replay(bare, captured[-1]))
            if round_number >= WARM_UP:
                for name, value in zip(samples, (wall, replay_wall, cpu, replay_cpu), strict=True):
                    samples[name].append(value)
    figures = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    items = len(data["items"]) if "items" in data else "-"
    return {**figures, "statements": len(captured[-1]), "items": items}


def _seeded_twin(url: str) -> Any:
    """A second database seeded as the first, for replaying writes: its loans get the same ids as the handler's."""
    twin_url = database.ensure_database(make_url(url), make_url(url).database + "_twin")
    database.migrate_database(twin_url)
    twin = bare_connection(twin_url, layer_readers=True)
    twin.autocommit = True
    for statement in SEED:
        twin.cursor().execute(statement)
    twin.autocommit = False
    return twin_url, twin


def run() -> str:
    with scratch_database() as url:
        with db.get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for statement in SEED:
                connection.execute(text(statement))
        bare = bare_connection(url, layer_readers=True)
        twin_url, twin = _seeded_twin(url)
        try:
            requests, loan_ids = _requests()
            figures = {
                name: {**measure(request, twin if request.writes else bare, loan_ids), "target": request.target_ms}
                for name, request in requests.items()
            }
        finally:
            bare.close()
            twin.close()
            database.drop_database(twin_url)
    return _markdown(figures)


def _markdown(figures: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"{BOOKS:,} books. Medians over {ROUNDS:,} requests each after {WARM_UP} warm-up requests, the handler and "
        "the replay of its statements through bare pg8000 alternating request by request (a borrow and a return "
        "replayed on a twin database seeded alike, each round a member and a title of its own):",
        "",
        "| request | items | SQL statements | handler ms (CPU ms) | bare pg8000 ms (CPU ms) "
        "| own time, wall ms | own time, CPU ms | target (own CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, figure in figures.items():
        own_wall = figure["handler"] - figure["replay"]
        own_cpu = figure["handler cpu"] - figure["replay cpu"]
        verdict = "met" if own_cpu <= figure["target"] else "NOT met"
        lines.append(
            f"| {name} | {figure['items']} | {figure['statements']} | {figure['handler']:.2f} "
            f"({figure['handler cpu']:.2f}) | {figure['replay']:.2f} ({figure['replay cpu']:.2f}) | {own_wall:.2f} "
            f"| {own_cpu:.2f} | at most {figure['target']} ms: **{verdict}** |"
        )
    lines += [
        "",
        "The CPU columns are this thread's CPU time (the operating system's accounting): waiting for the server "
        "counts in neither, so handler CPU minus replay CPU is the function's own work, which on a shared, busy "
        "machine the wall-clock difference overstates (a wake-up after each round trip waits for a free core). "
        "The replay's connection reads values with the layer's own type converters (`db.configure_connection`).",
    ]
    return "\n".join(lines)
