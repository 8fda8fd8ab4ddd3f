"""The lending rules more than one function applies: blocks, fines, and where a copy goes when it comes back.

Locking discipline (every writer follows it, so concurrent requests serialise instead of deadlocking):
- a title's book row is the lock of its copy counters and of its hold queue: whoever moves a copy or changes
  a hold's status first locks the book row (`FOR NO KEY UPDATE`, or an UPDATE of its counters), and only
  then the hold rows;
- a borrow locks the member row before anything else, so one member's borrows run one at a time (loan limit);
- returns and renewals lock the loan row first.
The counters `copies_on_loan` / `copies_on_hold_shelf` always equal the open loans / ready holds of the title,
because they change in the same transaction as the loan or hold that moves the copy.

Dates are the library's calendar days in UTC: a loan due on D is overdue from D + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from library_common import db
from library_common.errors import Conflict, NotFound
from library_common.models import Book, Fine, Hold, Loan, Policy
from library_common.notices import queue_notice

# The current calendar day (UTC) of the transaction; `now()` is fixed for the whole transaction.
TODAY: ColumnElement[Any] = cast(func.timezone("UTC", func.now()), Date)
ACTIVE_HOLD_STATUSES = ("waiting", "ready")
# The caller on whose behalf a prebuilt statement writes (audit columns); bound per execution.
ACTOR = bindparam("actor", type_=BigInteger)


def utc_day(timestamp: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(func.timezone("UTC", timestamp), Date)


def queue_position() -> ColumnElement[int | None]:
    """A hold's place in its title's queue (1 = next) while it waits, else NULL; for a query over `Hold`.

    Positions are not stored: the queue is first come, first served by `queued_on` (then id), so a waiting
    hold's place is the number of waiting holds of the title queued no later than it, dense whatever leaves.
    """
    ahead = aliased(Hold)
    place = (
        select(func.count())
        .where(
            ahead.book_id == Hold.book_id,
            ahead.status == "waiting",
            tuple_(ahead.queued_on, ahead.id) <= tuple_(Hold.queued_on, Hold.id),
        )
        .scalar_subquery()
    )
    return case((Hold.status == "waiting", place))


def current_policy(session: Session) -> Policy:
    return session.execute(select(Policy).where(Policy.id == 1)).scalar_one()


# --- blocks -------------------------------------------------------------------------------------------------


def overdue_loan_exists(user_id: Any) -> ColumnElement[bool]:
    """Whether the member has a loan out past its due date."""
    return exists().where(Loan.user_id == user_id, Loan.returned_on.is_(None), Loan.due_date < TODAY)


def unpaid_fines_total(user_id: Any) -> ColumnElement[Decimal]:
    return (
        select(func.coalesce(func.sum(Fine.amount), 0))
        .where(Fine.user_id == user_id, Fine.status == "unpaid")
        .scalar_subquery()
    )


def block_reason(*, is_active: bool, has_overdue: bool, unpaid: Decimal, threshold: Decimal) -> str | None:
    """Why a member may not borrow, renew or queue now; None when they may.

    Unpaid fines block at or over the threshold; a threshold of 0 means any unpaid fine blocks.
    """
    if not is_active:
        return "the account is not active"
    if has_overdue:
        return "an overdue loan must be returned first"
    if unpaid > 0 and unpaid >= threshold:
        return f"unpaid fines of {unpaid:.2f} reach the limit of {threshold:.2f}"
    return None


# --- fines --------------------------------------------------------------------------------------------------


def late_days(loan_day: ColumnElement[Any], due_date: ColumnElement[Any]) -> ColumnElement[int]:
    """Whole days between the due date and `loan_day` (the return day, or today for a loan still out)."""
    return loan_day - due_date


def fine_amount(days_late: ColumnElement[int]) -> ColumnElement[Decimal]:
    """The late fee: the policy's daily rate times the days late, capped. The one definition of the fine."""
    return func.least(Policy.fine_per_day * days_late, Policy.fine_cap)


