"""The lending policy: one row, read by everyone, changed by holders of policies.manage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, update

from library_common import db, models
from library_common.domain.policy import THE_POLICY, current_policy
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
    return {**{name: getattr(policy, name) for name in FIELDS}, "currency": get_settings().library_currency}


def read_policy(session: Session) -> dict[str, Any]:
    return _view(current_policy(session))


def change_policy(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Applies the given fields; new values govern loans, renewals and fines from now on."""
    session.execute(
        update(models.Policy)
        .where(THE_POLICY)
        .values(**changes, updated_by=db.current_actor.get())
        .execution_options(synchronize_session=False)
    )
    return read_policy(session)
