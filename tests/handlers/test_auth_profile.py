"""GET, PATCH and DELETE /auth: the caller's own account."""

import json

import pytest
from sqlalchemy import text

from library_auth.app import lambda_handler
from tests.auth_support import invoke
from tests.conftest import api_event


def test_profile_shows_role_groups_and_effective_permissions(users, lambda_context):
    librarian = users.create("librarian", name="Lena")
    event = api_event(
        "auth/get_profile.json",
        authorizer={
            "user_id": str(librarian["id"]),
            "role": "librarian",
            "permissions": "",
            "principalId": str(librarian["id"]),
        },
    )
    response = lambda_handler(event, lambda_context)
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert body["data"]["name"] == "Lena" and body["data"]["role"] == "librarian"
    assert [group["name"] for group in body["data"]["groups"]] == ["librarians"]
    assert "books.create" in body["data"]["permissions"]
    assert "users.manage" not in body["data"]["permissions"]
    assert "password_hash" not in response["body"]


def test_profile_without_a_caller_is_401_in_the_envelope(users, lambda_context):
    event = api_event("auth/get_profile.json")
    event["requestContext"].pop("authorizer")
    response = lambda_handler(event, lambda_context)
    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {
        "status": 401,
        "message": "Authentication required",
        "data": None,
        "code": "UNAUTHORIZED",
    }


# --- PATCH /auth and DELETE /auth ----------------------------------------------------------------------


def login(email, password):
    return invoke("login", body={"email": email, "password": password})


def give_loan(engine, user_id, *, returned=False, fine=None):
    with engine.begin() as connection:
        book_id = connection.execute(
            text("INSERT INTO books (title, author, quantity) VALUES ('Dune', 'Frank Herbert', 2) RETURNING id")
        ).scalar()
        loan_id = connection.execute(
            text(
                "INSERT INTO loans (user_id, book_id, due_date, returned_on) "
                "VALUES (:u, :b, current_date + 14, CASE WHEN :r THEN now() END) RETURNING id"
            ),
            {"u": user_id, "b": book_id, "r": returned},
        ).scalar()
        if fine is not None:
            connection.execute(
                text("INSERT INTO fines (loan_id, user_id, amount, status) VALUES (:l, :u, 1.50, :s)"),
                {"l": loan_id, "u": user_id, "s": fine},
            )
    return loan_id


def test_a_member_updates_name_and_email(users):
    member = users.create("member", name="Mia")
    token = users.token(member)
    without_password = invoke("update_profile", token=token, body={"email": "MIA@example.org"})
    assert without_password.status == 422 and without_password.body["code"] == "CURRENT_PASSWORD_REQUIRED"
    answer = invoke(
        "update_profile",
        token=token,
        body={"name": "Mia Wong", "email": "MIA@example.org", "current_password": member["password"]},
    )
    assert answer.status == 200
    assert answer.data["name"] == "Mia Wong" and answer.data["email"] == "mia@example.org"
    assert answer.data["updated_by"] == member["id"]
    assert login("mia@example.org", member["password"]).status == 200


def test_an_email_already_in_use_is_409(users):
    member, other = users.create("member"), users.create("member")
    answer = invoke(
        "update_profile",
        token=users.token(member),
        body={"email": other["email"].upper(), "current_password": member["password"]},
    )
    assert answer.status == 409 and answer.body["code"] == "EMAIL_TAKEN"


def test_a_password_change_needs_the_current_password_and_signs_out_everywhere(users):
    member = users.create("member")
    token = users.token(member)
    refresh_token = login(member["email"], member["password"]).data["refresh_token"]
    new_password = "a much better passphrase"

    missing = invoke("update_profile", token=token, body={"password": new_password})
    assert missing.status == 422 and missing.body["errors"][0]["field"] == "current_password"
    wrong = invoke("update_profile", token=token, body={"password": new_password, "current_password": "nope"})
    assert wrong.status == 403 and wrong.body["code"] == "WRONG_PASSWORD"
    # Refused changes leave the sessions alone.
    refreshed = invoke("refresh", body={"refresh_token": refresh_token})
    assert refreshed.status == 200
    refresh_token = refreshed.data["refresh_token"]

    changed = invoke(
        "update_profile", token=token, body={"password": new_password, "current_password": member["password"]}
    )
    assert changed.status == 200
    assert invoke("refresh", body={"refresh_token": refresh_token}).status == 401
    assert login(member["email"], member["password"]).status == 401
    assert login(member["email"], new_password).status == 200


def test_a_new_password_must_not_contain_the_name(users):
    member = users.create("member", name="Mia")
    answer = invoke(
        "update_profile",
        token=users.token(member),
        body={"name": "Theodora", "password": "theodora rules ok", "current_password": member["password"]},
    )
    assert answer.status == 422 and answer.body["code"] == "WEAK_PASSWORD"


@pytest.mark.parametrize("change", [{"role": "admin"}, {"is_active": True}, {"permission_groups": ["librarians"]}])
def test_a_member_cannot_raise_their_role_activate_or_join_groups(users, change, engine):
    member = users.create("member")
    answer = invoke("update_profile", token=users.token(member), body=change)
    assert answer.status == 403 and answer.body["code"] == "ADMIN_ONLY_FIELDS"
    with engine.connect() as connection:
        row = connection.execute(text("SELECT role FROM users WHERE id = :u"), {"u": member["id"]}).one()
        groups = connection.execute(text("SELECT count(*) FROM user_groups")).scalar()
    assert row.role == "member" and groups == 0


def test_an_admin_may_change_their_own_role_but_not_as_the_last_admin(users):
    admin = users.create("admin")
    answer = invoke("update_profile", token=users.token(admin), body={"role": "librarian"})
    assert answer.status == 409 and answer.body["code"] == "LAST_ADMIN"
    users.create("admin")
    answer = invoke("update_profile", token=users.token(admin), body={"role": "librarian"})
    assert answer.status == 200 and answer.data["role"] == "librarian"
    assert [group["name"] for group in answer.data["groups"]] == ["librarians"]


def test_closing_an_account_deactivates_it_and_revokes_its_sessions(users):
    member = users.create("member")
    refresh_token = login(member["email"], member["password"]).data["refresh_token"]
    answer = invoke("close_account", token=users.token(member))
    assert answer.status == 200 and answer.data["is_active"] is False
    assert invoke("refresh", body={"refresh_token": refresh_token}).status == 401
    assert login(member["email"], member["password"]).body["code"] == "ACCOUNT_INACTIVE"


@pytest.mark.parametrize(
    ("loan", "code"),
    [({"returned": False}, "OPEN_LOANS"), ({"returned": True, "fine": "unpaid"}, "UNPAID_FINES")],
)
def test_an_account_with_books_out_or_fines_unpaid_cannot_be_closed(users, engine, loan, code):
    member = users.create("member")
    give_loan(engine, member["id"], **loan)
    answer = invoke("close_account", token=users.token(member))
    assert answer.status == 409 and answer.body["code"] == code
    assert invoke("get_profile", token=users.token(member)).data["is_active"] is True


def test_settled_history_does_not_stop_closing(users, engine):
    member = users.create("member")
    give_loan(engine, member["id"], returned=True, fine="paid")
    assert invoke("close_account", token=users.token(member)).status == 200
