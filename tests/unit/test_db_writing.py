"""`db.writing()`: a unit of work on a Core connection, without the ORM session, that keeps the session's promises
to the rest of the layer: counts published only once it commits, its commit counted before a request may be run
again, and a request whose pooled connection was found dead run again once."""

import json

import pytest
from sqlalchemy import text

from library_common import db, metrics
from library_common.api import create_app, lambda_handler_for
from library_common.envelope import ok
from tests.conftest import LambdaContext, load_event


@pytest.fixture(autouse=True)
def no_metrics_left_over(capsys):
    metrics.publish()
    capsys.readouterr()


@pytest.fixture
def published(capsys):
    """The counts an invocation would print now, by name (its EMF line's values)."""

    def counts() -> dict[str, list[float]]:
        metrics.publish()
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return {name: line[name] for line in lines for name in line if name not in ("_aws", "service")}

    return counts


class Refused(Exception):
    pass


def test_a_count_is_published_once_the_writing_block_commits(database_url, published):
    with db.writing() as connection:
        metrics.count_on_commit(connection, metrics.LOANS_BORROWED)
        metrics.count_on_commit(connection, metrics.HOLDS_SERVED, 2)
        metrics.count_on_commit(connection, metrics.HOLDS_PLACED, 0)
        assert published() == {}, "not before the commit"
    assert published() == {metrics.LOANS_BORROWED: [1.0], metrics.HOLDS_SERVED: [2.0]}


def test_a_block_that_raises_rolls_back_and_counts_nothing(database_url, published):
    with pytest.raises(Refused), db.writing() as connection:
        connection.execute(text("CREATE TEMP TABLE kept (n int)"))
        metrics.count_on_commit(connection, metrics.LOANS_BORROWED)
        raise Refused
    assert published() == {}
    with db.writing() as connection:
        assert connection.scalar(text("SELECT to_regclass('pg_temp.kept')")) is None, "rolled back"
    assert published() == {}, "a later block does not inherit the forgotten count"


def test_each_commit_counts_as_started_and_a_rollback_does_not(database_url):
    started = db.commits_started.set(0)
    try:
        with db.writing():
            pass
        with pytest.raises(Refused), db.writing():
            raise Refused
        assert db.commits_started.get() == 1
    finally:
        db.commits_started.reset(started)


def test_a_count_within_a_savepoint_is_refused_rather_than_kept_past_its_rollback(database_url):
    with db.writing() as connection, connection.begin_nested(), pytest.raises(RuntimeError, match="savepoint"):
        metrics.count_on_commit(connection, metrics.LOANS_BORROWED)


app = create_app()
backends: list[int] = []


@app.get("/writing-backend")
def writing_backend():
    with db.writing() as connection:
        backends.append(connection.scalar(text("SELECT pg_backend_pid()")))
    return ok(None)


def test_a_writing_request_whose_pooled_connection_died_is_run_again_once(database_url, engine):
    handler = lambda_handler_for(app)
    event = load_event("service/health.json", httpMethod="GET", path="/writing-backend", resource="/writing-backend")
    assert handler(event, LambdaContext())["statusCode"] == 200
    with engine.connect() as connection:  # what a database restart does to every idle pooled connection
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backends[-1]})
    backends.clear()
    assert handler(event, LambdaContext())["statusCode"] == 200
    assert len(backends) == 1  # the first attempt died on its first statement, before it could record anything
