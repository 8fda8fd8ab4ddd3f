"""The audit columns' foreign keys to users (migration 0004): a deleted user's ids become NULL on the rows they
created or last changed, and the migration upgrades a database whose audit columns already name users who are gone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from devtools import database
from library_common import migrate
from library_common.models import Audited, Base

AUDITED_TABLES = sorted(m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, Audited))
# Rows for the tables the migrations do not seed, each referring to the member and the book.
ROWS = [
    "INSERT INTO books (title, author) VALUES ('Dune', 'Frank Herbert')",
    "INSERT INTO import_jobs (object_key) VALUES ('imports/books.csv')",
    "INSERT INTO reviews (book_id, user_id, rating) SELECT max(id), :member, 4 FROM books",
    "INSERT INTO loans (user_id, book_id, due_date) SELECT :member, max(id), current_date FROM books",
    "INSERT INTO holds (user_id, book_id) SELECT :member, max(id) FROM books",
    "INSERT INTO fines (loan_id, user_id, amount) SELECT max(id), :member, 0.25 FROM loans",
    "INSERT INTO notifications (user_id, kind, dedupe_key, recipient, subject, body_text, body_html) "
    "VALUES (:member, 'due_soon', 'due-soon-1', 'mia@example.org', 'Due soon', 'Due soon', '<p>Due soon</p>')",
    "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) "
    "VALUES (:member, gen_random_uuid(), 'hash-1', now() + interval '1 day')",
]


def _add_user(connection: Connection, name: str) -> int:
    return connection.execute(
        text("INSERT INTO users (name, email, password_hash) VALUES (:n, :n || '@example.org', 'x') RETURNING id"),
        {"n": f"{name}-{uuid.uuid4().hex[:6]}"},
    ).scalar_one()


def _audit_every_row(connection: Connection, member: int, created_by: int, updated_by: int) -> None:
    """At least one row in every audited table, each saying `created_by` created it and `updated_by` changed it."""
    for statement in ROWS:
        connection.execute(text(statement), {"member": member})
    for table in AUDITED_TABLES:
        connection.execute(
            text(f"UPDATE {table} SET created_by = :c, updated_by = :u"), {"c": created_by, "u": updated_by}
        )


def _audit_ids(connection: Connection) -> dict[str, set[tuple[int | None, int | None]]]:
    return {
        table: {tuple(row) for row in connection.execute(text(f"SELECT created_by, updated_by FROM {table}"))}
        for table in AUDITED_TABLES
    }


def _row_counts(connection: Connection) -> dict[str, int]:
    return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in AUDITED_TABLES}


def test_migration_0004_keys_every_audited_table_the_models_declare():
    frozen = ScriptDirectory(str(migrate.MIGRATIONS)).get_revision("0004").module.AUDITED_TABLES
    assert sorted(frozen) == AUDITED_TABLES and len(AUDITED_TABLES) == 12


def test_a_deleted_users_ids_become_null_on_the_rows_they_audited_and_no_row_goes(engine, clean_db):
    with engine.begin() as connection:
        member, staff = _add_user(connection, "member"), _add_user(connection, "staff")
        _audit_every_row(connection, member, created_by=member, updated_by=staff)
        before = _row_counts(connection)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": staff})
    with engine.connect() as connection:
        assert _audit_ids(connection) == {table: {(member, None)} for table in AUDITED_TABLES}
        assert _row_counts(connection) == {**before, "users": before["users"] - 1}


def test_an_audit_id_must_name_a_user(engine, clean_db):
    with engine.begin() as connection:
        member = _add_user(connection, "member")
    with pytest.raises(DBAPIError, match="fk_books_created_by_users"), engine.begin() as connection:
        connection.execute(text("INSERT INTO books (title, author, created_by) VALUES ('Dune', 'F', :m)"), {"m": 0})
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO books (title, author, created_by) VALUES ('Dune', 'F', :m)"), {"m": member}
        )


@pytest.fixture
def database_at_0003(database_url) -> Iterator[Engine]:
    """A new database on the test server, migrated up to 0003 only (no audit keys yet)."""
    url = database.ensure_database(make_url(database_url), f"library_audit_{uuid.uuid4().hex[:10]}")
    engine = create_engine(url)
    migrate.upgrade(engine, "0003")
    yield engine
    engine.dispose()
    database.drop_database(url)


def _foreign_keys_to_users(connection: Connection) -> set[tuple[str, bool]]:
    rows = connection.execute(
        text(
            "SELECT conname, convalidated FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'users'::regclass AND conname LIKE '%\\_by\\_users'"
        )
    )
    return {tuple(row) for row in rows}


def test_the_migration_clears_dangling_audit_ids_then_adds_every_key_validated(database_at_0003):
    with database_at_0003.begin() as connection:
        member, kept, gone = (_add_user(connection, name) for name in ("member", "kept", "gone"))
        _audit_every_row(connection, member, created_by=kept, updated_by=gone)
        connection.execute(
            text("INSERT INTO books (title, author, created_by, updated_by) VALUES ('X', 'Y', :g, :g)"), {"g": gone}
        )
        connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": gone})
        before = _row_counts(connection)

    migrate.upgrade(database_at_0003)

    with database_at_0003.connect() as connection:
        assert migrate.current_revision(connection) == migrate.SCHEMA_HEAD
        expected = {table: {(kept, None)} for table in AUDITED_TABLES}
        assert _audit_ids(connection) == {**expected, "books": {(kept, None), (None, None)}}
        assert _row_counts(connection) == before
        assert _foreign_keys_to_users(connection) == {
            (f"fk_{table}_{column}_users", True) for table in AUDITED_TABLES for column in ("created_by", "updated_by")
        }


def test_a_run_stopped_after_adding_some_keys_finishes_when_run_again(database_at_0003):
    with database_at_0003.begin() as connection:
        connection.execute(
            text(
                "ALTER TABLE books ADD CONSTRAINT fk_books_created_by_users FOREIGN KEY (created_by) "
                "REFERENCES users (id) ON DELETE SET NULL NOT VALID"
            )
        )
    migrate.upgrade(database_at_0003)
    with database_at_0003.connect() as connection:
        assert migrate.current_revision(connection) == migrate.SCHEMA_HEAD
        assert len(_foreign_keys_to_users(connection)) == 24
        assert all(validated for _, validated in _foreign_keys_to_users(connection))


def test_the_downgrade_drops_the_keys(database_at_0003):
    migrate.upgrade(database_at_0003)
    with database_at_0003.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with database_at_0003.connect() as connection:
        assert migrate.current_revision(connection) == "0003"
        assert _foreign_keys_to_users(connection) == set()
