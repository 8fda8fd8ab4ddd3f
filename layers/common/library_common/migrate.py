"""Apply the Alembic migrations shipped in this layer (used by `make run`, the tests and deployments), and
tell which revision a database is at.

Alembic is imported only to migrate: the service function's health check reads the revision with one query,
and its cold start would otherwise pay ~80 ms for Alembic's import.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions. A unit test compares it with Alembic's own reading of that
# folder, so a new revision that forgets to move it fails the tests.
SCHEMA_HEAD = "0004"
# Two processes starting at once (e.g. parallel test runs) must not both create the schema.
_MIGRATING_LOCK = 72616573


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Each revision commits on its own (env.py), and one may commit within itself (0004 validates its keys
    outside a transaction), so the lock is the session's, held until every revision has run."""
    from alembic import command
    from alembic.config import Config

    with engine.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATING_LOCK})")
        connection.commit()
        try:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        finally:
            connection.rollback()
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATING_LOCK})")
            connection.commit()


def current_revision(connection: Connection) -> str | None:
    """The revision Alembic recorded in this database; None before the first migration."""
    if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
