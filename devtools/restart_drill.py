"""A database restart while members borrow and return: the scenario `tests/http/test_database_restart.py` checks
and `bench/bench_restart.py` measures.

Clients loop borrow + return through the local API against a PostgreSQL server of the drill's own (embedded, in a
directory of its own, so no other test or run loses its database); the server is stopped for a few seconds and
started again. Every answer is recorded with its time, so a caller can check what was answered during the
outage, how long each client took to be served again afterwards, and the invariants of the data.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from devtools import database
from library_common import tokens
from library_common.passwords import hash_password

# A client gives up on one request after this: longer would be a hang (the API functions' timeout is shorter).
REQUEST_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Answer:
    client: int
    route: str
    started: float
    seconds: float
    status: int
    code: str | None


@dataclass
class DrillReport:
    stopped_at: float = 0.0
    # The server accepts connections before start() returns: the outage ends when the start is asked for.
    restart_requested_at: float = 0.0
    started_at: float = 0.0
    answers: list[Answer] = field(default_factory=list)
    acknowledged_loans: set[int] = field(default_factory=set)

    def during_outage(self) -> list[Answer]:
        """Answers to requests sent and answered while the server was down (after the stop returned, before the
        start was asked for)."""
        down = self.stopped_at, self.restart_requested_at
        return [a for a in self.answers if down[0] <= a.started and a.started + a.seconds <= down[1]]

    def recovery_seconds(self, clients: int) -> float:
        """How long after the server was up again the last client got its first success."""
        return max(self.first_success_after_restart(client) for client in range(clients))

    def first_success_after_restart(self, client: int) -> float:
        """Seconds from the start to this client's first success after it (infinite: none)."""
        served = [a.started + a.seconds for a in self.answers if a.client == client and a.status < 300]
        return min((moment - self.started_at for moment in served if moment >= self.started_at), default=float("inf"))

    def after_restart(self, client: int) -> list[tuple[str, int, str | None]]:
        """What one client was answered once the server was up again (route, status, code), for a failure's text."""
        answers = [a for a in self.answers if a.client == client and a.started >= self.started_at]
        return [(a.route, a.status, a.code) for a in answers]


class EmbeddedServer:
    """A PostgreSQL server of the drill's own, which it may stop and start."""

    def __init__(self, directory: Path):
        import pgserver

        # With DATABASE_URL set, nothing else has made the data folder of a fresh checkout.
        directory.parent.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(directory, cleanup_mode="stop")

    @property
    def url(self):
        return database.server_url_for_socket(self.server.get_postmaster_info().socket_path)

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def cleanup(self) -> None:
        self.server.cleanup()


