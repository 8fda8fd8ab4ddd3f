"""The lending policy: one row, read by everyone, changed by holders of policies.manage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, update

from library_common import db, models
from library_common.domain.policy import THE_POLICY, check_amounts, current_policy
from library_common.money import minor_digits
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FIELDS = (
    "loan_period_days",
    "max_loans",
    "max_renewals",
    "fine_per_day",
    "fine_cap",
    "hold_pickup_days",
    "block_threshold",
)


def _view(policy: Row[Any]) -> dict[str, Any]:
    currency = get_settings().library_currency
    figures = {name: getattr(policy, name) for name in FIELDS}
    return {**figures, "currency": currency, "currency_minor_digits": minor_digits(currency)}


def read_policy(session: Session) -> dict[str, Any]:
    return _view(current_policy(session))


def change_policy(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Applies the given fields; new values govern loans, renewals and fines from now on. Refused (and nothing
    changed: the transaction rolls back) when an amount of the policy it leaves is finer than the currency."""
    session.execute(
        update(models.Policy)
        .where(THE_POLICY)
        .values(**changes, updated_by=db.current_actor.get())
        .execution_options(synchronize_session=False)
    )
    policy = current_policy(session)
    check_amounts(policy, changes.keys(), get_settings().library_currency)
    return _view(policy)
