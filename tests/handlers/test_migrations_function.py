"""The migrations function as CloudFormation runs it: the custom-resource events in events/migrations/ against a
brand-new database, the admin's password in moto's Secrets Manager, and the response PUT to a real local HTTP
server standing in for the pre-signed S3 URL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from moto import mock_aws
from sqlalchemy import create_engine, make_url, text

from devtools import database
from library_common import custom_resource, db, migrate
from library_common.passwords import hash_password, verify_password
from library_common.settings import get_settings
from library_migrations import app
from tests.auth_support import invoke
from tests.aws_server import fake_credentials
from tests.conftest import LambdaContext, load_event
from tests.custom_resource_support import DeployContext, Responses

ADMIN_EMAIL = "head.librarian@example.org"
ADMIN_PASSWORD = "Generated24CharPassword7"
REGION = "us-east-1"


@pytest.fixture
def empty_database(database_url, monkeypatch) -> Iterator[str]:
    """A brand-new database on the test server, never migrated, that the function's settings point at."""
    url = database.ensure_database(make_url(database_url), f"library_deploy_{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("DATABASE_URL", database.as_environment_value(url))
    db.reset()
    yield database.as_environment_value(url)
    db.reset()
    database.drop_database(url)


@pytest.fixture
def admin_secret(monkeypatch) -> Iterator[str]:
    """moto's Secrets Manager holding the generated admin password; the function configured to read it."""
    fake_credentials(monkeypatch, ADMIN_EMAIL=ADMIN_EMAIL)
    DEFAULT_PROVIDERS.clear()  # Powertools keeps its client between calls; this one must talk to moto
    with mock_aws():
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="library-admin-password", SecretString=ADMIN_PASSWORD
        )
        monkeypatch.setenv("ADMIN_PASSWORD_SECRET_ARN", secret["ARN"])
        db.reset()
        yield secret["ARN"]
    DEFAULT_PROVIDERS.clear()


def deploy(request: str, responses: Responses, context: LambdaContext | None = None) -> dict[str, Any]:
    """Invokes the function with events/migrations/<request>.json; returns the response CloudFormation got."""
    event = load_event(f"migrations/{request}.json", ResponseURL=responses.url)
    assert app.lambda_handler(event, context or DeployContext()) is None
    response = responses.received[-1]
    assert response["content_type"] == "", "the pre-signed URL is signed without a content type"
    body = response["body"]
    assert (body["StackId"], body["RequestId"], body["LogicalResourceId"]) == (
        event["StackId"],
        event["RequestId"],
        event["LogicalResourceId"],
    )
    return body


def users(database_url: str) -> list[dict[str, Any]]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name, email, role, is_active, password_hash FROM users ORDER BY id"))
        found = [dict(row._mapping) for row in rows]
    engine.dispose()
    return found


def revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = migrate.current_revision(connection)
    engine.dispose()
    return found


def test_create_migrates_a_new_database_and_creates_an_admin_who_can_log_in(empty_database, admin_secret, responses):
    assert revision(empty_database) is None
    answer = deploy("create", responses)
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == "library-schema"
    assert answer["Data"] == {"SchemaVersion": migrate.SCHEMA_HEAD}
    assert revision(empty_database) == migrate.SCHEMA_HEAD
    (admin,) = users(empty_database)
    assert (admin["name"], admin["email"], admin["role"], admin["is_active"]) == (
        "Administrator",
        ADMIN_EMAIL,
        "admin",
        True,
    )
    assert verify_password(admin["password_hash"], ADMIN_PASSWORD)
    login = invoke("login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status == 200 and login.data["user"]["role"] == "admin"


def test_the_admin_email_is_stored_in_lower_case_as_every_accounts_is(
    empty_database, admin_secret, responses, monkeypatch
):
    monkeypatch.setenv("ADMIN_EMAIL", "Head.Librarian@Example.ORG")
    db.reset()
    assert deploy("create", responses)["Status"] == "SUCCESS"
    (admin,) = users(empty_database)
    assert admin["email"] == ADMIN_EMAIL
    assert invoke("login", body={"email": "HEAD.librarian@example.org", "password": ADMIN_PASSWORD}).status == 200


def test_an_update_migrates_again_and_keeps_the_password_the_admin_chose(empty_database, admin_secret, responses):
    deploy("create", responses)
    (admin,) = users(empty_database)
    changed = "the admin's own passphrase"
    assert invoke("login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).status == 200
    engine = create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET password_hash = :h WHERE id = :id"), {"h": hash_password(changed), "id": admin["id"]}
        )
    engine.dispose()

    answer = deploy("update", responses)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "library-schema")
    assert answer["Data"] == {"SchemaVersion": migrate.SCHEMA_HEAD}
    (after,) = users(empty_database)
    assert after == {**admin, "password_hash": after["password_hash"]}
    assert verify_password(after["password_hash"], changed)
    assert invoke("login", body={"email": ADMIN_EMAIL, "password": changed}).status == 200


