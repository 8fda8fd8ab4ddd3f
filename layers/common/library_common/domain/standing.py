"""A member's standing: whether they may borrow, renew or queue now, and if not, why.

A member is blocked while their account is inactive, while any loan of theirs is overdue, or while their
unpaid fines reach the policy's `block_threshold` (a threshold of 0: any unpaid fine blocks).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, func, select

from library_common import models
from library_common.domain import loans
from library_common.domain.policy import THE_POLICY
from library_common.domain.statuses import FineStatus
from library_common.errors import NotFound
from library_common.money import money
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def member_not_found() -> NotFound:
    """What a loan or hold for a member without an account is answered."""
    return NotFound("Member not found", code="USER_NOT_FOUND")


def overdue_loan_exists(user_id: Any) -> ColumnElement[bool]:
    """Whether the member has a loan out past its due date."""
    return exists().where(models.loans.c.user_id == user_id, loans.is_overdue(models.loans.c))


def unpaid_fines_total(user_id: Any) -> ColumnElement[Decimal]:
    return (
        select(func.coalesce(func.sum(models.fines.c.amount), 0))
        .where(models.fines.c.user_id == user_id, models.fines.c.status == FineStatus.UNPAID)
        .scalar_subquery()
    )


def standing_columns(user_id: Any) -> tuple[ColumnElement[Any], ...]:
    """What `blocked_because` reads, for a query over `User` joined to the policy row: is_active, has_overdue,
    unpaid, block_threshold."""
    return (
        models.users.c.is_active,
        overdue_loan_exists(user_id).label("has_overdue"),
        unpaid_fines_total(user_id).label("unpaid"),
        models.policies.c.block_threshold,
    )


NOT_ACTIVE = "the account is not active"


def block_reason(*, is_active: bool, has_overdue: bool, unpaid: Decimal, threshold: Decimal) -> str | None:
    """Why a member may not borrow, renew or queue now; None when they may."""
    if not is_active:
        return NOT_ACTIVE
    if has_overdue:
        return "an overdue loan must be returned first"
    if unpaid > 0 and unpaid >= threshold:
        currency = get_settings().library_currency
        return f"unpaid fines of {money(unpaid, currency)} reach the limit of {money(threshold, currency)}"
    return None


def blocked_because(facts: Any) -> str | None:
    """`block_reason` of a row carrying the `standing_columns`."""
    return block_reason(
        is_active=facts.is_active, has_overdue=facts.has_overdue, unpaid=facts.unpaid, threshold=facts.block_threshold
    )


def member_block_reason(session: Session, user_id: int) -> str | None:
    """Why the member may not borrow now, or None; an unknown member counts as not active."""
    facts = session.execute(
        select(*standing_columns(user_id))
        .join_from(models.User, models.Policy, THE_POLICY)
        .where(models.User.id == user_id)
    ).one_or_none()
    return blocked_because(facts) if facts is not None else NOT_ACTIVE
