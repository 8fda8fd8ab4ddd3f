"""The hold queue: joining it when no copy is free, reading one's place in it, leaving it.

Positions are not stored (see library_common.circulation.queue_position), so the queue stays dense (1, 2, 3...)
whatever leaves it. Every change to a title's queue happens under its book row's lock (see
library_common.circulation), which also orders the queue by `queued_on`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from library_common import circulation, db
from library_common.caller import Caller
from library_common.envelope import page_of
from library_common.errors import Conflict, Forbidden, NotFound
from library_common.models import Book, Hold, Loan, Policy, User
from library_loans.integrity import violated_constraint

VIEW_ALL = "loans.view_all"
MANAGE = "loans.manage"
ACTIVE = circulation.ACTIVE_HOLD_STATUSES
ALREADY_QUEUED = "This member already holds a place in this title's queue"


def _hold_rows() -> Select:
    return select(
        Hold.id,
        Hold.user_id,
        Hold.book_id,
        Book.title,
        Book.author,
        Hold.status,
        circulation.queue_position().label("position"),
        Hold.queued_on,
        Hold.ready_on,
        Hold.expires_on.label("pickup_by"),
        Hold.loan_id,
    ).join(Book, Book.id == Hold.book_id)


def _read(session: Session, hold_id: int) -> dict[str, Any]:
    return dict(session.execute(_hold_rows().where(Hold.id == hold_id)).one()._mapping)


def place_hold(session: Session, *, member_id: int, book_id: int) -> dict[str, Any]:
    """Queues the member for a title none of whose copies is free; answers with the place in the queue."""
    book = circulation.lock_book(session, book_id)
    if book.archived_on is not None:
        raise NotFound("Book not found", code="BOOK_NOT_FOUND")
    facts = session.execute(
        select(
            User.is_active,
            circulation.overdue_loan_exists(member_id).label("has_overdue"),
            circulation.unpaid_fines_total(member_id).label("unpaid"),
            Policy.block_threshold,
            exists()
            .where(Loan.user_id == member_id, Loan.book_id == book_id, Loan.returned_on.is_(None))
            .label("has_title"),
            exists().where(Hold.user_id == member_id, Hold.book_id == book_id, Hold.status.in_(ACTIVE)).label("queued"),
        )
        .join_from(User, Policy, Policy.id == 1)
        .where(User.id == member_id)
    ).one_or_none()
    if facts is None:
        raise NotFound("Member not found", code="USER_NOT_FOUND")
    # A member who may not borrow would only keep a copy from others on the hold shelf.
    reason = circulation.block_reason(
        is_active=facts.is_active, has_overdue=facts.has_overdue, unpaid=facts.unpaid, threshold=facts.block_threshold
    )
    if reason:
        raise Forbidden(f"Placing holds is blocked: {reason}", code="BORROWING_BLOCKED")
    if facts.has_title:
        raise Conflict("A copy of this title is already on loan to this member", code="ALREADY_BORROWED")
    if facts.queued:
        raise Conflict(ALREADY_QUEUED, code="ALREADY_QUEUED")
    if book.quantity - book.copies_on_loan - book.copies_on_hold_shelf > 0:
        raise Conflict("A copy of this title is free: borrow it instead", code="COPY_AVAILABLE")
    actor = db.current_actor.get()
    try:
        hold_id = session.execute(
            insert(Hold)
            .values(
                user_id=member_id,
                book_id=book_id,
                status="waiting",
                # The clock at insert, under the book's lock, so queue order is the order holds were granted.
                queued_on=func.clock_timestamp(),
                created_by=actor,
                updated_by=actor,
            )
            .returning(Hold.id)
        ).scalar_one()
    except IntegrityError as error:
        if violated_constraint(error) == "uq_holds_active_user_book":
            raise Conflict(ALREADY_QUEUED, code="ALREADY_QUEUED") from error
        raise
    return _read(session, hold_id)


def list_holds(
    session: Session,
    who: Caller,
    *,
    status: str | None,
    user_id: int | None,
    book_id: int | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """The caller's holds (anyone's for holders of loans.view_all): active ones first, then newest first."""
    user_id = who.listing_scope(user_id, VIEW_ALL, "holds")
    conditions = []
    if user_id is not None:
        conditions.append(Hold.user_id == user_id)
    if book_id is not None:
        conditions.append(Hold.book_id == book_id)
    if status is not None:
        conditions.append(Hold.status == status)
    total = session.scalar(select(func.count()).select_from(Hold).where(*conditions))
    active_first = case((Hold.status.in_(ACTIVE), 0), else_=1)
    rows = session.execute(
        _hold_rows()
        .where(*conditions)
        .order_by(active_first, Hold.queued_on.desc(), Hold.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return page_of([dict(row._mapping) for row in rows], page, page_size, total)


def cancel(session: Session, hold_id: int, who: Caller) -> dict[str, Any]:
    """Leaves the queue; cancelling a ready hold passes its copy to the next in line (or the shelf)."""
    owner = session.scalar(select(Hold.user_id).where(Hold.id == hold_id))
    if owner is None:
        raise NotFound("Hold not found", code="HOLD_NOT_FOUND")
    who.require_self_or(owner, MANAGE)
    circulation.cancel_hold(session, hold_id)
    return _read(session, hold_id)
