"""The hold queue, and where a copy goes when it comes back (a return, a cancelled or an expired ready hold).

The queue is first come, first served by `queued_on` (then id); positions are not stored, so a waiting hold's
place stays dense (1, 2, 3...) whatever leaves. A copy that comes back goes to the first waiting hold, which
becomes `ready` for `hold_pickup_days`, or back on the shelf. Requests serve one title at a time
(`serve_waiting_holds`) and the daily job every title whose ready holds expired, both with `serve_queues`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    Update,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    true,
    tuple_,
    update,
)

from library_common import db, metrics, models, notices
from library_common.domain.availability import copies_free
from library_common.domain.catalogue import book_not_found
from library_common.domain.days import local_time_of
from library_common.domain.fines import ACTOR
from library_common.domain.policy import policy_value
from library_common.domain.statuses import ACTIVE_HOLD_STATUSES, HoldStatus, NoticeKind
from library_common.errors import Conflict, NotFound
from library_common.notices import queue_notice

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def waiting_order(hold: Any = None) -> tuple[ColumnElement[Any], ...]:
    """The queue's order: who asked first (then the lower id); of `Hold` unless other columns are given."""
    hold = models.Hold if hold is None else hold
    return (hold.queued_on, hold.id)


def queue_position() -> ColumnElement[int | None]:
    """A hold's place in its title's queue (1 = next) while it waits, else NULL; for a query over `Hold`:
    the number of waiting holds of the title queued no later than it."""
    # A Core alias of the table: an ORM `aliased()` would configure every mapper at import time.
    ahead = models.holds.alias().c
    place = (
        select(func.count())
        .where(
            ahead.book_id == models.Hold.book_id,
            ahead.status == HoldStatus.WAITING,
            tuple_(*waiting_order(ahead)) <= tuple_(*waiting_order(models.Hold)),
        )
        .scalar_subquery()
    )
    return case((models.Hold.status == HoldStatus.WAITING, place))


def waiting_count(book_id: Any) -> ColumnElement[int]:
    """How many holds wait in the queue of the title `book_id` (a column or a value)."""
    waiting = models.holds.alias().c
    return (
        select(func.count()).where(waiting.book_id == book_id, waiting.status == HoldStatus.WAITING).scalar_subquery()
    )


def pickup_deadline() -> ColumnElement[datetime]:
    """Until when a hold that becomes ready now keeps its copy on the hold shelf."""
    return func.now() + func.make_interval(0, 0, 0, policy_value(models.Policy.hold_pickup_days))


def past_pickup(hold: Any = None) -> ColumnElement[bool]:
    """A ready hold whose pickup time is over; of `Hold` unless other columns are given."""
    hold = models.Hold if hold is None else hold
    return and_(hold.status == HoldStatus.READY, hold.expires_on <= func.now())


def pickup_by_text(expires_on: ColumnElement[datetime]) -> ColumnElement[str]:
    """How a notice shows the end of a hold's pickup time: the library's day, as `YYYY-MM-DD`."""
    return notices.date_text(local_time_of(expires_on))


@dataclass(frozen=True)
class ReadyHold:
    hold_id: int
    user_id: int
    expires_on: datetime


