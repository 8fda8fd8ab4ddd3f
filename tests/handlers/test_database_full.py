"""A server with no connection slot left refuses the connection with SQLSTATE 53300 ("sorry, too many clients
already", or "too many connections for role" past a role's CONNECTION LIMIT), as RDS Proxy does when its
pool is full. pg8000 reports that as a ProgrammingError like any refused statement; the API still answers
503 DATABASE_UNAVAILABLE with its Retry-After, as for any database it cannot reach, not 500."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from library_books.app import lambda_handler as books_handler
from library_common import db
from tests.conftest import LambdaContext, api_event


@pytest.fixture
def role_without_connections(engine, monkeypatch) -> Iterator[str]:
    """DATABASE_URL names a role allowed no connection at all, dropped again after the test."""
    role = f"no_slots_{uuid.uuid4().hex[:10]}"
    with engine.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0'))
        connection.commit()
    monkeypatch.setenv("DATABASE_URL", make_url(engine.url).set(username=role).render_as_string(hide_password=False))
    db.reset()
    yield role
    monkeypatch.undo()
    db.reset()
    with engine.connect() as connection:
        connection.execute(text(f'DROP ROLE "{role}"'))
        connection.commit()


def test_a_server_out_of_connection_slots_is_503_database_unavailable_with_retry_after(role_without_connections):
    response = books_handler(api_event("books/list_books.json"), LambdaContext())
    body = json.loads(response["body"])
    assert (response["statusCode"], body["code"], body["status"]) == (503, "DATABASE_UNAVAILABLE", 503)
    assert response["multiValueHeaders"]["Retry-After"] == ["5"]


def test_too_many_connections_is_reported_as_the_database_being_unavailable(role_without_connections):
    with pytest.raises(DBAPIError) as raised:
        db.get_engine().connect()
    assert db.server_error_fields(raised.value)["C"] == "53300"
    assert db.is_unavailable(raised.value)
    assert not db.may_retry(raised.value), "a full server is not asked again at once: Retry-After says when"