def _post(base_url: str, path: str, token: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - the local API, over http://127.0.0.1
        base_url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310 - our http URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _client(base_url: str, number: int, token: str, book_id: int, report: DrillReport, stop: threading.Event):
    """Borrows and returns one title until told to stop; a loan it could not return is retried first. A borrow
    answered 5xx may still have been committed (the server went away during the commit), so it is retried with
    the same Idempotency-Key, as a real client does: the retry gets the first answer, not ALREADY_BORROWED."""
    open_loan: int | None = None
    borrow_key: str | None = None
    lock = threading.Lock()

    def record(route: str, started: float, status: int, body: dict) -> None:
        with lock:
            report.answers.append(Answer(number, route, started, time.monotonic() - started, status, body.get("code")))

    while not stop.is_set():
        started = time.monotonic()
        if open_loan is None:
            borrow_key = borrow_key or uuid.uuid4().hex
            status, body = _post(base_url, "/loans", token, {"book_id": book_id}, {"Idempotency-Key": borrow_key})
            record("borrow", started, status, body)
            if status < 500 and body.get("code") != "IDEMPOTENCY_KEY_IN_USE":
                borrow_key = None
            if status == 201:
                open_loan = body["data"]["id"]
                report.acknowledged_loans.add(open_loan)
        else:
            status, body = _post(base_url, f"/loans/{open_loan}/return", token, {})
            record("return", started, status, body)
            if status == 200 or body.get("code") == "LOAN_ALREADY_RETURNED":
                open_loan = None
        if status >= 500:
            time.sleep(0.05)


def _warm_up(base_url: str, clients: list[tuple[str, int]]) -> None:
    """One request per client at once, so that every worker has started (and connected) before the drill."""

    def policies(_client: tuple[str, int]) -> None:
        with urllib.request.urlopen(base_url + "/policies", timeout=REQUEST_TIMEOUT_SECONDS * 4) as response:  # noqa: S310
            response.read()

    threads = [threading.Thread(target=policies, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def members_and_books(url: str, clients: int) -> list[tuple[str, int]]:
    """One member per client, with an access token; every two members share a title of two copies, so borrows
    also race."""
    engine = create_engine(url)
    password_hash = hash_password("a drill passphrase")
    members = []
    # The tokens are signed with the layer's settings, which need a DATABASE_URL: `make bench` has none set.
    with database.settings_for(url), engine.begin() as connection:
        book_ids = [
            connection.execute(
                text("INSERT INTO books (title, author, quantity) VALUES (:t, 'Drill', 2) RETURNING id"),
                {"t": f"Drill title {n}"},
            ).scalar()
            for n in range((clients + 1) // 2)
        ]
        for n in range(clients):
            user_id = connection.execute(
                text(
                    "INSERT INTO users (name, email, password_hash, role, is_active) "
                    "VALUES (:name, :email, :hash, 'member', true) RETURNING id"
                ),
                {"name": f"Member {n}", "email": f"drill{n}@example.org", "hash": password_hash},
            ).scalar()
            members.append((tokens.issue_access_token(user_id, "member", []), book_ids[n // 2]))
    engine.dispose()
    return members


def run(
    base_url: str,
    server: EmbeddedServer,
    clients: list[tuple[str, int]],
    *,
    before: float = 2.0,
    outage: float = 5.0,
    after: float = 6.0,
    on_stop: Callable[[], None] = lambda: None,
) -> DrillReport:
    """`clients`: (access token, book id) per client. Stops the server `before` seconds in, for `outage` seconds."""
    report = DrillReport()
    _warm_up(base_url, clients)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client, args=(base_url, n, token, book, report, stop), daemon=True)
        for n, (token, book) in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(before)
    server.stop()
    report.stopped_at = time.monotonic()
    on_stop()
    time.sleep(outage)
    report.restart_requested_at = time.monotonic()
    server.start()
    report.started_at = time.monotonic()
    time.sleep(after)
    stop.set()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT_SECONDS + 5)
    return report


def broken_invariants(engine: Engine) -> list[str]:
    """The circulation invariants that do not hold, in words (none: an empty list)."""
    checks = {
        "copies on the shelf + on loan + on the hold shelf = quantity": (
            "SELECT count(*) FROM books b WHERE b.copies_on_loan <> (SELECT count(*) FROM loans l "
            "WHERE l.book_id = b.id AND l.returned_on IS NULL) OR b.copies_on_loan + b.copies_on_hold_shelf "
            "> b.quantity OR b.copies_on_loan < 0"
        ),
        "every loan has its receipt notice": (
            "SELECT count(*) FROM loans l WHERE NOT EXISTS (SELECT 1 FROM notifications n "
            "WHERE n.kind = 'borrow_receipt' "
            "AND n.dedupe_key LIKE l.user_id || ':borrow_receipt:loan:' || l.id || ':%')"
        ),
        "no member has two open loans of one title": (
            "SELECT count(*) FROM (SELECT user_id, book_id FROM loans WHERE returned_on IS NULL "
            "GROUP BY user_id, book_id HAVING count(*) > 1) doubled"
        ),
    }
    with engine.connect() as connection:
        return [rule for rule, query in checks.items() if connection.execute(text(query)).scalar()]


def lost_loans(engine: Engine, acknowledged: set[int]) -> set[int]:
    """Loans a client was told were made (201) that the database does not have."""
    with engine.connect() as connection:
        stored = set(connection.execute(text("SELECT id FROM loans")).scalars())
    return acknowledged - stored
