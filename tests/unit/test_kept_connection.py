"""`library_common.kept_connection`: the Core units of work (`db.reading()`, `db.writing()`) of a process with one
thread run on the connection the previous one kept, without a checkout from the pool; whatever else checks out
from the pool takes it back first, and none is kept while a thread waits for the pool, so a pool of one is never
starved; a connection is not kept after an error that is not a domain refusal, or past the pool's recycle age."""

import threading
import time

import pytest
from sqlalchemy import event, text

from library_common import db, kept_connection
from library_common.errors import Conflict

BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
def checkouts(database_url, monkeypatch):
    """The pool's checkouts as they happen (a pool of one, as a deployed function has), from a kept-empty start."""
    monkeypatch.setenv("DB_CONNECTIONS", "1")
    db.reset()
    seen: list[int] = []

    def checkout(_dbapi_connection, _record, _proxy):
        seen.append(1)

    event.listen(db.get_engine(), "checkout", checkout)
    yield seen
    event.remove(db.get_engine(), "checkout", checkout)
    db.reset()


def _backend(unit) -> int:
    with unit() as connection:
        return connection.execute(BACKEND).scalar_one()


def test_each_unit_of_work_after_the_first_runs_on_the_kept_connection_without_a_checkout(checkouts):
    first = _backend(db.reading)
    assert [_backend(db.writing), _backend(db.reading), _backend(db.writing)] == [first] * 3
    assert len(checkouts) == 1


def test_a_checkout_from_the_pool_takes_the_kept_connection_back_so_a_pool_of_one_is_never_starved(checkouts):
    kept = _backend(db.reading)
    with db.get_engine().connect() as connection:  # the pool's only connection: it would wait 30 s for it otherwise
        assert connection.execute(BACKEND).scalar_one() == kept
    with db.transaction() as session:
        assert session.execute(BACKEND).scalar_one() == kept
    assert len(checkouts) == 3


def test_a_domain_refusal_keeps_the_connection_and_any_other_error_returns_it_to_the_pool(checkouts):
    def refused(error: Exception) -> None:
        with pytest.raises(type(error)), db.writing() as connection:
            connection.execute(BACKEND)
            raise error

    refused(Conflict("already borrowed"))
    _backend(db.reading)
    assert len(checkouts) == 1
    refused(RuntimeError("a bug"))
    _backend(db.reading)
    assert len(checkouts) == 2


def test_the_kept_connection_is_rolled_back_to_no_transaction_and_holds_no_lock(checkouts, engine):
    with pytest.raises(Conflict), db.writing() as connection:
        connection.execute(text("LOCK TABLE books IN ACCESS EXCLUSIVE MODE"))
        raise Conflict("refused after locking")
    with engine.connect() as other:
        other.execute(text("SET lock_timeout = '2s'"))
        assert other.execute(text("SELECT count(*) FROM books")).scalar_one() >= 0


def test_a_connection_out_of_the_pool_past_its_recycle_age_goes_back_to_it(checkouts, monkeypatch):
    _backend(db.reading)
    monkeypatch.setattr(kept_connection, "RECYCLE_SECONDS", 0)
    _backend(db.reading)
    assert len(checkouts) == 2


def test_a_thread_waiting_for_the_pool_gets_the_connection_a_unit_of_work_ends_with(checkouts):
    got: list[int] = []

    def wait_for_the_pool() -> None:
        with db.get_engine().connect() as connection:
            got.append(connection.execute(BACKEND).scalar_one())

    waiting = threading.Thread(target=wait_for_the_pool)
    with db.reading() as connection:  # the pool's only connection
        used = connection.execute(BACKEND).scalar_one()
        waiting.start()
        while not kept_connection._asking:  # the thread is in the pool's checkout, waiting
            time.sleep(0.01)
    waiting.join(timeout=20)  # the pool's own wait is 30 s
    assert got == [used]
    assert not kept_connection._kept


def test_resetting_the_layer_returns_the_kept_connection_to_the_pool(checkouts):
    _backend(db.reading)
    pool = db.get_engine().pool
    assert pool.checkedout() == 1
    db.drop_connections()
    assert pool.checkedout() == 0
