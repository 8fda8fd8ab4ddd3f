"""Refresh tokens: opaque random strings, stored only as their SHA-256, grouped in families.

A family is one login's chain of rotations. Each token is used once: rotating marks it `rotated_at` and
issues its successor in the same family. Presenting a rotated token again means a copy leaked, so the whole
family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from library_common import models
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(session: Session, user_id: int, family_id: uuid.UUID | None = None) -> str:
    """A new token (a new family unless one is given); only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    lifetime = timedelta(days=get_settings().refresh_token_ttl_days)
    session.add(
        models.RefreshToken(
            user_id=user_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=digest(raw),
            expires_at=datetime.now(UTC) + lifetime,
        )
    )
    return raw


def locked(session: Session, raw: str) -> models.RefreshToken | None:
    """The stored token, row-locked: two refreshes of one token are serialised here, so only one can rotate it."""
    return session.scalar(
        select(models.RefreshToken).where(models.RefreshToken.token_hash == digest(raw)).with_for_update()
    )


def revoke_family(session: Session, family_id: uuid.UUID) -> None:
    session.execute(
        update(models.RefreshToken)
        .where(models.RefreshToken.family_id == family_id, models.RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


def family_of(session: Session, raw: str, user_id: int) -> uuid.UUID | None:
    return session.scalar(
        select(models.RefreshToken.family_id).where(
            models.RefreshToken.token_hash == digest(raw), models.RefreshToken.user_id == user_id
        )
    )