def _fine_upsert():
    loan_day = utc_day(func.coalesce(Loan.returned_on, func.now()))
    amount = fine_amount(late_days(loan_day, Loan.due_date))
    rows = (
        select(Loan.id, Loan.user_id, amount, ACTOR, ACTOR)
        .join(Policy, Policy.id == 1)
        .where(Loan.id == bindparam("fined_loan", type_=BigInteger), loan_day > Loan.due_date, amount > 0)
    )
    # On the table, not the mapped class: an ORM insert executed with parameters would be a bulk insert.
    fines = Fine.__table__
    statement = insert(fines).from_select(["loan_id", "user_id", "amount", "created_by", "updated_by"], rows)
    upsert = statement.on_conflict_do_update(
        index_elements=[fines.c.loan_id],
        set_={"amount": statement.excluded.amount, "updated_on": func.now(), "updated_by": ACTOR},
        where=and_(fines.c.status == "unpaid", fines.c.amount != statement.excluded.amount),
    )
    return upsert.returning(fines.c.amount)


CHARGE_FINE = _fine_upsert()


def charge_fine(session: Session, loan_id: int) -> Decimal | None:
    """Charges the late fee of a loan, as of its return (or today while it is out); None when not late.

    The fine row is created, or raised to the current figure while unpaid: a settled (paid or waived)
    fine is final. Answers the amount charged; None, too, when the fine is settled or already at that figure.
    """
    parameters = {"fined_loan": loan_id, "actor": db.current_actor.get()}
    return session.connection().execute(CHARGE_FINE, parameters).scalar_one_or_none()


# --- where a copy goes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyHold:
    hold_id: int
    user_id: int
    expires_on: datetime


LOCK_BOOK = (
    select(Book)
    .where(Book.id == bindparam("locked_book", type_=BigInteger))
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)


def lock_book(session: Session, book_id: int) -> Book:
    """Locks a title's row (its counters and its hold queue) for the rest of the transaction."""
    book = session.execute(LOCK_BOOK, {"locked_book": book_id}).scalar_one_or_none()
    if book is None:
        raise NotFound("Book not found", code="BOOK_NOT_FOUND")
    return book


def _serving_statement():
    book_id = bindparam("served_book", type_=BigInteger)
    free = (
        select((Book.quantity - Book.copies_on_loan - Book.copies_on_hold_shelf).label("copies"))
        .where(Book.id == book_id)
        .scalar_subquery()
    )
    first_in_line = (
        select(Hold.id)
        .where(Hold.book_id == book_id, Hold.status == "waiting")
        .order_by(Hold.queued_on, Hold.id)
        .limit(func.greatest(free, 0))
        .with_for_update()
        .cte("first_in_line")
    )
    pickup_days = select(Policy.hold_pickup_days).where(Policy.id == 1).scalar_subquery()
    promoted = (
        update(Hold)
        .where(Hold.id.in_(select(first_in_line.c.id)))
        .values(
            status="ready",
            ready_on=func.now(),
            expires_on=func.now() + func.make_interval(0, 0, 0, pickup_days),
            updated_by=ACTOR,
        )
        .returning(Hold.id, Hold.user_id, Hold.expires_on)
        .cte("promoted")
    )
    promoted_count = select(func.count()).select_from(promoted).scalar_subquery()
    shelved = (
        update(Book)
        .where(Book.id == book_id)
        .values(copies_on_hold_shelf=Book.copies_on_hold_shelf + promoted_count)
        .returning(Book.title, Book.author)
        .cte("shelved")
    )
    return (
        select(promoted.c.id, promoted.c.user_id, promoted.c.expires_on, shelved.c.title, shelved.c.author)
        .join_from(promoted, shelved, true())
        .order_by(promoted.c.id)
    )


SERVE_WAITING_HOLDS = _serving_statement()


