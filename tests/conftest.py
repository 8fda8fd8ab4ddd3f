"""Shared fixtures: a real PostgreSQL database per test session, users and tokens, the local API over HTTP.

The database is a fresh one created on the server DATABASE_URL names, or on the embedded PostgreSQL when it
is unset, migrated with the project's Alembic migrations, and dropped at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from devtools import database
from library_common import db, tokens
from library_common.models import Base, PermissionGroup, User
from library_common.passwords import hash_password
from library_common.settings import get_settings

# Fixtures of their own modules: `responses` (CloudFormation's ResponseURL for the custom-resource functions) and
# `moto_endpoint` (moto over HTTP, for the authorizer's boto3-free secret read).
pytest_plugins = ["tests.custom_resource_support", "tests.aws_server"]

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
# Reference data the migrations seed; every other table is emptied between tests that ask for it.
SEEDED_TABLES = {"permissions", "permission_groups", "group_permissions", "policies"}


@pytest.fixture
def library_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Sets one of the library's settings by its environment variable (`LIBRARY_TIME_ZONE`, `LIBRARY_CURRENCY`,
    ...) for the rest of the test, as a deployment would: `library_setting("LIBRARY_CURRENCY", "EUR")`."""

    def use(variable: str, value: str) -> None:
        monkeypatch.setenv(variable, value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("library-data")


@pytest.fixture(scope="session")
def database_url(data_dir: Path) -> Iterator[str]:
    embedded_home = Path(os.environ.get("LIBRARY_DATA_DIR", ROOT / ".data"))
    server = database.server_url(embedded_home)
    url = database.ensure_database(server, f"library_test_{uuid.uuid4().hex[:10]}")
    database.migrate_database(url)
    value = database.as_environment_value(url)
    previous = {name: os.environ.get(name) for name in ("DATABASE_URL", "LIBRARY_DATA_DIR")}
    os.environ["DATABASE_URL"] = value
    os.environ["LIBRARY_DATA_DIR"] = str(data_dir)
    db.reset()
    tokens.clear_caches()
    tokens.signing_key()  # create the key file now, before the local API's workers race to
    yield value
    db.reset()
    database.drop_database(url)
    for name, old in previous.items():
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@pytest.fixture(scope="session")
def engine(database_url: str):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


DEADLOCK_DETECTED = "40P01"
CLEANING_ATTEMPTS = 5


@pytest.fixture
def clean_db(engine) -> None:
    """Empties every table but the seeded reference data (and restores that data's defaults). A request still in
    flight from the previous test (a page the browser tests left loading) can lock tables in another order than
    TRUNCATE does; PostgreSQL then ends one side as a deadlock, and the cleaning is tried again."""
    for attempt in range(CLEANING_ATTEMPTS):
        try:
            _clean(engine)
            return
        except DBAPIError as error:
            if db.server_error_fields(error).get("C") != DEADLOCK_DETECTED or attempt == CLEANING_ATTEMPTS - 1:
                raise


def _clean(engine) -> None:
    # users go by DELETE, after every table that refers to them: the seeded tables' audit keys refer to users too,
    # and TRUNCATE users would have to empty them with it. Without CASCADE, a table left out is an error, not lost.
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in SEEDED_TABLES | {"users"}]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
        connection.execute(text("DELETE FROM users"))
        connection.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), 1, false)"))
        connection.execute(
            text(
                "UPDATE policies SET loan_period_days = 14, max_loans = 3, max_renewals = 2, fine_per_day = 0.25, "
                "fine_cap = 10.00, hold_pickup_days = 3, block_threshold = 5.00"
            )
        )
        connection.execute(text("DELETE FROM permission_groups WHERE NOT is_builtin"))
        connection.execute(text("DELETE FROM permissions WHERE NOT is_builtin"))
        # Admins may retune the built-in group (PATCH /groups/{id}); put back what the migration seeds.
        connection.execute(
            text(
                "UPDATE permission_groups SET description = 'Day-to-day library staff' WHERE name = 'librarians';"
                "DELETE FROM group_permissions WHERE group_id = (SELECT id FROM permission_groups "
                "WHERE name = 'librarians');"
                "INSERT INTO group_permissions (group_id, permission_id) SELECT g.id, p.id "
                "FROM permission_groups g, permissions p WHERE g.name = 'librarians' "
                "AND p.code NOT IN ('users.manage', 'groups.manage', 'policies.manage')"
            )
        )


class Users:
    """Creates users straight in the database and mints their access tokens, for arranging tests."""

    PASSWORD = "correct horse battery"

    def __init__(self, engine):
        self.engine = engine
        self._password_hash = hash_password(self.PASSWORD)

    def create(
        self,
        role: str = "member",
        *,
        active: bool = True,
        name: str | None = None,
        email: str | None = None,
        groups: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:
        email = email or f"{role}-{secrets.token_hex(4)}@example.org"
        with db.transaction() as session:
            user = User(
                name=name or role.title(), email=email, password_hash=self._password_hash, role=role, is_active=active
            )
            wanted = groups if groups is not None else (("librarians",) if role == "librarian" else ())
            if wanted:
                user.groups = list(session.query(PermissionGroup).filter(PermissionGroup.name.in_(wanted)))
            session.add(user)
            session.flush()
            return {"id": user.id, "email": email, "role": role, "password": self.PASSWORD}

    def token(self, user: dict[str, Any], permissions: list[str] | None = None) -> str:
        """The access token a login would issue now: the user's current token version, and (unless given) their
        current permissions."""
        with self.engine.connect() as connection:
            version = connection.execute(
                text("SELECT token_version FROM users WHERE id = :u"), {"u": user["id"]}
            ).scalar()
        if permissions is None:
            with self.engine.connect() as connection:
                if user["role"] == "admin":
                    query, params = "SELECT code FROM permissions", {}
                else:
                    query = (
                        "SELECT DISTINCT p.code FROM permissions p "
                        "JOIN group_permissions gp ON gp.permission_id = p.id "
                        "JOIN user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = :u"
                    )
                    params = {"u": user["id"]}
                permissions = [row[0] for row in connection.execute(text(query), params)]
        return tokens.issue_access_token(user["id"], user["role"], permissions, token_version=version or 0)

    def headers(self, user: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}


@pytest.fixture
def users(engine, clean_db) -> Users:
    return Users(engine)


def load_event(name: str, **changes: Any) -> dict[str, Any]:
    """An event from events/ (the same files `sam local invoke -e` takes), with top-level keys replaced."""
    event = json.loads((EVENTS / name).read_text())
    event.update(changes)
    return event


def api_event(
    name: str,
    *,
    body: Any = None,
    token: str | None = None,
    authorizer: dict[str, Any] | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = load_event(name)
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    if token is not None:
        event["headers"]["Authorization"] = f"Bearer {token}"
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    if path_parameters is not None:
        event["pathParameters"] = path_parameters
    if query is not None:
        event["queryStringParameters"] = query
    return event


class LambdaContext:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture(scope="session")
def local_api(database_url: str, data_dir: Path) -> Iterator[str]:
    """The local API (template.yaml's routes, authorizer and gateway responses) on a random port."""
    from devtools.local_api import Server

    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LIBRARY_DATA_DIR": str(data_dir),
        "LOCAL_API_QUIET": "1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    server = Server(environment, port=0).start()
    yield server.url
    server.stop()