def test_a_user_who_already_has_the_admin_email_is_left_alone(empty_database, admin_secret, responses):
    database.migrate_database(make_url(empty_database))
    engine = create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (name, email, password_hash, role, is_active) "
                "VALUES ('Mia', upper(:e), 'not-a-hash', 'member', false)"
            ),
            {"e": ADMIN_EMAIL},
        )
    engine.dispose()
    before = users(empty_database)
    assert deploy("create", responses)["Status"] == "SUCCESS"
    assert users(empty_database) == before


def test_delete_leaves_the_database_as_it_is(empty_database, admin_secret, responses):
    deploy("create", responses)
    before = users(empty_database)
    answer = deploy("delete", responses)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "library-schema")
    assert revision(empty_database) == migrate.SCHEMA_HEAD
    assert users(empty_database) == before


def test_a_missing_admin_secret_answers_failed_with_the_reason(empty_database, admin_secret, responses, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD_SECRET_ARN", admin_secret.replace("library-admin-password", "no-such-secret"))
    db.reset()
    answer = deploy("create", responses)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "library-schema")
    assert "ResourceNotFoundException" in answer["Reason"]
    assert DeployContext.log_stream_name in answer["Reason"] and len(answer["Reason"]) < 500
    assert users(empty_database) == []


def test_a_run_that_outlasts_the_function_answers_failed_before_lambda_stops_it(responses, monkeypatch):
    def stuck(request_type: str) -> dict[str, Any]:
        # Still "migrating" when the deadline answer goes out; finishing afterwards must not answer again.
        assert responses.arrived.wait(timeout=60)
        return {"SchemaVersion": migrate.SCHEMA_HEAD}

    class AlmostOutOfTime(DeployContext):
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return custom_resource.DEADLINE_MARGIN_SECONDS * 1000 + 100

    monkeypatch.setattr(app, "apply", stuck)
    deploy("update", responses, AlmostOutOfTime())
    answer = responses.only()["body"]
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("FAILED", "library-schema")
    assert answer["Reason"].startswith("Timed out")


def test_make_run_creates_the_same_admin_and_puts_an_existing_one_back(empty_database):
    url = make_url(empty_database)
    database.migrate_database(url)
    generated = database.ensure_admin(url, "admin@library.local", None)
    (admin,) = users(empty_database)
    assert (admin["name"], admin["role"], admin["is_active"]) == ("Administrator", "admin", True)
    assert verify_password(admin["password_hash"], generated)

    engine = create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET role = 'member', is_active = false"))
    engine.dispose()
    assert database.ensure_admin(url, "ADMIN@library.local", "a chosen password") is None
    (again,) = users(empty_database)
    assert (again["id"], again["role"], again["is_active"]) == (admin["id"], "admin", True)
    assert verify_password(again["password_hash"], "a chosen password")


def test_make_run_seeds_its_admin_before_any_database_url_is_set(empty_database, monkeypatch):
    """`make run` and `make sam-local` seed on the embedded server before the environment names it; the admin's
    row takes the library's day, which the layer's statements read from the settings."""
    monkeypatch.delenv("DATABASE_URL")
    get_settings.cache_clear()
    url = make_url(empty_database)
    database.migrate_database(url)
    try:
        assert database.ensure_admin(url, "admin@library.local", None)
        assert "DATABASE_URL" not in os.environ
    finally:
        get_settings.cache_clear()
    (admin,) = users(empty_database)
    assert admin["role"] == "admin"
