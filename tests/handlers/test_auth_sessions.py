"""POST /auth/login, /auth/refresh and /auth/logout through the handler."""

import hashlib

import pytest
from sqlalchemy import text

from library_common import tokens
from library_common.passwords import dummy_hash
from tests.auth_support import invoke


def login(user, password=None):
    return invoke("login", body={"email": user["email"], "password": password or user["password"]})


def test_login_answers_a_token_pair_and_the_user(users, engine):
    member = users.create("member", name="Mia")
    answer = login(member)
    assert answer.status == 200
    data = answer.data
    assert data["token"] == data["access_token"] and data["token_type"] == "Bearer"
    assert data["expires_in"] == 900
    assert data["user"]["id"] == member["id"] and data["user"]["name"] == "Mia"
    claims = tokens.verify_access_token(data["access_token"])
    assert (claims["sub"], claims["role"], claims["type"]) == (str(member["id"]), "member", "access")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash, expires_at - now() AS ttl FROM refresh_tokens")).one()
    # Only the hash is stored, and nothing of it is ever answered.
    assert stored.token_hash == hashlib.sha256(data["refresh_token"].encode()).hexdigest()
    assert stored.token_hash not in answer.raw and "password_hash" not in answer.raw and "$argon2" not in answer.raw
    assert 13.9 < stored.ttl.total_seconds() / 86400 <= 14


def test_the_access_token_carries_the_effective_permissions(users):
    librarian = users.create("librarian")
    admin = users.create("admin")
    librarian_claims = tokens.verify_access_token(login(librarian).data["access_token"])
    admin_claims = tokens.verify_access_token(login(admin).data["access_token"])
    assert "loans.manage" in librarian_claims["perms"] and "users.manage" not in librarian_claims["perms"]
    assert {"users.manage", "groups.manage", "policies.manage"} <= set(admin_claims["perms"])


def test_the_email_is_matched_whatever_its_case(users):
    member = users.create("member", email="mia@example.org")
    answer = invoke("login", body={"email": "  MIA@Example.ORG ", "password": member["password"]})
    assert answer.status == 200


def test_unknown_email_and_wrong_password_get_the_same_401(users):
    member = users.create("member")
    wrong_password = login(member, "not the password")
    unknown_email = invoke("login", body={"email": "nobody@example.org", "password": "whatever it is"})
    assert wrong_password.status == unknown_email.status == 401
    assert wrong_password.body == unknown_email.body
    assert wrong_password.body["code"] == "INVALID_CREDENTIALS"


def test_an_unknown_email_is_checked_against_the_dummy_hash(users, monkeypatch):
    from library_auth.logic import sessions

    verified = []
    real_verify = sessions.passwords.verify_password
    monkeypatch.setattr(sessions.passwords, "verify_password", lambda h, p: verified.append(h) or real_verify(h, p))
    invoke("login", body={"email": "nobody@example.org", "password": "whatever it is"})
    assert verified == [dummy_hash()]


def test_an_inactive_account_gets_403_only_with_the_right_password(users):
    member = users.create("member", active=False)
    assert login(member, "not the password").status == 401
    answer = login(member)
    assert answer.status == 403 and answer.body["code"] == "ACCOUNT_INACTIVE"


def test_five_failures_lock_the_email_out_for_the_rest_of_the_window(users, engine):
    member = users.create("member")
    for _ in range(5):
        assert login(member, "not the password").status == 401
    locked = login(member)
    assert locked.status == 429 and locked.body["code"] == "TOO_MANY_LOGIN_ATTEMPTS"
    assert "15 minutes" in locked.body["message"]
    assert 14 * 60 < int(locked.headers["Retry-After"][0]) <= 15 * 60
    # Unknown emails are locked out the same way, so the lockout tells nothing about which emails exist.
    for _ in range(5):
        invoke("login", body={"email": "nobody@example.org", "password": "guess guess"})
    assert invoke("login", body={"email": "nobody@example.org", "password": "guess"}).status == 429
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE login_attempts SET attempted_on = attempted_on - interval '15 minutes 1 second'")
        )
    assert login(member).status == 200


def test_a_successful_login_clears_earlier_failures(users):
    member = users.create("member")
    for _ in range(4):
        login(member, "not the password")
    assert login(member).status == 200
    for _ in range(4):
        assert login(member, "not the password").status == 401
    assert login(member).status == 200


def test_an_outdated_hash_is_upgraded_at_login(users, engine):
    from argon2 import PasswordHasher

    member = users.create("member")
    old_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(member["password"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET password_hash = :h"), {"h": old_hash})
    assert login(member).status == 200
    with engine.connect() as connection:
        upgraded = connection.execute(text("SELECT password_hash FROM users")).scalar()
    assert upgraded != old_hash and upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert login(member).status == 200


def refresh(refresh_token):
    return invoke("refresh", body={"refresh_token": refresh_token})


def test_refresh_rotates_the_token(users):
    member = users.create("member")
    first = login(member).data["refresh_token"]
    answer = refresh(first)
    assert answer.status == 200
    second = answer.data["refresh_token"]
    assert second != first and answer.data["user"]["id"] == member["id"]
    assert tokens.verify_access_token(answer.data["access_token"])["sub"] == str(member["id"])
    assert refresh(second).status == 200


def test_a_rotated_token_presented_again_revokes_its_whole_family(users):
    member = users.create("member")
    other_session = login(member).data["refresh_token"]
    first = login(member).data["refresh_token"]
    second = refresh(first).data["refresh_token"]
    reused = refresh(first)
    assert reused.status == 401 and reused.body["code"] == "REFRESH_TOKEN_REUSED"
    revoked = refresh(second)
    assert revoked.status == 401 and revoked.body["code"] == "REFRESH_TOKEN_REVOKED"
    # Another login of the same user is another family and keeps working.
    assert refresh(other_session).status == 200


def test_unknown_and_expired_refresh_tokens_are_401(users, engine):
    member = users.create("member")
    assert refresh("made-up-token").body["code"] == "INVALID_REFRESH_TOKEN"
    token = login(member).data["refresh_token"]
    with engine.begin() as connection:
        connection.execute(text("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'"))
    answer = refresh(token)
    assert answer.status == 401 and answer.body["code"] == "REFRESH_TOKEN_EXPIRED"


def test_an_access_token_is_not_a_refresh_token(users):
    member = users.create("member")
    assert refresh(login(member).data["access_token"]).status == 401


def test_logout_revokes_the_session(users):
    member = users.create("member")
    pair = login(member).data
    rotated = refresh(pair["refresh_token"]).data
    answer = invoke("logout", token=rotated["access_token"], body={"refresh_token": rotated["refresh_token"]})
    assert answer.status == 200 and answer.data is None
    assert refresh(rotated["refresh_token"]).body["code"] == "REFRESH_TOKEN_REVOKED"


def test_logout_cannot_revoke_someone_elses_session(users):
    member, other = users.create("member"), users.create("member")
    theirs = login(other).data["refresh_token"]
    answer = invoke("logout", token=users.token(member), body={"refresh_token": theirs})
    assert answer.status == 200
    assert refresh(theirs).status == 200


def test_logout_needs_a_caller(users):
    assert invoke("logout", body={"refresh_token": "whatever"}).status == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "a@b.org"}, {"email": "a@b.org", "password": ""}, {"email": "a\u0000@b.org", "password": "x"}],
)
def test_incomplete_logins_are_422(users, body):
    assert invoke("login", body=body).status == 422
