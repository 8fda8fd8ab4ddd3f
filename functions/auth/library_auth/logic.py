"""Identity rules: who a user is and what they may do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from library_common.errors import NotFound
from library_common.models import Permission, User


def effective_permissions(session: Session, user: User) -> list[str]:
    """The role's defaults plus the union of the user's groups; admins hold every permission."""
    if user.role == "admin":
        return sorted(session.scalars(select(Permission.code)))
    return sorted({permission.code for group in user.groups for permission in group.permissions})


def profile(session: Session, user_id: int) -> dict:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found", code="USER_NOT_FOUND")
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
        "membership_date": user.membership_date,
        "groups": [{"id": group.id, "name": group.name} for group in user.groups],
        "permissions": effective_permissions(session, user),
    }
