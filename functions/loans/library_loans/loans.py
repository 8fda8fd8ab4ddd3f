"""Loans after the borrow: returning, renewing, and reading them.

A return and a renewal of the same loan both lock the loan row first, so whichever comes second sees the
first one's outcome (a renewal after the return is refused; a return after the renewal fines from the new date).

A return is two statements of one transaction, built once (`db.Prebuilt`, the convention of `borrowing`):

1. Close the loan, fine a late return and take the copy off the title's loan counter, in one statement whose
   writes all hang on the loan's UPDATE: it closes an open loan only while the caller's token is current
   (`token_version.IS_CURRENT`), so a stale token writes nothing; the statement also reads the version, and the
   route skips the request's separate check (`api.checks_token_version_itself`). The fine is computed from the
   row the UPDATE returns, which a renewal committed meanwhile has already moved.
2. Serve the title's hold queue with the copy (`holds.serving_rows`) and read the returned loan back, in one
   statement; the first one locked the book row, so this one's snapshot sees the title's counters as they are.

A renewal runs on a `db.writing()` connection too: lock the open loan, read the member's standing and the title's
queue, move the due date, read the loan back.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, Select, bindparam, exists, func, select, true, update

from library_common import db, metrics, models, token_version
from library_common.caller import Caller
from library_common.domain import holds, loans, standing
from library_common.domain.days import TODAY
from library_common.domain.fines import ACTOR, fine_upsert
from library_common.domain.permissions import LOANS_MANAGE, LOANS_VIEW_ALL
from library_common.domain.policy import POLICIES, THE_POLICY, policy_value
from library_common.domain.statuses import HoldStatus, LoanStatus
from library_common.envelope import page_of
from library_common.errors import Conflict, Forbidden, NotFound
from library_loans.loan_view import loan_view

# The tables themselves (SQLAlchemy Core): reading loans needs no mapped class, so the function's first request does
# not configure every mapper of the layer (tens of millions of instructions) only to read rows.
LOANS = models.loans
BOOKS = models.books
FINES = models.fines


def _loan_rows() -> Select:
    return (
        select(
            LOANS.c.id,
            LOANS.c.user_id,
            LOANS.c.book_id,
            BOOKS.c.title,
            BOOKS.c.author,
            LOANS.c.borrowed_on,
            LOANS.c.due_date,
            LOANS.c.returned_on,
            LOANS.c.renewals,
            POLICIES.c.max_renewals,
            FINES.c.amount.label("fine_amount"),
            FINES.c.status.label("fine_status"),
            TODAY.label("today"),
        )
        .join(BOOKS, BOOKS.c.id == LOANS.c.book_id)
        .join(POLICIES, THE_POLICY)
        .outerjoin(FINES, FINES.c.loan_id == LOANS.c.id)
    )


# Built once and run on a `db.writing()` or `db.reading()` connection (see borrowing.py); parameter names avoid
# the column names of the tables the statements update.
LOAN = bindparam("the_loan", type_=BigInteger)
LOAN_ROWS = _loan_rows()
LOAN_VIEW = LOAN_ROWS.where(LOANS.c.id == LOAN)
READ_LOAN = db.Prebuilt(LOAN_VIEW)
LOCK_LOAN = db.Prebuilt(
    select(LOANS.c.user_id, LOANS.c.book_id, LOANS.c.returned_on, LOANS.c.renewals)
    .where(LOANS.c.id == LOAN)
    .with_for_update(key_share=True)
)


@cache
def _return_statements() -> tuple[db.Prebuilt, db.Prebuilt]:
    """The return's two statements (see the module's docstring), built by the first return, not at the function's
    import; one object each all the process's life, so SQLAlchemy compiles them once. Writes go to the tables, not
    the mapped classes, so the ORM does not try to synchronise loaded objects."""
    closed = (
        update(LOANS)
        .where(LOANS.c.id == LOAN, loans.is_open(LOANS.c), token_version.IS_CURRENT)
        .values(returned_on=func.now(), updated_by=ACTOR)
        .returning(LOANS.c.id, LOANS.c.user_id, LOANS.c.book_id, LOANS.c.due_date, LOANS.c.returned_on)
        .cte("closed")
    )
    close_loan = select(
        token_version.VERSION_NOW.scalar_subquery().label("caller_token_version"),
        select(closed.c.user_id).scalar_subquery().label("borrower"),
        select(closed.c.book_id).scalar_subquery().label("returned_book"),
    ).add_cte(
        fine_upsert(true(), audited=True, loans=closed.c).cte("fined"),
        holds.copy_leaves(closed.c.book_id).cte("copy_back"),
    )
    served = holds.serving_rows(bindparam("served_book", type_=BigInteger)).subquery("served")
    # The returned loan, once per hold its copy was served to (their columns NULL when it went back on the shelf).
    returned = LOAN_VIEW.add_columns(*served.c).outerjoin(served, true()).order_by(served.c.hold_id)
    return db.Prebuilt(close_loan), db.Prebuilt(returned)


LOAN_COLUMNS = tuple(LOAN_ROWS.selected_columns.keys())
BORROWER = bindparam("borrower", type_=BigInteger)
RENEWAL_FACTS = db.Prebuilt(
    select(
        *standing.standing_columns(BORROWER),
        exists()
        .where(
            models.holds.c.book_id == bindparam("wanted_book", type_=BigInteger),
            models.holds.c.status == HoldStatus.WAITING,
        )
        .label("someone_waiting"),
        models.policies.c.max_renewals,
        models.policies.c.loan_period_days,
    )
    .join_from(models.users, models.policies, THE_POLICY)
    .where(models.users.c.id == BORROWER)
)
RENEW = db.Prebuilt(
    update(LOANS)
    .where(LOANS.c.id == LOAN)
    .values(
        due_date=LOANS.c.due_date + policy_value(models.policies.c.loan_period_days),
        renewals=LOANS.c.renewals + 1,
        updated_by=ACTOR,
    )
)


def _view(values: Mapping[str, Any]) -> dict[str, Any]:
    """A loan's answer from the LOAN_ROWS columns of a row (its mapping, or a dict of its values); what rides beside
    them (a list page's count, the hold a return served) is not the loan's."""
    return loan_view(**{column: values[column] for column in LOAN_COLUMNS})


def _read(connection: Connection, loan_id: int) -> dict[str, Any]:
    return _view(READ_LOAN.one(connection, {"the_loan": loan_id})._mapping)


def _not_open(connection: Connection, loan_id: int, who: Caller) -> Exception:
    """Why a loan could not be locked as open: unknown, not the caller's, or already returned."""
    owner = connection.scalar(select(LOANS.c.user_id).where(LOANS.c.id == loan_id))
    if owner is None:
        return NotFound("Loan not found", code="LOAN_NOT_FOUND")
    who.require_self_or(owner, LOANS_MANAGE)
    return Conflict("This loan was already returned", code="LOAN_ALREADY_RETURNED")


def return_loan(connection: Connection, loan_id: int, who: Caller) -> dict[str, Any]:
    """Checks a copy in: the loan closes, a late return is fined, and the copy goes to the next hold or the shelf."""
    caller_id = who.require_login()
    parameters = {
        "the_loan": loan_id,
        "actor": db.current_actor.get(),
        "token_holder": caller_id,
        "held_token_version": who.token_version,
    }
    close_loan, read_back = _return_statements()
    closed = close_loan.one(connection, parameters)
    token_version.refuse_if_stale(who.token_version, closed.caller_token_version)
    if closed.borrower is None:
        raise _not_open(connection, loan_id, who)
    # A caller who may not return the loan gets 403, and the transaction (the close included) is rolled back.
    who.require_self_or(closed.borrower, LOANS_MANAGE)
    # The daily job announces a late return's final fine (notice `fine_charged`), so none is queued here.
    served_parameters = {"the_loan": loan_id, "served_book": closed.returned_book, "actor": parameters["actor"]}
    rows = read_back.all(connection, served_parameters)
    served = holds.announce_ready(connection, [row for row in rows if row.hold_id is not None])
    metrics.count_on_commit(connection, metrics.LOANS_RETURNED)
    return {**_view(rows[0]._mapping), "copy_destination": "hold_shelf" if served else "shelf"}


def renew(connection: Connection, loan_id: int, who: Caller) -> dict[str, Any]:
    """Extends the due date by one loan period, counted from the current due date."""
    loan = LOCK_LOAN.one_or_none(connection, {"the_loan": loan_id})
    if loan is None or loan.returned_on is not None:
        raise _not_open(connection, loan_id, who)
    who.require_self_or(loan.user_id, LOANS_MANAGE)
    facts = RENEWAL_FACTS.one(connection, {"borrower": loan.user_id, "wanted_book": loan.book_id})
    reason = standing.blocked_because(facts)
    if reason:
        raise Forbidden(f"Renewing is blocked: {reason}", code="BORROWING_BLOCKED")
    if loan.renewals >= facts.max_renewals:
        raise Conflict(f"All {facts.max_renewals} renewals are used", code="RENEWAL_LIMIT_REACHED")
    if facts.someone_waiting:
        raise Conflict("Another member is waiting for this title", code="HOLDS_WAITING")
    RENEW.run(connection, {"the_loan": loan_id, "actor": db.current_actor.get()})
    metrics.count_on_commit(connection, metrics.LOANS_RENEWED)
    return _read(connection, loan_id)


def read_loan(connection: Connection, loan_id: int, who: Caller) -> dict[str, Any]:
    row = READ_LOAN.one_or_none(connection, {"the_loan": loan_id})
    if row is None:
        raise NotFound("Loan not found", code="LOAN_NOT_FOUND")
    who.require_self_or(row.user_id, LOANS_VIEW_ALL)
    return _view(row._mapping)


def list_loans(
    connection: Connection,
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
    # One member's loans are few: the page counts them in passing (one statement, not two). Across all members
    # the count is the index's alone, never a window over every loan joined to its book and fine.
    counted_in_passing = user_id is not None
    page_rows, count = _list_statements(
        counted_in_passing, book_id is not None, LoanStatus(status) if status is not None else None
    )
    values = {"listed_user": user_id, "listed_book": book_id, "page_size": page_size, "skipped": (page - 1) * page_size}
    found = page_rows.all(connection, values)
    # Each row as a dict from the result's keys and the row's values: a Row's `_mapping` cost ~3 us a loan more.
    keys = found[0]._fields if found else ()
    rows = [dict(zip(keys, row, strict=True)) for row in found]
    if counted_in_passing and (rows or not values["skipped"]):
        total = rows[0]["total"] if rows else 0
    else:
        total = connection.scalar(count, values)
    return page_of([_view(row) for row in rows], page, page_size, total)


@lru_cache(maxsize=32)
def _list_statements(by_user: bool, by_book: bool, status: LoanStatus | None) -> tuple[db.Prebuilt, Select]:
    """A loans page (newest first) and the count of its loans, built once per kind of filter, values bound. One
    member's page also counts its loans in passing (`total`)."""
    conditions = []
    if by_user:
        conditions.append(LOANS.c.user_id == bindparam("listed_user", type_=BigInteger))
    if by_book:
        conditions.append(LOANS.c.book_id == bindparam("listed_book", type_=BigInteger))
    if status is not None:
        conditions.append(loans.status_condition(status, LOANS.c))
    page_rows = LOAN_ROWS.add_columns(func.count().over().label("total")) if by_user else LOAN_ROWS
    page_rows = (
        page_rows.where(*conditions)
        .order_by(LOANS.c.borrowed_on.desc(), LOANS.c.id.desc())
        .limit(bindparam("page_size", type_=Integer))
        .offset(bindparam("skipped", type_=Integer))
    )
    return db.Prebuilt(page_rows), select(func.count()).select_from(LOANS).where(*conditions)
