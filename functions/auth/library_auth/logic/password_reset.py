"""Password reset by email: a single-use code, sent in a notice, exchanged for a new password.

Requesting never tells whether an account exists: the answer is the same, and the work is the same statements
whatever the email (each selects its user by email and simply touches no row when there is none), so neither
the body nor the time tells accounts apart. Requests are rate-limited per client address (429: that reveals
nothing about any account) and per email (beyond the limit a request is accepted and does nothing).

The code is random (256 bits), stored only as its SHA-256, valid RESET_TOKEN_LIFETIME, used once; a newer
request or any password change deletes it. Confirming sets the password with the usual strength rules, ends
every session of the account (refresh tokens revoked, token version bumped) and tells the member.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import String, delete, func, insert, literal, select

from library_auth.logic import accounts
from library_common import models
from library_common.domain.statuses import NoticeKind
from library_common.errors import TooManyRequests, Unauthorized
from library_common.notices import insert_notices, notice_rows, queue_notice

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

RESET_TOKEN_LIFETIME = timedelta(minutes=30)
REQUEST_WINDOW = timedelta(minutes=15)
# Requests for one email within the window that send a code; later ones are accepted and do nothing.
MAX_REQUESTS_PER_EMAIL = 3
# Requests from one client address within the window, any emails; later ones are refused (429).
MAX_REQUESTS_PER_ADDRESS = 10
RESET_LOCK_NAMESPACE = 0x727374


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _recent_requests(session: Session, email: str, address: str) -> tuple[int, int]:
    session.execute(
        delete(models.PasswordResetRequest).where(
            models.PasswordResetRequest.requested_on < func.now() - REQUEST_WINDOW
        )
    )
    recent = models.PasswordResetRequest.requested_on >= func.now() - REQUEST_WINDOW
    for_email, from_address = session.execute(
        select(
            func.count().filter(models.PasswordResetRequest.email == email),
            func.count().filter(models.PasswordResetRequest.client_address == address),
        ).where(recent)
    ).one()
    return for_email, from_address


def _active_account(email: str):
    return select(models.User.id).where(func.lower(models.User.email) == email, models.User.is_active)


def _send_code(session: Session, email: str) -> None:
    """Replaces the account's code with a new one and queues its notice; touches no row for an unknown email."""
    raw = secrets.token_urlsafe(32)
    session.execute(
        delete(models.PasswordResetToken).where(models.PasswordResetToken.user_id.in_(_active_account(email)))
    )
    expires_at = func.now() + func.make_interval(0, 0, 0, 0, 0, int(RESET_TOKEN_LIFETIME.total_seconds() // 60))
    # The account is locked as the code's foreign key would lock it, but before: one deleted meanwhile is then
    # simply not found (no code, no notice, the same answer), not a row the key refuses.
    account = (
        _active_account(email)
        .add_columns(literal(digest(raw), String), expires_at)
        .with_for_update(read=True, key_share=True)
    )
    session.execute(insert(models.PasswordResetToken).from_select(["user_id", "token_hash", "expires_at"], account))
    minutes = str(int(RESET_TOKEN_LIFETIME.total_seconds() // 60))
    rows = select(
        models.User.id.label("user_id"),
        func.concat("user:", models.User.id).label("subject"),
        literal(digest(raw)[:16], String).label("occurrence"),
        literal(raw, String).label("token"),
        literal(minutes, String).label("minutes"),
    ).where(func.lower(models.User.email) == email, models.User.is_active)
    session.execute(insert_notices(notice_rows(NoticeKind.PASSWORD_RESET, rows)))


def request_reset(session: Session, email: str, address: str) -> None:
    session.execute(select(func.pg_advisory_xact_lock(RESET_LOCK_NAMESPACE, func.hashtext(email))))
    for_email, from_address = _recent_requests(session, email, address)
    if from_address >= MAX_REQUESTS_PER_ADDRESS:
        raise TooManyRequests(
            f"Too many password reset requests from your address; try again in {math.ceil(REQUEST_WINDOW.seconds / 60)}"
            " minutes",
            code="TOO_MANY_RESET_REQUESTS",
            retry_after_seconds=int(REQUEST_WINDOW.total_seconds()),
        )
    session.add(models.PasswordResetRequest(email=email, client_address=address))
    if for_email < MAX_REQUESTS_PER_EMAIL:
        _send_code(session, email)


def confirm_reset(session: Session, raw_token: str, password: str) -> None:
    """Sets the password of the code's account; the code is spent (deleted with every other of the account)."""
    user_id = session.scalar(
        select(models.PasswordResetToken.user_id)
        .where(
            models.PasswordResetToken.token_hash == digest(raw_token), models.PasswordResetToken.expires_at > func.now()
        )
        .with_for_update()
    )
    user = session.get(models.User, user_id, with_for_update=True) if user_id is not None else None
    if user is None or not user.is_active:
        raise Unauthorized("This reset code is unknown, used or expired; ask for a new one", code="INVALID_RESET_TOKEN")
    accounts.set_password(session, user, password)
    queue_notice(
        session,
        user_id=user.id,
        kind=NoticeKind.PASSWORD_CHANGED,
        subject=f"user:{user.id}",
        context={},
        occurrence=digest(raw_token)[:16],
    )
