"""The lending policy: a single row (id 1) that every rule reads. This is its only accessor."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Row, ScalarSelect, select

from library_common import models
from library_common.errors import ValidationFailed
from library_common.money import in_minor_units, not_in_minor_units

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

POLICY_ID = 1
POLICIES = models.policies
# The join condition (or WHERE clause) that picks the policy row: `.join(Policy, THE_POLICY)`. Over the table's
# column, so that Core statements joining the policy need no mapper configured (the ORM accepts it alike).
THE_POLICY: ColumnElement[bool] = POLICIES.c.id == POLICY_ID
# The policy's amounts, in the library's currency: what fines are charged and borrowing is blocked by.
MONEY_FIELDS = ("fine_per_day", "fine_cap", "block_threshold")


def current_policy(work: Session | Connection) -> Row[Any]:
    """The policy row's fields, read over the table: the same on a Session and on a Core Connection (where a
    select of the mapped class would give rows of columns, not Policy objects), and without the ORM."""
    return work.execute(select(POLICIES).where(THE_POLICY)).one()


def policy_value(column: Any) -> ScalarSelect[Any]:
    """One policy field as a scalar subquery, for statements that do not join the policy row."""
    return select(column).where(THE_POLICY).scalar_subquery()


def check_amounts(policy: Row[Any], sent: Collection[str], currency: str) -> None:
    """Every amount of the policy is a whole number of the currency's minor unit, as the notices and the console
    write it: a JPY 0.25 fine per day would read "JPY 0" and still be charged, and block borrowing.

    Checked on the policy as a change leaves it, the figures not sent too: one stored before the deployment's
    currency was one without a minor unit (the seeded 0.25 under JPY) is named, to be sent again whole, rather
    than kept by every later change. Raises ValidationFailed naming each field."""
    errors = [
        {"field": name, "message": not_in_minor_units(currency)}
        if name in sent
        else {"field": name, "message": f"is {getattr(policy, name)}: {not_in_minor_units(currency)}; send it too"}
        for name in MONEY_FIELDS
        if not in_minor_units(getattr(policy, name), currency)
    ]
    if errors:
        raise ValidationFailed(errors=errors)
