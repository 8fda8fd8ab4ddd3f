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
SCHEMA_HEAD = "0003"


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    with engine.begin() as connection:
        # Two processes starting at once (e.g. parallel test runs) must not both create the schema.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(72616573)")
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(connection: Connection) -> str | None:
    """The revision Alembic recorded in this database; None before the first migration."""
    if connection.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
