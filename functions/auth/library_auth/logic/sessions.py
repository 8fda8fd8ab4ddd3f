"""Signing in: login with its lockout, refresh-token rotation with reuse detection, logout.

These functions open their own transactions instead of taking a session, because each needs a commit that
survives the error it then raises: a login attempt is recorded before the password is checked (so a burst of
parallel guesses cannot slip past the lockout), and a reused refresh token's family stays revoked after the 401.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from library_auth.logic import access, accounts, refresh_tokens
from library_common import db, passwords, tokens
from library_common.errors import Forbidden, LibraryError, TooManyRequests, Unauthorized
from library_common.models import LoginAttempt, User
from library_common.settings import get_settings

MAX_FAILED_LOGINS = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
# Namespace of the per-email advisory lock that serialises the lockout bookkeeping of one email.
LOGIN_LOCK_NAMESPACE = 0x6C6F67


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("Wrong email or password", code="INVALID_CREDENTIALS")


def _reserve_attempt(session: Session, email: str) -> None:
    """Counts this attempt as failed until it succeeds; refuses it once the window holds MAX_FAILED_LOGINS."""
    session.execute(select(func.pg_advisory_xact_lock(LOGIN_LOCK_NAMESPACE, func.hashtext(email))))
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.attempted_on < func.now() - LOCKOUT_WINDOW)
    )
    window = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_on), func.now()).where(LoginAttempt.email == email)
    ).one()
    failures, oldest, now = window
    if failures >= MAX_FAILED_LOGINS:
        seconds = max(1, math.ceil((oldest + LOCKOUT_WINDOW - now).total_seconds()))
        minutes = math.ceil(seconds / 60)
        raise TooManyRequests(
            f"Too many failed logins for this email; try again in {minutes} minutes",
            code="TOO_MANY_LOGIN_ATTEMPTS",
            retry_after_seconds=seconds,
        )
    session.add(LoginAttempt(email=email))


def token_pair(session: Session, user: User, family_id=None) -> dict[str, Any]:
    catalogue = access.PermissionCatalogue(session)
    access_token = tokens.issue_access_token(user.id, user.role, catalogue.effective_permissions(user))
    return {
        "token": access_token,
        "access_token": access_token,
        "refresh_token": refresh_tokens.issue(session, user.id, family_id),
        "token_type": "Bearer",
        "expires_in": get_settings().access_token_ttl_seconds,
        "user": accounts.account_view(user, catalogue),
    }


def login(email: str, password: str) -> dict[str, Any]:
    """The same 401, after the same Argon2 work, whether the email is unknown or the password wrong."""
    with db.transaction() as session:
        _reserve_attempt(session, email)
        found = session.execute(select(User.id, User.password_hash).where(func.lower(User.email) == email)).first()
    if found is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        raise _invalid_credentials()
    user_id, password_hash = found
    if not passwords.verify_password(password_hash, password):
        raise _invalid_credentials()

    with db.transaction() as session:
        # A success wipes the email's failures, including this attempt's reservation.
        session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        user = session.get(User, user_id)
        if not user.is_active:
            pair = None
        else:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            pair = token_pair(session, user)
    if pair is None:
        raise Forbidden("This account is not active yet (or was closed)", code="ACCOUNT_INACTIVE")
    return pair


def refresh(raw_token: str) -> dict[str, Any]:
    """Rotates a refresh token into a new pair; a token presented a second time revokes its whole family."""
    refusal: LibraryError | None = None
    with db.transaction() as session:
        stored = refresh_tokens.locked(session, raw_token)
        if stored is None:
            refusal = Unauthorized("Unknown refresh token", code="INVALID_REFRESH_TOKEN")
        elif stored.rotated_at is not None:
            refresh_tokens.revoke_family(session, stored.family_id)
            refusal = Unauthorized(
                "This refresh token was already used; its whole session is now revoked", code="REFRESH_TOKEN_REUSED"
            )
        elif stored.revoked_at is not None:
            refusal = Unauthorized("This refresh token was revoked", code="REFRESH_TOKEN_REVOKED")
        elif stored.expires_at <= datetime.now(UTC):
            refusal = Unauthorized("This refresh token has expired", code="REFRESH_TOKEN_EXPIRED")
        else:
            user = session.get(User, stored.user_id)
            stored.rotated_at = datetime.now(UTC)
            if user.is_active:
                pair = token_pair(session, user, stored.family_id)
            else:
                refresh_tokens.revoke_family(session, stored.family_id)
                refusal = Forbidden("This account is not active", code="ACCOUNT_INACTIVE")
    if refusal is not None:
        raise refusal
    return pair


def logout(session: Session, user_id: int, raw_token: str) -> None:
    """Revokes the session (the token's family) if the token is the caller's; unknown tokens change nothing."""
    family_id = refresh_tokens.family_of(session, raw_token, user_id)
    if family_id is not None:
        refresh_tokens.revoke_family(session, family_id)
