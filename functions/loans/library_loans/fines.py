"""Late fees: members see their own; staff holding fines.manage see all and settle them (pay or waive).

A settled fine is final. Paying waits for the loan's return, when the fee stops growing; waiving forgives it
at any time, including whatever it would still have grown by.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from library_common import models
from library_common.caller import Caller
from library_common.domain import loans
from library_common.domain.permissions import FINES_MANAGE
from library_common.domain.statuses import FineStatus
from library_common.envelope import page_of
from library_common.errors import Conflict, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MANAGE = FINES_MANAGE


def _fine_rows() -> Select:
    return (
        select(
            models.Fine.id,
            models.Fine.loan_id,
            models.Fine.user_id,
            models.Loan.book_id,
            models.Book.title,
            models.Fine.amount,
            models.Fine.status,
            loans.is_open().label("accruing"),
            models.Fine.created_on,
            models.Fine.settled_on,
        )
        .join(models.Loan, models.Loan.id == models.Fine.loan_id)
        .join(models.Book, models.Book.id == models.Loan.book_id)
    )


def _read(session: Session, fine_id: int) -> dict[str, Any]:
    return dict(session.execute(_fine_rows().where(models.Fine.id == fine_id)).one()._mapping)


def list_fines(
    session: Session, who: Caller, *, status: str | None, user_id: int | None, page: int, page_size: int
) -> dict[str, Any]:
    """The caller's fines, or anyone's for holders of fines.manage; newest first."""
    user_id = who.listing_scope(user_id, MANAGE, "fines")
    conditions = []
    if user_id is not None:
        conditions.append(models.Fine.user_id == user_id)
    if status is not None:
        conditions.append(models.Fine.status == status)
    total = session.scalar(select(func.count()).select_from(models.Fine).where(*conditions))
    rows = session.execute(
        _fine_rows()
        .where(*conditions)
        .order_by(models.Fine.created_on.desc(), models.Fine.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return page_of([dict(row._mapping) for row in rows], page, page_size, total)


def settle(session: Session, fine_id: int, outcome: FineStatus) -> dict[str, Any]:
    """Marks an unpaid fine `paid` or `waived`; 409 when it is already settled (or, to pay, still growing)."""
    found = session.execute(
        select(models.Fine, models.Loan.returned_on)
        .join(models.Loan, models.Loan.id == models.Fine.loan_id)
        .where(models.Fine.id == fine_id)
        .with_for_update(of=models.Fine)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if found is None:
        raise NotFound("Fine not found", code="FINE_NOT_FOUND")
    fine, returned_on = found
    if fine.status != FineStatus.UNPAID:
        raise Conflict(f"This fine is already {fine.status}", code="FINE_ALREADY_SETTLED")
    if outcome == FineStatus.PAID and returned_on is None:
        raise Conflict("The loan is still out, so the fine is still growing", code="FINE_STILL_ACCRUING")
    fine.status = outcome.value
    fine.settled_on = func.now()
    session.flush()
    return _read(session, fine_id)
