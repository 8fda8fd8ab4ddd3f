"""The hold queue: joining it when no copy is free, reading one's place in it, leaving it.

Positions are not stored (see library_common.domain.holds.queue_position), so the queue stays dense (1, 2, 3...)
whatever leaves it. Every change to a title's queue happens under its book row's lock (see
library_common.domain), which also orders the queue by `queued_on`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from library_common import db, metrics, models
from library_common.caller import Caller
from library_common.db import violated_constraint
from library_common.domain import catalogue, holds, loans, standing
from library_common.domain.availability import copies_free
from library_common.domain.permissions import LOANS_MANAGE, LOANS_VIEW_ALL
from library_common.domain.policy import THE_POLICY
from library_common.domain.statuses import ACTIVE_HOLD_STATUSES, HoldStatus
from library_common.envelope import page_of
from library_common.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ALREADY_QUEUED = "This member already holds a place in this title's queue"


def _hold_rows() -> Select:
    return select(
        models.Hold.id,
        models.Hold.user_id,
        models.Hold.book_id,
        models.Book.title,
        models.Book.author,
        models.Hold.status,
        holds.queue_position().label("position"),
        models.Hold.queued_on,
        models.Hold.ready_on,
        models.Hold.expires_on.label("pickup_by"),
        models.Hold.loan_id,
    ).join(models.Book, models.Book.id == models.Hold.book_id)


def _read(session: Session, hold_id: int) -> dict[str, Any]:
    return dict(session.execute(_hold_rows().where(models.Hold.id == hold_id)).one()._mapping)


def place_hold(session: Session, *, member_id: int, book_id: int) -> dict[str, Any]:
    """Queues the member for a title none of whose copies is free; answers with the place in the queue."""
    book = holds.lock_book(session, book_id)
    if not catalogue.is_live(book):
        raise catalogue.book_not_found()
    _check_may_queue(session, member_id, book)
    hold_id = _join_queue(session, member_id, book_id)
    metrics.count_on_commit(session, metrics.HOLDS_PLACED)
    return _read(session, hold_id)


def _check_may_queue(session: Session, member_id: int, book: models.Book) -> None:
    facts = session.execute(
        select(
            *standing.standing_columns(member_id),
            exists()
            .where(models.Loan.user_id == member_id, models.Loan.book_id == book.id, loans.is_open())
            .label("has_title"),
            exists()
            .where(
                models.Hold.user_id == member_id,
                models.Hold.book_id == book.id,
                models.Hold.status.in_(ACTIVE_HOLD_STATUSES),
            )
            .label("queued"),
        )
        .join_from(models.User, models.Policy, THE_POLICY)
        .where(models.User.id == member_id)
    ).one_or_none()
    if facts is None:
        raise standing.member_not_found()
    # A member who may not borrow would only keep a copy from others on the hold shelf.
    reason = standing.blocked_because(facts)
    if reason:
        raise Forbidden(f"Placing holds is blocked: {reason}", code="BORROWING_BLOCKED")
    if facts.has_title:
        raise Conflict("A copy of this title is already on loan to this member", code="ALREADY_BORROWED")
    if facts.queued:
        raise Conflict(ALREADY_QUEUED, code="ALREADY_QUEUED")
    if copies_free(book) > 0:
        raise Conflict("A copy of this title is free: borrow it instead", code="COPY_AVAILABLE")


def _join_queue(session: Session, member_id: int, book_id: int) -> int:
    actor = db.current_actor.get()
    try:
        return session.execute(
            insert(models.Hold)
            .values(
                user_id=member_id,
                book_id=book_id,
                status=HoldStatus.WAITING.value,
                # The clock at insert, under the book's lock, so queue order is the order holds were granted.
                queued_on=func.clock_timestamp(),
                created_by=actor,
                updated_by=actor,
            )
            .returning(models.Hold.id)
        ).scalar_one()
    except DBAPIError as error:
        constraint = violated_constraint(error)
        if constraint == "uq_holds_active_user_book":
            raise Conflict(ALREADY_QUEUED, code="ALREADY_QUEUED") from error
        if constraint == "fk_holds_user_id_users":
            # The member's row went after _check_may_queue read it (the book's is locked, the member's is not).
            raise standing.member_not_found() from error
        raise


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
    user_id = who.listing_scope(user_id, LOANS_VIEW_ALL, "holds")
    conditions = []
    if user_id is not None:
        conditions.append(models.Hold.user_id == user_id)
    if book_id is not None:
        conditions.append(models.Hold.book_id == book_id)
    if status is not None:
        conditions.append(models.Hold.status == status)
    total = session.scalar(select(func.count()).select_from(models.Hold).where(*conditions))
    active_first = case((models.Hold.status.in_(ACTIVE_HOLD_STATUSES), 0), else_=1)
    rows = session.execute(
        _hold_rows()
        .where(*conditions)
        .order_by(active_first, models.Hold.queued_on.desc(), models.Hold.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return page_of([dict(row._mapping) for row in rows], page, page_size, total)


def cancel(session: Session, hold_id: int, who: Caller) -> dict[str, Any]:
    """Leaves the queue; cancelling a ready hold passes its copy to the next in line (or the shelf)."""
    owner = session.scalar(select(models.Hold.user_id).where(models.Hold.id == hold_id))
    if owner is None:
        raise NotFound("Hold not found", code="HOLD_NOT_FOUND")
    who.require_self_or(owner, LOANS_MANAGE)
    holds.cancel_hold(session, hold_id)
    return _read(session, hold_id)
