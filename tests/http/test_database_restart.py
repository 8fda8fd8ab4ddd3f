"""A database restart under load (issue 16, item 10): 8 members loop borrow + return through the local API while
its PostgreSQL server is stopped for 5 seconds and started again."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from devtools import database, restart_drill
from devtools.local_api import Server
from library_common import tokens
from library_common.passwords import hash_password
from tests.conftest import ROOT

CLIENTS = 8
OUTAGE_SECONDS = 5.0
RECOVERY_LIMIT_SECONDS = 5.0


@pytest.fixture(scope="module")
def drill_database(database_url):
    """A server of this test's own (stopping the session's shared one would break every other test), beside the
    embedded one, where the server's own system user may reach it."""
    directory = ROOT / ".data" / f"restart-drill-{uuid.uuid4().hex[:8]}"
    server = restart_drill.EmbeddedServer(directory)
    url = database.ensure_database(server.url, "library_restart")
    database.migrate_database(url)
    yield server, url
    server.cleanup()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def drill_api(drill_database, data_dir: Path):
    _server, url = drill_database
    environment = {
        **os.environ,
        "DATABASE_URL": database.as_environment_value(url),
        "LIBRARY_DATA_DIR": str(data_dir),
        "LOCAL_API_QUIET": "1",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    api = Server(environment, port=0, concurrency=CLIENTS).start()
    yield api.url
    api.stop()


def _members_and_books(url) -> list[tuple[str, int]]:
    """One member per client; every two members share a title of two copies, so borrows also race."""
    engine = create_engine(url)
    password_hash = hash_password("a drill passphrase")
    clients = []
    with engine.begin() as connection:
        book_ids = [
            connection.execute(
                text("INSERT INTO books (title, author, quantity) VALUES (:t, 'Drill', 2) RETURNING id"),
                {"t": f"Drill title {n}"},
            ).scalar()
            for n in range(CLIENTS // 2)
        ]
        for n in range(CLIENTS):
            user_id = connection.execute(
                text(
                    "INSERT INTO users (name, email, password_hash, role, is_active) "
                    "VALUES (:name, :email, :hash, 'member', true) RETURNING id"
                ),
                {"name": f"Member {n}", "email": f"drill{n}@example.org", "hash": password_hash},
            ).scalar()
            clients.append((tokens.issue_access_token(user_id, "member", []), book_ids[n // 2]))
    engine.dispose()
    return clients


def test_a_database_restart_under_load_gives_503s_then_every_client_is_served_again(drill_database, drill_api):
    server, url = drill_database
    report = restart_drill.run(drill_api, server, _members_and_books(url), outage=OUTAGE_SECONDS)

    statuses = {answer.status for answer in report.answers}
    assert statuses <= {200, 201, 409, 503}, statuses
    outage = report.during_outage()
    assert outage and all(a.status == 503 and a.code == "DATABASE_UNAVAILABLE" for a in outage)
    assert max(answer.seconds for answer in report.answers) < restart_drill.REQUEST_TIMEOUT_SECONDS
    assert report.recovery_seconds(CLIENTS) <= RECOVERY_LIMIT_SECONDS

    engine = create_engine(url)
    try:
        assert restart_drill.broken_invariants(engine) == []
        assert restart_drill.lost_loans(engine, report.acknowledged_loans) == set()
    finally:
        engine.dispose()
