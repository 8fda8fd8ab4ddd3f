"""Loans after the borrow: returning, renewing, and reading them.

A return and a renewal of the same loan both lock the loan row first, so whichever comes second sees the
first one's outcome (a renewal after the return is refused; a return after the renewal fines from the new date).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, exists, func, select, update
from sqlalchemy.orm import Session

from library_common import db, metrics
from library_common.caller import Caller
from library_common.domain import holds, loans, standing
from library_common.domain.days import TODAY
from library_common.domain.fines import ACTOR, charge_fine
from library_common.domain.permissions import LOANS_MANAGE, LOANS_VIEW_ALL
from library_common.domain.policy import THE_POLICY, policy_value
from library_common.domain.statuses import HoldStatus, LoanStatus
from library_common.envelope import page_of
from library_common.errors import Conflict, Forbidden, NotFound
from library_common.models import Book, Fine, Hold, Loan, Policy, User
from library_loans.loan_view import loan_view


def _loan_rows() -> Select:
    return (
        select(
            Loan.id,
            Loan.user_id,
            Loan.book_id,
            Book.title,
            Book.author,
            Loan.borrowed_on,
            Loan.due_date,
            Loan.returned_on,
            Loan.renewals,
            Policy.max_renewals,
            Fine.amount.label("fine_amount"),
            Fine.status.label("fine_status"),
            TODAY.label("today"),
        )
        .join(Book, Book.id == Loan.book_id)
        .join(Policy, THE_POLICY)
        .outerjoin(Fine, Fine.loan_id == Loan.id)
    )


# Built once and run on the session's connection (see borrowing.py); parameter names avoid the column names
# of the tables the statements update.
LOAN = bindparam("the_loan", type_=BigInteger)
LOAN_ROWS = _loan_rows()
LOAN_VIEW = LOAN_ROWS.where(Loan.id == LOAN)
LOCK_LOAN = (
    select(Loan).where(Loan.id == LOAN).with_for_update(key_share=True).execution_options(populate_existing=True)
)
# Writes go to the table, not the mapped class, so the ORM does not try to synchronise loaded objects.
LOANS = Loan.__table__
MARK_RETURNED = (
    update(LOANS)
    .where(LOANS.c.id == LOAN, loans.is_open(LOANS.c))
    .values(returned_on=func.now(), updated_by=ACTOR)
    .returning(LOANS.c.user_id, LOANS.c.book_id)
)
BORROWER = bindparam("borrower", type_=BigInteger)
RENEWAL_FACTS = (
    select(
        *standing.standing_columns(BORROWER),
        exists()
        .where(Hold.book_id == bindparam("wanted_book", type_=BigInteger), Hold.status == HoldStatus.WAITING)
        .label("someone_waiting"),
        Policy.max_renewals,
        Policy.loan_period_days,
    )
    .join_from(User, Policy, THE_POLICY)
    .where(User.id == BORROWER)
)
RENEW = (
    update(LOANS)
    .where(LOANS.c.id == LOAN)
    .values(
        due_date=LOANS.c.due_date + policy_value(Policy.loan_period_days),
        renewals=LOANS.c.renewals + 1,
        updated_by=ACTOR,
    )
)


def _view(row: Any) -> dict[str, Any]:
    shown = dict(row._mapping)
    shown.pop("total", None)  # a list page's count, not the loan's
    return loan_view(**shown)


def _read(session: Session, loan_id: int) -> dict[str, Any]:
    return _view(session.connection().execute(LOAN_VIEW, {"the_loan": loan_id}).one())


def _not_open(session: Session, loan_id: int, who: Caller) -> Exception:
    """Why a loan could not be locked as open: unknown, not the caller's, or already returned."""
    owner = session.scalar(select(Loan.user_id).where(Loan.id == loan_id))
    if owner is None:
        return NotFound("Loan not found", code="LOAN_NOT_FOUND")
    who.require_self_or(owner, LOANS_MANAGE)
    return Conflict("This loan was already returned", code="LOAN_ALREADY_RETURNED")


