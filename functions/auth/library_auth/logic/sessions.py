"""Signing in: login with its lockout (per email and client address), refresh-token rotation with reuse
detection, logout.

These functions open their own transactions instead of taking a session, because each needs a commit that
survives the error it then raises: a login attempt is recorded before the password is checked (so a burst of
parallel guesses cannot slip past the lockout), and a reused refresh token's family stays revoked after the 401.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from library_auth.logic import access, accounts, refresh_tokens
from library_common import db, metrics, models, passwords, tokens
from library_common.domain.statuses import NoticeKind
from library_common.errors import Forbidden, LibraryError, TooManyRequests, Unauthorized
from library_common.notices import queue_notice
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Failed logins from one client address for one email, within the window, before that address is refused (429).
MAX_FAILED_LOGINS = 5
# Failed logins for one email from every address together before the email counts as under attack. Then only the
# addresses that have failed for it wait (429); an address with no failure, the owner's, still signs in.
MAX_FAILED_LOGINS_PER_EMAIL = 50
LOCKOUT_WINDOW = timedelta(minutes=15)
# Namespace of the per-email advisory lock that serialises the lockout bookkeeping of one email.
LOGIN_LOCK_NAMESPACE = 0x6C6F67


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("Wrong email or password", code="INVALID_CREDENTIALS")


def _refused_until(oldest: datetime, now: datetime, reason: str) -> TooManyRequests:
    seconds = max(1, math.ceil((oldest + LOCKOUT_WINDOW - now).total_seconds()))
    return TooManyRequests(
        f"{reason}; try again in {math.ceil(seconds / 60)} minutes",
        code="TOO_MANY_LOGIN_ATTEMPTS",
        retry_after_seconds=seconds,
    )


def _window(session: Session, email: str, address: str):
    """(failures from this address, its oldest, failures from all addresses, their oldest, now) for the email."""
    session.execute(
        delete(models.LoginAttempt).where(
            models.LoginAttempt.email == email, models.LoginAttempt.attempted_on < func.now() - LOCKOUT_WINDOW
        )
    )
    from_here = models.LoginAttempt.client_address == address
    return session.execute(
        select(
            func.count().filter(from_here),
            func.min(models.LoginAttempt.attempted_on).filter(from_here),
            func.count(),
            func.min(models.LoginAttempt.attempted_on),
            func.now(),
        ).where(models.LoginAttempt.email == email)
    ).one()


def _reserve_attempt(session: Session, email: str, address: str) -> None:
    """Counts this attempt as failed until it succeeds; refuses it when its address, or the email under attack
    from everywhere while this address has failed too, is over its limit."""
    session.execute(select(func.pg_advisory_xact_lock(LOGIN_LOCK_NAMESPACE, func.hashtext(email))))
    from_here, oldest_here, everywhere, oldest, now = _window(session, email, address)
    if from_here >= MAX_FAILED_LOGINS:
        raise _refused_until(oldest_here, now, "Too many failed logins for this email from your address")
    if everywhere >= MAX_FAILED_LOGINS_PER_EMAIL and from_here:
        raise _refused_until(oldest, now, "Too many failed logins for this email")
    session.add(models.LoginAttempt(email=email, client_address=address))
    if everywhere + 1 == MAX_FAILED_LOGINS_PER_EMAIL:
        _warn_owner(session, email, now)


def _warn_owner(session: Session, email: str, now: datetime) -> None:
    """Tells the account's owner, once per window, that someone is guessing their password."""
    owner = session.scalar(select(models.User.id).where(func.lower(models.User.email) == email))
    if owner is None:
        return
    window_number = int(now.timestamp() // LOCKOUT_WINDOW.total_seconds())
    queue_notice(
        session,
        user_id=owner,
        kind=NoticeKind.FAILED_LOGINS,
        subject=f"user:{owner}",
        context={"failures": MAX_FAILED_LOGINS_PER_EMAIL, "minutes": int(LOCKOUT_WINDOW.total_seconds() // 60)},
        occurrence=str(window_number),
    )


def token_pair(session: Session, user: models.User, family_id=None) -> dict[str, Any]:
    catalogue = access.PermissionCatalogue(session)
    access_token = tokens.issue_access_token(
        user.id,
        user.role,
        catalogue.effective_permissions(user),
        token_version=user.token_version,
        must_change_password=user.must_change_password,
    )
    return {
        "token": access_token,
        "access_token": access_token,
        "refresh_token": refresh_tokens.issue(session, user.id, family_id),
        "token_type": "Bearer",
        "expires_in": get_settings().access_token_ttl_seconds,
        "user": accounts.account_view(user, catalogue),
    }


def login(email: str, password: str, client_address: str) -> dict[str, Any]:
    """A token pair, or the refusal; counted as a login, a failed login or one refused while locked out."""
    try:
        pair = _login(email, password, client_address)
    except TooManyRequests:
        metrics.count(metrics.LOGIN_LOCKOUTS)
        raise
    except LibraryError:
        metrics.count(metrics.LOGINS_FAILED)
        raise
    metrics.count(metrics.LOGINS_SUCCEEDED)
    return pair


def _login(email: str, password: str, client_address: str) -> dict[str, Any]:
    """The same 401, after the same Argon2 work, whether the email is unknown or the password wrong."""
    with db.transaction() as session:
        _reserve_attempt(session, email, client_address)
        found = session.execute(
            select(models.User.id, models.User.password_hash).where(func.lower(models.User.email) == email)
        ).first()
    if found is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        raise _invalid_credentials()
    user_id, password_hash = found
    if not passwords.verify_password(password_hash, password):
        raise _invalid_credentials()

    with db.transaction() as session:
        # Locked as the refresh token's foreign key locks it: an account deleted since the password was checked
        # is gone here, never a token the key refuses; this attempt then stays counted, as for an unknown email.
        user = session.get(models.User, user_id, with_for_update={"read": True, "key_share": True})
        gone = user is None
        active = not gone and user.is_active
        if not gone:
            _forget_failures(session, email, client_address)
        if active:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            pair = token_pair(session, user)
    if gone:
        raise _invalid_credentials()
    if not active:
        raise Forbidden("This account is not active yet (or was closed)", code="ACCOUNT_INACTIVE")
    return pair


def _forget_failures(session: Session, email: str, client_address: str) -> None:
    """A success wipes this address's failures for the email, this attempt's reservation among them; other
    addresses' stay counted, so an attacker gains nothing from the owner signing in."""
    session.execute(
        delete(models.LoginAttempt).where(
            models.LoginAttempt.email == email, models.LoginAttempt.client_address == client_address
        )
    )


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
            user = session.get(models.User, stored.user_id)
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