@cache  # built by the first request that locks a title (it loads the ORM), then one object a process
def _lock_book() -> Select:
    return (
        select(models.Book)
        .where(models.Book.id == bindparam("locked_book", type_=BigInteger))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def lock_book(session: Session, book_id: int) -> models.Book:
    """Locks a title's row (its counters and its hold queue) for the rest of the transaction."""
    book = session.execute(_lock_book(), {"locked_book": book_id}).scalar_one_or_none()
    if book is None:
        raise book_not_found()
    return book


def _first_in_line(freed: CTE) -> CTE:
    """Of each title in `freed`, its first waiting holds, as many as it will have copies free (locked)."""
    free = (
        select(freed.c.book_id, (copies_free(models.Book) + freed.c.copies).label("copies"))
        .join_from(freed, models.Book, models.Book.id == freed.c.book_id)
        .cte("free")
    )
    first = (
        select(models.Hold.id)
        .where(models.Hold.book_id == free.c.book_id, models.Hold.status == HoldStatus.WAITING)
        .order_by(*waiting_order())
        .limit(func.greatest(free.c.copies, 0))
        .with_for_update()
        .lateral("first")
    )
    return select(first.c.id).select_from(free).join(first, true()).cte("first_in_line")


def serve_queues(freed: CTE, *, audited: bool) -> tuple[CTE, CTE]:
    """Where the free copies of titles go: the one statement of every path that serves a queue.

    `freed` has a row (book_id, copies) per title to serve, `copies` being those leaving its hold shelf in
    this same statement (still on its counter); the first waiting holds of each, as many as copies are then
    free, become ready for `hold_pickup_days` and the hold-shelf counter follows. The caller holds the titles'
    book row locks. `audited` records the bound ACTOR as updater (a request), else no one new (the daily job).
    Returns the CTEs `promoted` (id, user_id, book_id, expires_on of each hold now ready) and `shelved` (id,
    title, author of each title served)."""
    ready = {"status": HoldStatus.READY.value, "ready_on": func.now(), "expires_on": pickup_deadline()}
    if audited:
        ready["updated_by"] = ACTOR
    promoted = (
        update(models.Hold)
        .where(models.Hold.id.in_(select(_first_in_line(freed).c.id)))
        .values(ready)
        .returning(models.Hold.id, models.Hold.user_id, models.Hold.book_id, models.Hold.expires_on)
        .cte("promoted")
    )
    passed_on = select(func.count()).where(promoted.c.book_id == freed.c.book_id).scalar_subquery()
    shelved = (
        update(models.Book)
        .where(models.Book.id == freed.c.book_id)
        .values(copies_on_hold_shelf=models.Book.copies_on_hold_shelf - freed.c.copies + passed_on)
        .returning(models.Book.id, models.Book.title, models.Book.author)
        .cte("shelved")
    )
    return promoted, shelved


def serving_rows(book_id: Any) -> Select:
    """`serve_queues` for the one title `book_id` (a bound parameter or a column), as the rows of the holds it made
    ready, in queue order: hold_id, holder_id, expires_on, pickup_by, served_title, served_author (what
    `announce_ready` tells their members). The caller holds the book row's lock."""
    one_title = select(book_id.label("book_id"), literal(0).label("copies"))
    promoted, shelved = serve_queues(one_title.cte("freed"), audited=True)
    return (
        select(
            promoted.c.id.label("hold_id"),
            promoted.c.user_id.label("holder_id"),
            promoted.c.expires_on,
            pickup_by_text(promoted.c.expires_on).label("pickup_by"),
            shelved.c.title.label("served_title"),
            shelved.c.author.label("served_author"),
        )
        .join_from(promoted, shelved, shelved.c.id == promoted.c.book_id)
        .order_by(promoted.c.id)
    )


@cache
def _serving_statement() -> Select:
    """Built by the first request that serves a queue, not at import (every function's cold start imports this
    module); one object all the process's life, so SQLAlchemy compiles it once."""
    return serving_rows(bindparam("served_book", type_=BigInteger))


def serve_waiting_holds(session: Session, book_id: int) -> list[ReadyHold]:
    """Gives every free copy of the title to the first waiting holds, in queue order, and tells those members.

    The caller holds the book row's lock (see `lock_book`). Also the step to run after a title's quantity grows.
    """
    parameters = {"served_book": book_id, "actor": db.current_actor.get()}
    return announce_ready(session, session.connection().execute(_serving_statement(), parameters).all())


def announce_ready(work: Session | Connection, rows: Any) -> list[ReadyHold]:
    """Queues the `hold_ready` notice of each hold a copy was served to (rows shaped as `serving_rows`'), and
    counts them once the transaction (of the session, or of a `db.writing()` connection) commits."""
    ready = []
    for row in rows:
        queue_notice(
            work,
            user_id=row.holder_id,
            kind=NoticeKind.HOLD_READY,
            subject=f"hold:{row.hold_id}",
            context={"title": row.served_title, "author": row.served_author, "pickup_by": row.pickup_by},
        )
        ready.append(ReadyHold(hold_id=row.hold_id, user_id=row.holder_id, expires_on=row.expires_on))
    metrics.count_on_commit(work, metrics.HOLDS_SERVED, len(ready))
    return ready


_BOOKS = models.books


def copy_leaves(book_id: Any, *, from_hold_shelf: bool = False) -> Update:
    """A copy leaves a loan (or the hold shelf): the title's counter, one less. `book_id` is a bound parameter or a
    column (of a CTE the UPDATE then reads FROM). On the table, not the mapped class, so the ORM does not try to
    synchronise loaded objects."""
    counter = _BOOKS.c.copies_on_hold_shelf if from_hold_shelf else _BOOKS.c.copies_on_loan
    return update(_BOOKS).where(_BOOKS.c.id == book_id).values({counter: counter - 1})


COPY_LEAVES = {
    from_hold_shelf: copy_leaves(bindparam("returning_book", type_=BigInteger), from_hold_shelf=from_hold_shelf)
    for from_hold_shelf in (False, True)
}


def copy_comes_back(session: Session, book_id: int, *, from_hold_shelf: bool = False) -> ReadyHold | None:
    """A copy leaves a loan (or the hold shelf): the first waiting hold gets it, or it goes back on the shelf.

    Returns the hold that now has the copy on the hold shelf, or None when it went back on the shelf.
    """
    session.connection().execute(COPY_LEAVES[from_hold_shelf], {"returning_book": book_id})
    served = serve_waiting_holds(session, book_id)
    return served[0] if served else None


def cancel_hold(session: Session, hold_id: int) -> models.Hold:
    """Cancels a waiting or ready hold under its book's lock; a ready hold's copy goes to the next in line or
    back on the shelf."""
    book_id = session.scalar(select(models.Hold.book_id).where(models.Hold.id == hold_id))
    if book_id is None:
        raise NotFound("Hold not found", code="HOLD_NOT_FOUND")
    lock_book(session, book_id)
    hold = session.execute(
        select(models.Hold).where(models.Hold.id == hold_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if hold.status not in ACTIVE_HOLD_STATUSES:
        raise Conflict("Only a waiting or ready hold can be cancelled", code="HOLD_NOT_ACTIVE")
    was_ready = hold.status == HoldStatus.READY
    hold.status = HoldStatus.CANCELLED.value
    session.flush()
    if was_ready:
        copy_comes_back(session, book_id, from_hold_shelf=True)
    return hold