def serve_waiting_holds(session: Session, book_id: int) -> list[ReadyHold]:
    """Gives every free copy of the title to the first waiting holds, in queue order, and tells those members.

    The caller holds the book row's lock (see `lock_book`). Also the step to run after a title's quantity grows.
    """
    parameters = {"served_book": book_id, "actor": db.current_actor.get()}
    rows = session.connection().execute(SERVE_WAITING_HOLDS, parameters).all()
    ready = []
    for row in rows:
        queue_notice(
            session,
            user_id=row.user_id,
            kind="hold_ready",
            subject=f"hold:{row.id}",
            context={"title": row.title, "author": row.author, "pickup_by": pickup_by(row.expires_on)},
        )
        ready.append(ReadyHold(hold_id=row.id, user_id=row.user_id, expires_on=row.expires_on))
    return ready


def pickup_by(expires_on: datetime) -> str:
    """How a notice shows the end of a hold's pickup time: its UTC day."""
    return expires_on.astimezone(UTC).date().isoformat()


_BOOKS = Book.__table__
# On the table, not the mapped class, so the ORM does not try to synchronise loaded objects.
COPY_LEAVES = {
    from_hold_shelf: update(_BOOKS)
    .where(_BOOKS.c.id == bindparam("returning_book", type_=BigInteger))
    .values({counter: counter - 1})
    for from_hold_shelf, counter in ((False, _BOOKS.c.copies_on_loan), (True, _BOOKS.c.copies_on_hold_shelf))
}


def copy_comes_back(session: Session, book_id: int, *, from_hold_shelf: bool = False) -> ReadyHold | None:
    """A copy leaves a loan (or the hold shelf): the first waiting hold gets it, or it goes back on the shelf.

    Returns the hold that now has the copy on the hold shelf, or None when it went back on the shelf.
    """
    session.connection().execute(COPY_LEAVES[from_hold_shelf], {"returning_book": book_id})
    served = serve_waiting_holds(session, book_id)
    return served[0] if served else None


def _close_hold(session: Session, hold_id: int, outcome: str, *, expiring: bool) -> Hold | None:
    """Ends an active hold under its book's lock; a ready hold's copy passes on. None when it was not active.

    `expiring` ends only a ready hold whose pickup time has passed.
    """
    book_id = session.scalar(select(Hold.book_id).where(Hold.id == hold_id))
    if book_id is None:
        raise NotFound("Hold not found", code="HOLD_NOT_FOUND")
    lock_book(session, book_id)
    hold, past_pickup = session.execute(
        select(Hold, func.coalesce(Hold.expires_on <= func.now(), False))
        .where(Hold.id == hold_id)
        .with_for_update(of=Hold)
        .execution_options(populate_existing=True)
    ).one()
    closable = hold.status == "ready" and past_pickup if expiring else hold.status in ACTIVE_HOLD_STATUSES
    if not closable:
        return None
    was_ready = hold.status == "ready"
    hold.status = outcome
    session.flush()
    if was_ready:
        copy_comes_back(session, book_id, from_hold_shelf=True)
    return hold


def cancel_hold(session: Session, hold_id: int) -> Hold:
    """Cancels a waiting or ready hold; a ready hold's copy goes to the next in line or back on the shelf."""
    hold = _close_hold(session, hold_id, "cancelled", expiring=False)
    if hold is None:
        raise Conflict("Only a waiting or ready hold can be cancelled", code="HOLD_NOT_ACTIVE")
    return hold


def expire_ready_hold(session: Session, hold_id: int) -> bool:
    """Expires a ready hold whose pickup time has passed and passes its copy on (for the scheduled job).

    Returns False, changing nothing, when the hold is no longer ready or its pickup time has not passed.
    """
    hold = _close_hold(session, hold_id, "expired", expiring=True)
    if hold is None:
        return False
    book = session.get(Book, hold.book_id)
    queue_notice(
        session,
        user_id=hold.user_id,
        kind="hold_expired",
        subject=f"hold:{hold.id}",
        context={"title": book.title, "author": book.author, "pickup_by": pickup_by(hold.expires_on)},
    )
    return True
