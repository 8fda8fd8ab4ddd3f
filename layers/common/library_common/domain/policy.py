"""The lending policy: a single row (id 1) that every rule reads. This is its only accessor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Row, ScalarSelect, select

from library_common import models

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

POLICY_ID = 1
POLICIES = models.policies
# The join condition (or WHERE clause) that picks the policy row: `.join(Policy, THE_POLICY)`. Over the table's
# column, so that Core statements joining the policy need no mapper configured (the ORM accepts it alike).
THE_POLICY: ColumnElement[bool] = POLICIES.c.id == POLICY_ID


def current_policy(work: Session | Connection) -> Row[Any]:
    """The policy row's fields, read over the table: the same on a Session and on a Core Connection (where a
    select of the mapped class would give rows of columns, not Policy objects), and without the ORM."""
    return work.execute(select(POLICIES).where(THE_POLICY)).one()


def policy_value(column: Any) -> ScalarSelect[Any]:
    """One policy field as a scalar subquery, for statements that do not join the policy row."""
    return select(column).where(THE_POLICY).scalar_subquery()
