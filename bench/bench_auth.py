"""Login and a token-authorised GET /auth through the handlers in-process, and the authorizer's warm check.

- login: POST /auth/login through `library_auth.app.lambda_handler` (envelope, validation, lockout
  bookkeeping, Argon2 verification, token pair), with the Argon2 verification measured on its own beside it;
- GET /auth: the authorizer's handler verifies the access token, then the auth handler answers with its
  context, as API Gateway chains them (the handler alone is reported too, with and without the token-version
  check, in alternation);
- the authorizer: warm verification of one access token per call (target under 1 ms).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from bench.support import Context, scratch_database, summary_ms
from library_auth.app import lambda_handler as auth_handler
from library_authorizer.app import lambda_handler as authorizer_handler
from library_common import api, db, passwords, tokens
from library_common.models import User

EVENTS = Path(__file__).resolve().parent.parent / "events"
CALLS = 1_000
HASH_CALLS = 300
AUTHORIZER_CALLS = 10_000
AUTHORIZER_TARGET_MS = 1.0
VERSION_BLOCK = 10
PASSWORD = "a long passphrase for the bench"


def _event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def _timed(call: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def _expect(status: int, response: dict) -> None:
    if response["statusCode"] != status:
        raise RuntimeError(f"expected {status}, got {response['statusCode']}: {response['body'][:200]}")


def _with_and_without_version_check(call: Callable[[], object]) -> tuple[list[float], list[float]]:
    """The same request with the token-version check (one primary-key read in the request's first transaction)
    and with it switched off, in alternating blocks so that the machine's load falls on both alike."""
    checked: list[float] = []
    unchecked: list[float] = []
    real_check = api._token_still_current
    for _ in range(CALLS // VERSION_BLOCK):
        checked += _timed(call, VERSION_BLOCK)
        api._token_still_current = lambda _who: None
        try:
            unchecked += _timed(call, VERSION_BLOCK)
        finally:
            api._token_still_current = real_check
    return checked, unchecked


def _version_check_cost(checked: list[float], unchecked: list[float]) -> str:
    checked_median, _ = summary_ms(checked)
    unchecked_median, _ = summary_ms(unchecked)
    return (
        f"The token-version check (item 4 of issue 16: a deactivated or demoted user's tokens end at once) costs "
        f"{checked_median - unchecked_median:+.3f} ms per authenticated request here (median {checked_median:.2f} "
        f"against {unchecked_median:.2f} ms, x{checked_median / unchecked_median:.2f}): one primary-key read in the "
        "transaction the request opens anyway; behind an RDS Proxy add one network round trip."
    )


def run() -> str:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    with scratch_database():
        with db.transaction() as session:
            user = User(
                name="Bench Member",
                email="bench@example.org",
                password_hash=passwords.hash_password(PASSWORD),
                role="member",
                is_active=True,
            )
            session.add(user)
            session.flush()
            user_id = user.id
        context = Context()

        login_event = _event("auth/login.json")
        login_event["body"] = json.dumps({"email": "bench@example.org", "password": PASSWORD})
        _expect(200, auth_handler(login_event, context))  # warm: engine, settings, signing key
        access_token = json.loads(auth_handler(login_event, context)["body"])["data"]["access_token"]
        login = _timed(lambda: _expect(200, auth_handler(login_event, context)), CALLS)

        stored_hash = passwords.hash_password(PASSWORD)
        verify = _timed(lambda: passwords.verify_password(stored_hash, PASSWORD), HASH_CALLS)
        hashing = _timed(lambda: passwords.hash_password(PASSWORD), HASH_CALLS // 3)

        authorizer_event = _event("authorizer/token.json")
        authorizer_event["authorizationToken"] = f"Bearer {access_token}"
        profile_event = _event("auth/get_profile.json")

        def authorised_profile() -> None:
            policy = authorizer_handler(authorizer_event, None)
            profile_event["requestContext"]["authorizer"] = {"principalId": policy["principalId"], **policy["context"]}
            _expect(200, auth_handler(profile_event, context))

        authorised_profile()
        chained = _timed(authorised_profile, CALLS)
        handler_only, unchecked = _with_and_without_version_check(
            lambda: _expect(200, auth_handler(profile_event, context))
        )
        authorizer = _timed(lambda: authorizer_handler(authorizer_event, None), AUTHORIZER_CALLS)
        verify_only = _timed(lambda: tokens.verify_access_token(access_token), AUTHORIZER_CALLS)
        assert int(tokens.verify_access_token(access_token)["sub"]) == user_id

    rows = [
        ("POST /auth/login (auth handler, whole request)", login, CALLS),
        ("  of which: Argon2id verify (m=19 MiB, t=2, p=1)", verify, HASH_CALLS),
        ("  Argon2id hash (registration, password change)", hashing, HASH_CALLS // 3),
        ("GET /auth: authorizer + auth handler", chained, CALLS),
        ("GET /auth: auth handler alone", handler_only, CALLS),
        ("GET /auth: auth handler alone, token-version check off", unchecked, CALLS),
        ("authorizer handler, warm (per call)", authorizer, AUTHORIZER_CALLS),
        ("  of which: tokens.verify_access_token", verify_only, AUTHORIZER_CALLS),
    ]
    return _markdown(rows, login=login, verify=verify, authorizer=authorizer, version_check=(handler_only, unchecked))


def _markdown(rows, *, login, verify, authorizer, version_check) -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        "In-process, against a scratch PostgreSQL on this machine (one connection, no network hop). "
        f"Load average when done (1, 5, 15 min): {load}; figures rise with other work on the 2 cores.",
        "",
        "| measured | calls | median (ms) | p99 (ms) |",
        "|---|---:|---:|---:|",
    ]
    for label, samples, count in rows:
        median, p99 = summary_ms(samples)
        lines.append(f"| {label} | {count} | {median:.2f} | {p99:.2f} |")
    login_median, _ = summary_ms(login)
    verify_median, _ = summary_ms(verify)
    authorizer_median, authorizer_p99 = summary_ms(authorizer)
    met = authorizer_median < AUTHORIZER_TARGET_MS
    lines += [
        "",
        _version_check_cost(*version_check),
        "",
        f"Login without the password check: about {login_median - verify_median:.1f} ms of the "
        f"{login_median:.1f} ms median (two short transactions, the token pair, the envelope).",
        "",
        f"Target: the authorizer's warm verification under {AUTHORIZER_TARGET_MS:.0f} ms per call: "
        f"median {authorizer_median:.3f} ms, p99 {authorizer_p99:.3f} ms: **{'met' if met else 'NOT met'}**.",
    ]
    return "\n".join(lines)
