"""A database restart under load (issue 16, item 10): 8 members loop borrow + return through the local API while
its PostgreSQL server is stopped for 5 seconds and started again."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from devtools import database, restart_drill
from devtools.local_api import Server
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


def test_a_database_restart_under_load_gives_503s_then_every_client_is_served_again(drill_database, drill_api):
    server, url = drill_database
    report = restart_drill.run(drill_api, server, restart_drill.members_and_books(url, CLIENTS), outage=OUTAGE_SECONDS)

    statuses = {answer.status for answer in report.answers}
    assert statuses <= {200, 201, 409, 503}, statuses
    outage = report.during_outage()
    assert outage and all(a.status == 503 and a.code == "DATABASE_UNAVAILABLE" for a in outage)
    assert max(answer.seconds for answer in report.answers) < restart_drill.REQUEST_TIMEOUT_SECONDS
    slow = [n for n in range(CLIENTS) if report.first_success_after_restart(n) > RECOVERY_LIMIT_SECONDS]
    unserved = {n: report.after_restart(n)[:6] for n in slow}
    assert report.recovery_seconds(CLIENTS) <= RECOVERY_LIMIT_SECONDS, unserved

    engine = create_engine(url)
    try:
        assert restart_drill.broken_invariants(engine) == []
        assert restart_drill.lost_loans(engine, report.acknowledged_loans) == set()
    finally:
        engine.dispose()
