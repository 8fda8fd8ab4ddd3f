"""The first admin of a new library: created once, then never touched again by a deployment.

A deployment creates the admin only when no user has the admin email. An existing user is left exactly as
they are: a redeploy must not reset a password the admin has changed, nor promote an account (say, one a
member registered with that address) whose password the deployer never chose. `make run` shares the row
(devtools/database.py) but also updates an existing local admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from library_common import models
from library_common.domain.days import TODAY
from library_common.domain.statuses import Role
from library_common.passwords import hash_password

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ADMIN_NAME = "Administrator"


def user_with_email(session: Session, email: str) -> int | None:
    # Emails are unique case-insensitively (uq_users_email_lower), as logins match them.
    return session.scalar(select(models.User.id).where(func.lower(models.User.email) == email.lower()))


def create_admin(session: Session, email: str, password: str, *, generated: bool) -> int:
    """A generated password travelled through a secret or a terminal: the admin must replace it at first login."""
    statement = insert(models.User).values(
        name=ADMIN_NAME,
        email=email,
        password_hash=hash_password(password),
        role=Role.ADMIN.value,
        membership_date=TODAY,
        is_active=True,
        must_change_password=generated,
    )
    return session.execute(statement.returning(models.User.id)).scalar_one()


def ensure_first_admin(session: Session, email: str, password: Callable[[], str]) -> bool:
    """Creates an active admin with `email` unless some user has it; True when it did.

    `password` is called only when the admin is created, so a redeploy does not even read it. The deployment
    generated it, so the admin must change it before anything else.
    """
    if user_with_email(session, email) is not None:
        return False
    create_admin(session, email, password(), generated=True)
    return True
