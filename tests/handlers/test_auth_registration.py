"""POST /auth: self-registration, registration by an admin, and the password rules."""

import pytest
from sqlalchemy import text

from tests.auth_support import invoke

PASSWORD = "analytical engine"


def registration(**changes):
    return {"name": "Ada Lovelace", "email": "Ada@Example.org", "password": PASSWORD, **changes}


def test_self_registration_makes_an_inactive_member(users, engine):
    answer = invoke("register", body=registration())
    assert answer.status == 201
    assert answer.data["email"] == "ada@example.org"
    assert answer.data["role"] == "member" and answer.data["is_active"] is False
    assert answer.data["groups"] == [] and answer.data["permissions"] == []
    assert "hash" not in answer.raw and PASSWORD not in answer.raw
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash, created_by FROM users")).one()
    assert stored.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert stored.created_by is None


def test_auto_activation_lets_self_registered_members_in_at_once(users, library_setting):
    library_setting("AUTO_ACTIVATE_MEMBERS", "true")
    answer = invoke("register", body=registration())
    assert answer.status == 201 and answer.data["is_active"] is True


@pytest.mark.parametrize(
    "staff_field", [{"role": "admin"}, {"role": "member"}, {"is_active": True}, {"permission_groups": ["librarians"]}]
)
def test_anyone_but_an_admin_sending_staff_fields_gets_403(users, staff_field):
    librarian = users.create("librarian")
    for token in (None, users.token(librarian)):
        answer = invoke("register", body=registration(**staff_field), token=token)
        assert answer.status == 403 and answer.body["code"] == "ADMIN_ONLY_FIELDS"
    assert invoke("register", body=registration()).status == 201


def test_an_admin_registers_staff_with_role_groups_and_activation(users, engine):
    admin = users.create("admin")
    answer = invoke(
        "register",
        token=users.token(admin),
        body=registration(role="librarian", permission_groups=["librarians"]),
    )
    assert answer.status == 201
    assert answer.data["role"] == "librarian" and answer.data["is_active"] is True
    assert [group["name"] for group in answer.data["groups"]] == ["librarians"]
    assert "books.create" in answer.data["permissions"] and "users.manage" not in answer.data["permissions"]
    assert answer.data["created_by"] == admin["id"]
    with engine.connect() as connection:
        notice = connection.execute(text("SELECT user_id, kind, recipient FROM notifications")).one()
    assert tuple(notice) == (answer.data["id"], "account_activated", "ada@example.org")


def test_an_admin_may_register_an_inactive_account_without_a_notice(users, engine):
    admin = users.create("admin")
    answer = invoke("register", token=users.token(admin), body=registration(role="user", is_active=False))
    assert answer.status == 201 and answer.data["role"] == "member" and answer.data["is_active"] is False
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notifications")).scalar() == 0


def test_a_librarian_registered_by_an_admin_joins_the_librarians_group_by_default(users):
    admin = users.create("admin")
    answer = invoke("register", token=users.token(admin), body=registration(role="librarian"))
    assert [group["name"] for group in answer.data["groups"]] == ["librarians"]


def test_the_email_is_unique_whatever_its_case(users):
    users.create("member", email="ada@example.org")
    answer = invoke("register", body=registration(email="ADA@example.ORG"))
    assert answer.status == 409 and answer.body["code"] == "EMAIL_TAKEN"


@pytest.mark.parametrize(
    "password",
    ["short1!", "my name is ADA LOVELACE", "lovelace-forever", "hello-ada-2024x".replace("ada", "Ada")],
)
def test_weak_passwords_are_refused_with_the_field_named(users, password):
    answer = invoke("register", body=registration(password=password))
    assert answer.status == 422
    assert [error["field"] for error in answer.body["errors"]] == ["password"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Ada", "email": "not-an-email", "password": PASSWORD},
        {"name": "", "email": "ada@example.org", "password": PASSWORD},
        {"email": "ada@example.org", "password": PASSWORD},
        {"name": "Ada", "email": "ada@example.org", "password": PASSWORD, "favourite_colour": "green"},
        {"name": "Ada", "email": "ada@example.org", "password": PASSWORD, "role": "emperor"},
        # PostgreSQL text cannot hold NUL: refused up front rather than failing in the database.
        {"name": "A\u0000da", "email": "ada@example.org", "password": PASSWORD},
        {"name": "Ada", "email": "a\u0000da@example.org", "password": PASSWORD},
    ],
)
def test_invalid_registrations_are_422(users, body):
    assert invoke("register", body=body).status == 422


def test_malformed_json_is_400(users):
    answer = invoke("register", body='{"name": "Ada",')
    assert answer.status == 400 and answer.body["data"] is None
