"""DB_TIMEOUT_SECONDS reaches every connection, so a database (or proxy) that accepts a connection and then never
answers costs a request that many seconds and a 503, not the function's whole timeout: pg8000 waits forever
without one."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from library_books.app import lambda_handler as books_handler
from library_common import db
from tests.conftest import LambdaContext, api_event

TIMEOUT_SECONDS = 1


@pytest.fixture
def timeout_setting(monkeypatch, database_url) -> Iterator[None]:
    monkeypatch.setenv("DB_TIMEOUT_SECONDS", str(TIMEOUT_SECONDS))
    db.reset()
    yield
    monkeypatch.delenv("DB_TIMEOUT_SECONDS")
    db.reset()


def test_every_connection_gets_the_configured_socket_timeout(timeout_setting):
    with db.get_engine().connect() as connection:
        driver_connection = connection.connection.driver_connection
        assert driver_connection._usock.gettimeout() == TIMEOUT_SECONDS
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_statement_the_server_sits_on_ends_at_the_timeout_as_a_dead_connection_not_to_retry(timeout_setting):
    # Unwrapped when it strikes the first read of a reply, a DBAPIError when it strikes a later one.
    with pytest.raises((TimeoutError, DBAPIError)) as raised, db.transaction() as session:
        session.execute(text("SELECT pg_sleep(60)"))
    assert isinstance(raised.value, TimeoutError) or (db.is_unavailable(raised.value) and db.timed_out(raised.value))
    assert not isinstance(raised.value, DBAPIError) or not db.may_retry(raised.value)


class SilentServer:
    """Accepts connections and never says a word: a half-dead proxy."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"postgresql://library@127.0.0.1:{self.listener.getsockname()[1]}/library"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent_database(monkeypatch, timeout_setting) -> Iterator[SilentServer]:
    server = SilentServer()
    monkeypatch.setenv("DATABASE_URL", server.url)
    db.reset()
    yield server
    server.close()


def test_a_database_that_never_answers_gets_a_503_once_not_a_hung_function(silent_database):
    response = books_handler(api_event("books/list_books.json"), LambdaContext())
    body = json.loads(response["body"])
    assert (response["statusCode"], body["code"]) == (503, "DATABASE_UNAVAILABLE")
    assert response["multiValueHeaders"]["Retry-After"]
    assert len(silent_database.accepted) == 1, "a timed-out request is not run again: its time is spent"
