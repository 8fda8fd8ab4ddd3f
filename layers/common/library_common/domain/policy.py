"""The lending policy: a single row (id 1) that every rule reads. This is its only accessor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.orm import Session

from library_common.models import Policy

POLICY_ID = 1
POLICIES = Policy.__table__
# The join condition (or WHERE clause) that picks the policy row: `.join(Policy, THE_POLICY)`. Over the table's
# column, so that Core statements joining the policy need no mapper configured (the ORM accepts it alike).
THE_POLICY: ColumnElement[bool] = POLICIES.c.id == POLICY_ID


def current_policy(session: Session) -> Policy:
    return session.execute(select(Policy).where(THE_POLICY)).scalar_one()


def policy_value(column: Any) -> ScalarSelect[Any]:
    """One policy field as a scalar subquery, for statements that do not join the policy row."""
    return select(column).where(THE_POLICY).scalar_subquery()
