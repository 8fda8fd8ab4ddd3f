"""Password reset by email: the same answer for every email, a single-use hashed code, sessions ended after."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, text

from library_auth.app import lambda_handler
from library_auth.logic import password_reset
from library_common import db
from library_loans.app import lambda_handler as loans_handler
from tests.auth_support import Answer, authorizer_context, invoke
from tests.conftest import LambdaContext, api_event

NEW_PASSWORD = "a brand new passphrase"


def request_reset(email: str, address: str = "192.0.2.10") -> Answer:
    event_ = api_event("auth/request_password_reset.json", body={"email": email})
    event_["requestContext"]["identity"]["sourceIp"] = address
    response = lambda_handler(event_, LambdaContext())
    return Answer(response["statusCode"], json.loads(response["body"]), response["body"], response["multiValueHeaders"])


def confirm(token: str, password: str = NEW_PASSWORD) -> Answer:
    return invoke("confirm_password_reset", body={"token": token, "password": password})


def codes_sent(engine, user_id: int) -> list[str]:
    with engine.connect() as connection:
        bodies = connection.execute(
            text("SELECT body_text FROM notifications WHERE user_id = :u AND kind = 'password_reset' ORDER BY id"),
            {"u": user_id},
        ).scalars()
        return [re.search(r"code:\n\n(\S+)\n", body).group(1) for body in bodies]


def login(user, password):
    return invoke("login", body={"email": user["email"], "password": password})


def test_a_member_resets_the_password_with_the_emailed_code_and_every_session_ends(users, engine):
    member = users.create("member")
    session = login(member, member["password"]).data
    answer = request_reset(member["email"].upper())
    assert answer.status == 202 and answer.data is None
    (code,) = codes_sent(engine, member["id"])
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM password_reset_tokens")).scalar()
    assert stored == password_reset.digest(code) and code not in stored

    assert confirm(code).status == 200
    assert login(member, member["password"]).status == 401
    assert login(member, NEW_PASSWORD).status == 200
    assert invoke("refresh", body={"refresh_token": session["refresh_token"]}).status == 401
    stale = invoke("get_profile", token=session["access_token"])
    assert stale.status == 401 and stale.body["code"] == "TOKEN_REVOKED"
    with engine.connect() as connection:
        kinds = connection.execute(text("SELECT kind FROM notifications ORDER BY id")).scalars().all()
    assert kinds == ["password_reset", "password_changed"]
    used = confirm(code, "yet another passphrase")
    assert used.status == 401 and used.body["code"] == "INVALID_RESET_TOKEN"


def statements_for(email: str) -> list[str]:
    seen: list[str] = []

    def remember(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", remember)
    try:
        answer = request_reset(email)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert answer.status == 202
    return seen


def test_an_unknown_email_gets_the_same_answer_after_the_same_statements(users, engine):
    member = users.create("member")
    known = request_reset(member["email"])
    unknown = request_reset("nobody@example.org")
    assert (known.status, known.raw) == (unknown.status, unknown.raw)
    # The same work whatever the email: only the rows touched differ, never the statements run.
    assert statements_for(member["email"]) == statements_for("nobody-else@example.org")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM password_reset_tokens")).scalar() == 1


def test_a_newer_request_or_a_password_change_makes_a_code_useless(users, engine):
    member = users.create("member")
    request_reset(member["email"])
    request_reset(member["email"])
    older, newer = codes_sent(engine, member["id"])
    assert confirm(older).status == 401
    changed = invoke(
        "update_profile",
        token=users.token(member),
        body={"password": "changed in the meantime", "current_password": member["password"]},
    )
    assert changed.status == 200
    assert confirm(newer).status == 401


def test_a_code_expires_after_thirty_minutes(users, engine):
    member = users.create("member")
    request_reset(member["email"])
    (code,) = codes_sent(engine, member["id"])
    with engine.begin() as connection:
        assert (
            connection.execute(text("SELECT expires_at - created_on FROM password_reset_tokens")).scalar().seconds
            == 1800
        )
        connection.execute(text("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second'"))
    assert confirm(code).status == 401


def test_a_weak_password_is_422_and_the_code_still_works(users, engine):
    member = users.create("member", name="Ada Lovelace")
    request_reset(member["email"])
    (code,) = codes_sent(engine, member["id"])
    weak = confirm(code, "lovelace forever")
    assert weak.status == 422 and weak.body["code"] == "WEAK_PASSWORD"
    assert confirm(code).status == 200


def test_requests_are_limited_per_email_silently_and_per_address_with_429(users, engine):
    member = users.create("member")
    for n in range(password_reset.MAX_REQUESTS_PER_EMAIL + 2):
        assert request_reset(member["email"], f"198.51.100.{n}").status == 202
    assert len(codes_sent(engine, member["id"])) == password_reset.MAX_REQUESTS_PER_EMAIL
    for n in range(password_reset.MAX_REQUESTS_PER_ADDRESS):
        assert request_reset(f"someone{n}@example.org", "203.0.113.9").status == 202
    refused = request_reset("another@example.org", "203.0.113.9")
    assert refused.status == 429 and refused.body["code"] == "TOO_MANY_RESET_REQUESTS"
    assert int(refused.headers["Retry-After"][0]) > 0


def test_an_inactive_account_is_sent_no_code(users, engine):
    member = users.create("member", active=False)
    assert request_reset(member["email"]).status == 202
    assert codes_sent(engine, member["id"]) == []


def test_the_code_is_not_shown_by_get_notifications(users, engine, lambda_context):
    member = users.create("member")
    request_reset(member["email"])
    (code,) = codes_sent(engine, member["id"])
    for reader in (member, users.create("librarian")):
        listing = api_event("loans/get_notifications.json", query={"user_id": str(member["id"])})
        listing["requestContext"]["authorizer"] = authorizer_context(users.token(reader))
        response = loans_handler(listing, lambda_context)
        assert response["statusCode"] == 200 and code not in response["body"]
        assert "password_reset" in response["body"]


@pytest.mark.parametrize("body", [{}, {"email": "a\r\nb@example.org"}, {"email": "x@example.org", "extra": 1}])
def test_malformed_requests_are_422(users, body):
    assert invoke("request_password_reset", body=body).status == 422
