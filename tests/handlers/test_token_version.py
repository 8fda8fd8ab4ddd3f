"""Access ends within a minute of a deactivation, demotion, group change or password change: the token version."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from sqlalchemy import event, text

from devtools import template
from library_common import db, tokens
from library_loans.app import lambda_handler as loans_handler
from tests.auth_support import authorizer_context, invoke
from tests.conftest import LambdaContext, api_event
from tests.handlers.test_auth_refresh_cookie import cookie_login, parsed, send
from tests.test_circulation_support import add_book, make_overdue


def signed_in(user) -> dict:
    return invoke("login", body={"email": user["email"], "password": user["password"]}).data


def loans_as(token: str) -> tuple[int, str]:
    event = api_event("loans/list_loans.json")
    event["requestContext"]["authorizer"] = authorizer_context(token)
    response = loans_handler(event, LambdaContext())
    return response["statusCode"], response["body"]


def borrow_as(token: str, body: dict) -> tuple[int, dict]:
    event = api_event("loans/borrow.json", body=body)
    event["requestContext"]["authorizer"] = authorizer_context(token)
    response = loans_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def return_as(token: str, loan_id: int) -> tuple[int, dict]:
    event = api_event("loans/return_loan.json", path_parameters={"loan_id": str(loan_id)})
    event["path"] = f"/loans/{loan_id}/return"
    event["requestContext"]["authorizer"] = authorizer_context(token)
    response = loans_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def statements_of(work) -> list[str]:
    """The statements the loans function sends while `work()` runs."""
    statements: list[str] = []

    def counted(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.get_engine(), "before_cursor_execute", counted)
    try:
        work()
    finally:
        event.remove(db.get_engine(), "before_cursor_execute", counted)
    return statements


def loans_held(engine, member_id: int) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM loans WHERE user_id = :u"), {"u": member_id}).scalar()


def bump_token_version(engine, user_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET token_version = token_version + 1 WHERE id = :u"), {"u": user_id})


def test_the_access_token_carries_the_users_token_version(users, engine):
    member = users.create("member")
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET token_version = 7 WHERE id = :u"), {"u": member["id"]})
    claims = tokens.verify_access_token(signed_in(member)["access_token"])
    assert claims[tokens.VERSION_CLAIM] == 7


def test_a_deactivated_members_token_stops_working_at_once_in_every_function(users):
    member, admin = users.create("member"), users.create("admin")
    token = signed_in(member)["access_token"]
    assert loans_as(token)[0] == 200
    assert invoke("deactivate_user", token=users.token(admin), path={"id": member["id"]}).status == 200
    status, body = loans_as(token)
    assert status == 401 and '"TOKEN_REVOKED"' in body
    assert invoke("get_profile", token=token).body["code"] == "TOKEN_REVOKED"


def test_a_demoted_librarian_loses_staff_access_and_a_refresh_reflects_the_new_role(users):
    librarian, admin = users.create("librarian"), users.create("admin")
    session = signed_in(librarian)
    assert invoke("list_users", token=session["access_token"]).status == 200
    demoted = invoke("update_user", token=users.token(admin), path={"id": librarian["id"]}, body={"role": "member"})
    assert demoted.status == 200
    assert invoke("list_users", token=session["access_token"]).status == 401
    # Every session ended with the change: the member signs in again, as a member.
    assert invoke("refresh", body={"refresh_token": session["refresh_token"]}).status == 401
    again = signed_in(librarian)
    assert again["user"]["role"] == "member"
    assert invoke("list_users", token=again["access_token"]).status == 403


def test_changing_a_groups_permissions_ends_its_members_tokens_only(users):
    librarian, member, admin = users.create("librarian"), users.create("member"), users.create("admin")
    staff_token, member_token = signed_in(librarian)["access_token"], signed_in(member)["access_token"]
    groups = invoke("list_groups", token=users.token(admin)).data["items"]
    librarians = next(group for group in groups if group["name"] == "librarians")
    changed = invoke(
        "update_group", token=users.token(admin), path={"id": librarians["id"]}, body={"permissions": ["users.view"]}
    )
    assert changed.status == 200
    assert loans_as(staff_token)[0] == 401
    assert loans_as(member_token)[0] == 200


def test_a_password_change_ends_the_cookie_session_too(users):
    member = users.create("member")
    status, body, set_cookies = cookie_login(member)
    cookie = f"library_refresh={parsed(set_cookies)[0][1]}"
    token = body["data"]["access_token"]
    assert send("refresh", {}, cookie=cookie)[0] == 200
    changed = invoke(
        "update_profile", token=token, body={"password": "a fresh passphrase", "current_password": member["password"]}
    )
    assert changed.status == 200
    status, body, _ = send("refresh", {}, cookie=cookie)
    assert status == 401


def test_a_cached_authorizer_answer_is_not_honoured_past_the_tokens_expiry(users):
    member = users.create("member")
    context = authorizer_context(users.token(member))
    assert int(context["expires_at"]) > time.time()
    event = api_event("loans/list_loans.json")
    event["requestContext"]["authorizer"] = {**context, "expires_at": str(int(time.time()) - 1)}
    response = loans_handler(event, LambdaContext())
    assert response["statusCode"] == 401 and "TOKEN_EXPIRED" in response["body"]


def test_the_gateway_caches_an_authorizer_answer_for_a_minute_at_most():
    assert 0 < template.load().authorizer.ttl_seconds <= 60


def test_a_borrow_with_a_stale_token_is_refused_and_writes_nothing(users, engine):
    """The borrow reads the version in its own first statement (the route skips the separate check)."""
    member = users.create("member")
    book_id = add_book(quantity=2)
    token = users.token(member)
    bump_token_version(engine, member["id"])
    status, body = borrow_as(token, {"book_id": book_id})
    assert (status, body["code"], body["data"]) == (401, "TOKEN_REVOKED", None)
    assert loans_held(engine, member["id"]) == 0
    status, body = borrow_as(users.token(member), {"book_id": book_id})
    assert status == 201 and loans_held(engine, member["id"]) == 1


def test_a_stale_staff_token_cannot_borrow_for_a_member_nor_learn_whether_the_member_exists(users, engine):
    librarian, member = users.create("librarian"), users.create("member")
    book_id = add_book(quantity=1)
    token = users.token(librarian)
    bump_token_version(engine, librarian["id"])
    for borrower in (member["id"], member["id"] + 1000):
        status, body = borrow_as(token, {"book_id": book_id, "user_id": borrower})
        assert (status, body["code"]) == (401, "TOKEN_REVOKED")
    assert loans_held(engine, member["id"]) == 0
    # With the member's own version bumped instead, the librarian's current token still borrows for them.
    bump_token_version(engine, member["id"])
    assert borrow_as(users.token(librarian), {"book_id": book_id, "user_id": member["id"]})[0] == 201


def test_a_borrow_checks_the_version_within_its_three_statements(users, engine):
    member = users.create("member")
    book_id = add_book(quantity=1)
    token = users.token(member)
    answers = []
    statements = statements_of(lambda: answers.append(borrow_as(token, {"book_id": book_id})))
    assert answers[0][0] == 201
    assert len(statements) == 3
    # The version rides in the statement that locks the member's row.
    assert "token_version" in statements[0] and "FOR NO KEY UPDATE" in statements[0]


def open_loan_state(engine, loan_id: int) -> tuple:
    """What a return changes: the loan's return time, its fine, and its title's copies on loan."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT l.returned_on, f.amount, b.copies_on_loan FROM loans l JOIN books b ON b.id = l.book_id "
                "LEFT JOIN fines f ON f.loan_id = l.id WHERE l.id = :l"
            ),
            {"l": loan_id},
        ).one()