def return_loan(session: Session, loan_id: int, who: Caller) -> dict[str, Any]:
    """Checks a copy in: the loan closes, a late return is fined, and the copy goes to the next hold or the shelf."""
    # Closing the loan locks it; a caller who may not return it gets 403 and the change is rolled back.
    parameters = {"the_loan": loan_id, "actor": db.current_actor.get()}
    closed = session.connection().execute(MARK_RETURNED, parameters).one_or_none()
    if closed is None:
        raise _not_open(session, loan_id, who)
    who.require_self_or(closed.user_id, LOANS_MANAGE)
    # The daily job announces a late return's final fine (notice `fine_charged`), so none is queued here.
    charge_fine(session, loan_id)
    next_hold = holds.copy_comes_back(session, closed.book_id)
    metrics.count_on_commit(session, metrics.LOANS_RETURNED)
    returned = _read(session, loan_id)
    return {**returned, "copy_destination": "hold_shelf" if next_hold else "shelf"}


def renew(session: Session, loan_id: int, who: Caller) -> dict[str, Any]:
    """Extends the due date by one loan period, counted from the current due date."""
    loan = session.execute(LOCK_LOAN, {"the_loan": loan_id}).scalar_one_or_none()
    if loan is None or loan.returned_on is not None:
        raise _not_open(session, loan_id, who)
    who.require_self_or(loan.user_id, LOANS_MANAGE)
    facts = session.connection().execute(RENEWAL_FACTS, {"borrower": loan.user_id, "wanted_book": loan.book_id}).one()
    reason = standing.blocked_because(facts)
    if reason:
        raise Forbidden(f"Renewing is blocked: {reason}", code="BORROWING_BLOCKED")
    if loan.renewals >= facts.max_renewals:
        raise Conflict(f"All {facts.max_renewals} renewals are used", code="RENEWAL_LIMIT_REACHED")
    if facts.someone_waiting:
        raise Conflict("Another member is waiting for this title", code="HOLDS_WAITING")
    session.connection().execute(RENEW, {"the_loan": loan_id, "actor": db.current_actor.get()})
    metrics.count_on_commit(session, metrics.LOANS_RENEWED)
    return _read(session, loan_id)


def read_loan(session: Session, loan_id: int, who: Caller) -> dict[str, Any]:
    row = session.connection().execute(LOAN_VIEW, {"the_loan": loan_id}).one_or_none()
    if row is None:
        raise NotFound("Loan not found", code="LOAN_NOT_FOUND")
    who.require_self_or(row.user_id, LOANS_VIEW_ALL)
    return _view(row)


def list_loans(
    session: Session,
    who: Caller,
    *,
    status: str | None,
    user_id: int | None,
    book_id: int | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """The caller's loans, or anyone's for holders of loans.view_all; newest first.

    `status=active` means still out (overdue ones included); `overdue` only those past their due date.
    """
    user_id = who.listing_scope(user_id, LOANS_VIEW_ALL, "loans")
    conditions = []
    if user_id is not None:
        conditions.append(Loan.user_id == user_id)
    if book_id is not None:
        conditions.append(Loan.book_id == book_id)
    if status is not None:
        conditions.append(loans.status_condition(LoanStatus(status)))
    # One member's loans are few: the page counts them in passing (one statement, not two). Across all members
    # the count is the index's alone, never a window over every loan joined to its book and fine.
    rows, total = _page_and_total(session, conditions, page, page_size, counted_in_passing=user_id is not None)
    return page_of([_view(row) for row in rows], page, page_size, total)


def _page_and_total(
    session: Session, conditions: list[Any], page: int, page_size: int, *, counted_in_passing: bool
) -> tuple[list[Any], int]:
    page_rows = LOAN_ROWS.add_columns(func.count().over().label("total")) if counted_in_passing else LOAN_ROWS
    offset = (page - 1) * page_size
    ordered = page_rows.where(*conditions).order_by(Loan.borrowed_on.desc(), Loan.id.desc())
    rows = session.connection().execute(ordered.limit(page_size).offset(offset)).all()
    if counted_in_passing and (rows or not offset):
        return rows, rows[0].total if rows else 0
    return rows, session.scalar(select(func.count()).select_from(Loan).where(*conditions))
