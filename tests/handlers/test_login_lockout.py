"""The login lockout counts failures per (email, client address): an attacker is stopped, the owner is not."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from library_auth.app import lambda_handler
from library_auth.logic import sessions
from tests.auth_support import Answer
from tests.conftest import LambdaContext, api_event

ATTACKER, OWNER = "203.0.113.66", "192.0.2.10"


def login_from(address: str, email: str, password: str) -> Answer:
    event = api_event("auth/login.json", body={"email": email, "password": password})
    event["requestContext"]["identity"]["sourceIp"] = address
    response = lambda_handler(event, LambdaContext())
    return Answer(response["statusCode"], json.loads(response["body"]), response["body"], response["multiValueHeaders"])


def test_an_attacker_at_one_address_is_stopped_after_five_failures(users):
    member = users.create("member")
    for _ in range(sessions.MAX_FAILED_LOGINS):
        assert login_from(ATTACKER, member["email"], "guess guess").status == 401
    stopped = login_from(ATTACKER, member["email"], "guess again")
    assert stopped.status == 429 and stopped.body["code"] == "TOO_MANY_LOGIN_ATTEMPTS"
    assert 14 * 60 < int(stopped.headers["Retry-After"][0]) <= 15 * 60
    # Even the right password is refused from there for the rest of the window.
    assert login_from(ATTACKER, member["email"], member["password"]).status == 429


def test_an_attacker_at_one_address_cannot_keep_the_owner_at_another_out(users):
    member = users.create("member")
    for _ in range(sessions.MAX_FAILED_LOGINS + 3):
        login_from(ATTACKER, member["email"], "guess guess")
    assert login_from(OWNER, member["email"], member["password"]).status == 200
    # The owner signing in does not wipe the attacker's count.
    assert login_from(ATTACKER, member["email"], member["password"]).status == 429


def test_the_owners_failures_do_not_lock_them_out_after_a_success(users):
    member = users.create("member")
    for _ in range(4):
        login_from(OWNER, member["email"], "typo typo")
    assert login_from(OWNER, member["email"], member["password"]).status == 200
    for _ in range(4):
        assert login_from(OWNER, member["email"], "typo typo").status == 401
    assert login_from(OWNER, member["email"], member["password"]).status == 200


def test_many_addresses_slow_down_only_addresses_that_failed_and_the_owner_is_told(users, engine, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_FAILED_LOGINS_PER_EMAIL", 8)
    member = users.create("member")
    botnet = [f"198.51.100.{n}" for n in range(1, 9)]
    for address in botnet:
        assert login_from(address, member["email"], "guess guess").status == 401
    # The email is now under attack: an address that has failed for it waits, even with the right password...
    slowed = login_from(botnet[0], member["email"], member["password"])
    assert slowed.status == 429 and int(slowed.headers["Retry-After"][0]) > 0
    assert login_from("198.51.100.200", member["email"], "guess guess").status == 401
    assert login_from("198.51.100.200", member["email"], member["password"]).status == 429
    # ... while an address with no failure for it, the owner's, signs in.
    assert login_from(OWNER, member["email"], member["password"]).status == 200
    with engine.connect() as connection:
        notices = connection.execute(text("SELECT user_id, kind, subject FROM notifications")).all()
    assert [(user_id, kind) for user_id, kind, _ in notices] == [(member["id"], "failed_logins")]
    assert notices[0].subject == "Someone is trying to sign in to your library account"


def test_failures_for_an_unknown_email_are_counted_alike_and_tell_nobody(users, engine, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_FAILED_LOGINS_PER_EMAIL", 3)
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert login_from(address, "nobody@example.org", "guess guess").status == 401
    assert login_from("198.51.100.1", "nobody@example.org", "guess guess").status == 429
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notifications")).scalar() == 0


@pytest.mark.parametrize("address", ["", "2001:db8::1"])
def test_any_address_form_is_counted(users, address):
    member = users.create("member")
    for _ in range(sessions.MAX_FAILED_LOGINS):
        login_from(address, member["email"], "guess guess")
    assert login_from(address, member["email"], member["password"]).status == 429