def test_a_late_return_with_a_stale_token_is_refused_and_writes_nothing(users, engine):
    """The return checks the version inside the statement that closes the loan (no separate read)."""
    member = users.create("member")
    status, loan = borrow_as(users.token(member), {"book_id": add_book(quantity=1)})
    assert status == 201
    make_overdue(engine, loan["data"]["id"], 3)
    token = users.token(member)
    bump_token_version(engine, member["id"])
    before = open_loan_state(engine, loan["data"]["id"])
    status, body = return_as(token, loan["data"]["id"])
    assert (status, body["code"], body["data"]) == (401, "TOKEN_REVOKED", None)
    assert open_loan_state(engine, loan["data"]["id"]) == before
    assert before.returned_on is None and before.amount is None and before.copies_on_loan == 1
    # Nor does a stale token learn whether a loan exists, or whether it is still open.
    assert return_as(token, loan["data"]["id"] + 1000)[1]["code"] == "TOKEN_REVOKED"
    status, body = return_as(users.token(member), loan["data"]["id"])
    assert (status, body["data"]["fine_amount"], body["data"]["status"]) == (200, "0.75", "returned")
    assert open_loan_state(engine, loan["data"]["id"])[1:] == (Decimal("0.75"), 0)
    assert return_as(token, loan["data"]["id"])[1]["code"] == "TOKEN_REVOKED"


def test_a_return_checks_the_version_within_its_two_statements(users, engine):
    member = users.create("member")
    _status, loan = borrow_as(users.token(member), {"book_id": add_book(quantity=1)})
    token = users.token(member)
    answers = []
    statements = statements_of(lambda: answers.append(return_as(token, loan["data"]["id"])))
    assert answers[0][0] == 200 and answers[0][1]["data"]["copy_destination"] == "shelf"
    assert len(statements) == 2
    # The version gates the statement that closes the loan.
    assert "token_version" in statements[0] and "UPDATE loans" in statements[0]
