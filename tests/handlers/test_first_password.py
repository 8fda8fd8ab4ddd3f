"""The first admin's generated password: until it is changed, every route but PATCH /auth and logout is 403."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from library_common import db, tokens
from library_loans.app import lambda_handler as loans_handler
from library_migrations import logic
from tests.auth_support import authorizer_context, invoke
from tests.conftest import LambdaContext, api_event

GENERATED = "Generated24CharPassword7"
CHOSEN = "a shelf of my own choosing"


@pytest.fixture
def first_admin(users):
    with db.transaction() as session:
        admin_id = logic.create_admin(session, "admin@library.example", GENERATED, generated=True)
    return {"id": admin_id, "email": "admin@library.example", "password": GENERATED}


def test_the_first_admin_signs_in_and_is_told_to_change_the_password(first_admin):
    signed_in = invoke("login", body={"email": first_admin["email"], "password": GENERATED})
    assert signed_in.status == 200 and signed_in.data["user"]["must_change_password"] is True
    token = signed_in.data["access_token"]
    assert tokens.verify_access_token(token)[tokens.PASSWORD_CHANGE_CLAIM] is True

    for event_name, path in (("get_profile", None), ("list_users", None), ("get_user", {"id": first_admin["id"]})):
        refused = invoke(event_name, token=token, path=path)
        assert refused.status == 403 and refused.body["code"] == "PASSWORD_CHANGE_REQUIRED", event_name
    event = api_event("loans/list_loans.json")
    event["requestContext"]["authorizer"] = authorizer_context(token)
    assert loans_handler(event, LambdaContext())["statusCode"] == 403


def test_changing_it_lifts_the_restriction_and_logout_works_meanwhile(first_admin):
    signed_in = invoke("login", body={"email": first_admin["email"], "password": GENERATED}).data
    token = signed_in["access_token"]
    assert invoke("logout", token=token, body={"refresh_token": signed_in["refresh_token"]}).status == 200

    token = invoke("login", body={"email": first_admin["email"], "password": GENERATED}).data["access_token"]
    changed = invoke("update_profile", token=token, body={"password": CHOSEN, "current_password": GENERATED})
    assert changed.status == 200 and changed.data["must_change_password"] is False
    again = invoke("login", body={"email": first_admin["email"], "password": CHOSEN}).data
    assert again["user"]["must_change_password"] is False
    assert invoke("list_users", token=again["access_token"]).status == 200


def test_patch_auth_stays_open_and_the_flag_stays_until_the_password_changes(first_admin, engine):
    token = invoke("login", body={"email": first_admin["email"], "password": GENERATED}).data["access_token"]
    renamed = invoke("update_profile", token=token, body={"name": "Root"})
    assert renamed.status == 200
    with engine.connect() as connection:
        assert connection.execute(text("SELECT must_change_password FROM users")).scalar() is True


def test_a_chosen_password_needs_no_change(users):
    with db.transaction() as session:
        logic.create_admin(session, "chosen@library.example", CHOSEN, generated=False)
    signed_in = invoke("login", body={"email": "chosen@library.example", "password": CHOSEN})
    assert signed_in.data["user"]["must_change_password"] is False
    assert invoke("list_users", token=signed_in.data["access_token"]).status == 200
