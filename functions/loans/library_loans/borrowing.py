"""Borrowing: who may take a copy of which title, decided and recorded in three statements of one transaction.

1. Lock the member's row. Every borrow for that member queues here, so the loan-limit and one-copy-per-title
   checks below see every loan committed before it (each statement reads a fresh snapshot). The same statement
   reads the caller's token version, so the route skips the request's separate check
   (`api.checks_token_version_itself`) and a stale token is refused here, before anything is written.
2. Read everything the rules need at once: the title, the member's open loans, overdue loans, unpaid fines,
   their ready hold for the title, a stored answer for the Idempotency-Key, and the new loan's id.
3. Take the copy and write the consequences in one statement: a conditional UPDATE of the title's counters
   (only while a copy is free, or from the hold shelf for the member whose hold is ready) that the loan, the
   hold's fulfilment, the borrow receipt and the stored answer all depend on, so nothing is written without it.

The unique index of one open loan per member and title backs the second check up.

The statements are built once (`db.Prebuilt`) and run on the connection of a `db.writing()` block, without the
ORM session: compiled at their first run, they are then run on the driver's cursor, a request only binding its
values. They fill the audit columns themselves (`ACTOR`).
Parameter names differ from every column name of the tables the statements update, which SQLAlchemy would
otherwise read as extra SET values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Row,
    String,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import DBAPIError

from library_common import db, metrics, models, notices, token_version
from library_common.caller import Caller
from library_common.db import violated_constraint
from library_common.domain import catalogue, loans, standing
from library_common.domain.availability import copies_free
from library_common.domain.days import TODAY
from library_common.domain.fines import ACTOR
from library_common.domain.policy import THE_POLICY
from library_common.domain.statuses import HoldStatus, NoticeKind
from library_common.errors import Conflict, Forbidden, LibraryError, ValidationFailed
from library_loans import schemas
from library_loans.loan_view import loan_view

BORROWED = "Book borrowed"
RECEIPT = NoticeKind.BORROW_RECEIPT
MEMBER = bindparam("borrower", type_=BigInteger)
BOOK = bindparam("borrowed_book", type_=BigInteger)
CALLER = bindparam("caller", type_=BigInteger)
NEW_LOAN = bindparam("new_loan", type_=BigInteger)

LOCK_MEMBER = db.Prebuilt(
    select(
        models.users.c.name,
        models.users.c.email,
        models.users.c.is_active,
        func.now().label("now"),
        TODAY.label("today"),
        models.policies.c.loan_period_days,
        models.policies.c.max_loans,
        models.policies.c.max_renewals,
        models.policies.c.block_threshold,
        token_version.VERSION_NOW.scalar_subquery().label("caller_token_version"),
    )
    .join_from(models.users, models.policies, THE_POLICY)
    .where(models.users.c.id == MEMBER)
    .with_for_update(of=models.users, key_share=True)
)
_MEMBERS_OPEN_LOANS = (models.loans.c.user_id == MEMBER, loans.is_open(models.loans.c))
FACTS = db.Prebuilt(
    select(
        models.books.c.title,
        models.books.c.author,
        catalogue.is_live(models.books.c).label("live"),
        select(func.count()).where(*_MEMBERS_OPEN_LOANS).scalar_subquery().label("open_loans"),
        exists().where(*_MEMBERS_OPEN_LOANS, models.loans.c.book_id == BOOK).label("has_title"),
        standing.overdue_loan_exists(MEMBER).label("has_overdue"),
        standing.unpaid_fines_total(MEMBER).label("unpaid"),
        select(models.holds.c.id)
        .where(
            models.holds.c.user_id == MEMBER, models.holds.c.book_id == BOOK, models.holds.c.status == HoldStatus.READY
        )
        .scalar_subquery()
        .label("ready_hold_id"),
        models.idempotency_records.c.request_hash,
        models.idempotency_records.c.status_code,
        models.idempotency_records.c.response,
        # Allocated up front so the loan, its receipt and the stored answer are written in one statement.
        func.nextval(func.pg_get_serial_sequence(models.loans.name, models.loans.c.id.key)).label("loan_id"),
    )
    # Without a key, `key = NULL` matches no record.
    .outerjoin(
        models.idempotency_records,
        and_(
            models.idempotency_records.c.user_id == CALLER,
            models.idempotency_records.c.key == bindparam("idempotency_key"),
        ),
    )
    .where(models.books.c.id == BOOK)
)
NOTICE_COLUMNS = ("user_id", "kind", "dedupe_key", "recipient", "subject", "body_text", "body_html")
ANSWER_PARAMETERS = ("caller", "idempotency_key", "request_hash", "response")


@dataclass(frozen=True)
class Answer:
    status: int
    message: str
    data: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(member_id: int, book_id: int) -> str:
    """What an Idempotency-Key promises not to change between retries."""
    request = json.dumps({"request": "POST /loans", "user_id": member_id, "book_id": book_id}, sort_keys=True)
    return hashlib.sha256(request.encode()).hexdigest()


def borrow(
    connection: Connection, *, caller: Caller, member_id: int, book_id: int, idempotency_key: str | None
) -> Answer:
    caller_id = caller.user_id
    member = LOCK_MEMBER.one_or_none(connection, {"borrower": member_id, "token_holder": caller_id})
    if member is None:
        # No row to carry the version: the check runs on its own, on this refusal's path only.
        token_version.refuse_if_stale_now(connection, caller_id, caller.token_version)
        raise standing.member_not_found()
    token_version.refuse_if_stale(caller.token_version, member.caller_token_version)
    asked = {"caller": caller_id, "borrower": member_id, "borrowed_book": book_id, "idempotency_key": idempotency_key}
    facts = FACTS.one_or_none(connection, asked)
    if facts is None or (not facts.live and facts.response is None):
        raise catalogue.book_not_found()
    if facts.response is not None:
        return _replay(facts, fingerprint(member_id, book_id))
    _check_rules(member, facts)
    loan = _new_loan(member, facts, member_id=member_id, book_id=book_id)
    stored = None
    if idempotency_key:
        body = {"status": 201, "message": BORROWED, "data": schemas.Loan.model_validate(loan).model_dump(mode="json")}
        stored = (caller_id, idempotency_key, fingerprint(member_id, book_id), body)
    _take_copy_and_record(connection, member, facts, loan, stored)
    metrics.count_on_commit(connection, metrics.LOANS_BORROWED)
    return Answer(201, BORROWED, loan)


def _replay(facts: Row, request_hash: str) -> Answer:
    if facts.request_hash != request_hash:
        raise ValidationFailed(
            "This Idempotency-Key was already used for a different request",
            code="IDEMPOTENCY_KEY_REUSED",
            errors=[{"field": "Idempotency-Key", "message": "already used with another book_id or user_id"}],
        )
    body = facts.response
    return Answer(facts.status_code, body["message"], body["data"], {"Idempotent-Replayed": "true"})


def _check_rules(member: Row, facts: Row) -> None:
    reason = standing.block_reason(
        is_active=member.is_active,
        has_overdue=facts.has_overdue,
        unpaid=facts.unpaid,
        threshold=member.block_threshold,
    )
    if reason:
        raise Forbidden(f"Borrowing is blocked: {reason}", code="BORROWING_BLOCKED")
    if facts.has_title:
        raise Conflict("A copy of this title is already on loan to this member", code="ALREADY_BORROWED")
    if facts.open_loans >= member.max_loans:
        raise Conflict(f"The limit of {member.max_loans} open loans is reached", code="LOAN_LIMIT_REACHED")


def _new_loan(member: Row, facts: Row, *, member_id: int, book_id: int) -> dict[str, Any]:
    return loan_view(
        id=facts.loan_id,
        user_id=member_id,
        book_id=book_id,
        title=facts.title,
        author=facts.author,
        borrowed_on=member.now,
        due_date=member.today + timedelta(days=member.loan_period_days),
        returned_on=None,
        renewals=0,
        max_renewals=member.max_renewals,
        fine_amount=None,
        fine_status=None,
        today=member.today,
    )


def _take_copy_and_record(
    connection: Connection,
    member: Row,
    facts: Row,
    loan: dict[str, Any],
    stored: tuple[int, str, str, dict[str, Any]] | None,
) -> None:
    from_hold_shelf = facts.ready_hold_id is not None
    context = {"name": member.name, "title": loan["title"], "author": loan["author"], "due_date": loan["due_date"]}
    subject, text_body, html_body = notices.render(RECEIPT, context)
    parameters = {
        "borrowed_book": loan["book_id"],
        "new_loan": loan["id"],
        "borrower": loan["user_id"],
        "due_date": loan["due_date"],
        "actor": db.current_actor.get(),
        "ready_hold": facts.ready_hold_id,
        "dedupe_key": notices.dedupe_key(loan["user_id"], RECEIPT, f"loan:{loan['id']}"),
        "recipient": member.email,
        "subject": subject,
        "body_text": text_body,
        "body_html": html_body,
    }
    if stored is not None:
        parameters.update(zip(ANSWER_PARAMETERS, stored, strict=True))
    try:
        outcome = _take_copy_statement(from_hold_shelf, stored is not None).one(connection, parameters)
    except DBAPIError as error:
        refusal = _refusal_for(error)
        if refusal is None:
            raise
        raise refusal from error
    if not outcome.copies_taken:
        raise Conflict("No copy of this title is free", code="BOOK_UNAVAILABLE")
    if from_hold_shelf and not outcome.holds_fulfilled:
        # The hold expired or was cancelled after step 2 and its copy passed on; nothing is kept (rollback).
        raise Conflict("The hold on this title is no longer ready", code="BOOK_UNAVAILABLE")


def _copy_taken(from_hold_shelf: bool):
    """The conditional UPDATE of the title's counters (a CTE), and the loan's hold it fulfils: from the hold shelf,
    the member's ready hold; from the shelf, while a copy is free, their waiting hold if they had queued (they
    leave the queue with this loan)."""
    if from_hold_shelf:
        copy_kept = models.Book.copies_on_hold_shelf > 0
        counters = {
            models.Book.copies_on_loan: models.Book.copies_on_loan + 1,
            models.Book.copies_on_hold_shelf: models.Book.copies_on_hold_shelf - 1,
        }
        hold_to_fulfil = and_(
            models.Hold.id == bindparam("ready_hold", type_=BigInteger), models.Hold.status == HoldStatus.READY
        )
    else:
        copy_kept = copies_free(models.Book) > 0
        counters = {models.Book.copies_on_loan: models.Book.copies_on_loan + 1}
        hold_to_fulfil = and_(
            models.Hold.user_id == MEMBER, models.Hold.book_id == BOOK, models.Hold.status == HoldStatus.WAITING
        )
    taken = (
        update(models.Book)
        .where(models.Book.id == BOOK, catalogue.is_live(models.Book), copy_kept)
        .values(counters)
        .returning(models.Book.id)
        .cte("taken")
    )
    return taken, hold_to_fulfil


def _stored_answer(copy_taken):
    """The first answer, kept for retries with the same Idempotency-Key (a CTE)."""
    answer = select(
        CALLER,
        bindparam("idempotency_key", type_=String),
        bindparam("request_hash", type_=String),
        literal(201),
        bindparam("response", type_=JSONB),
    ).where(copy_taken)
    columns = ["user_id", "key", "request_hash", "status_code", "response"]
    return insert(models.IdempotencyRecord).from_select(columns, answer).cte("stored_answer")


@cache
def _take_copy_statement(from_hold_shelf: bool, store_answer: bool) -> db.Prebuilt:
    """Step 3: one statement per combination, built on first use; every write depends on the copy being taken."""
    taken, hold_to_fulfil = _copy_taken(from_hold_shelf)
    copy_taken = exists(select(taken.c.id))
    new_loan = insert(models.Loan).from_select(
        ["id", "user_id", "book_id", "due_date", "created_by", "updated_by"],
        select(NEW_LOAN, MEMBER, taken.c.id, bindparam("due_date", type_=Date), ACTOR, ACTOR),
    )
    fulfilled = (
        update(models.Hold)
        .where(hold_to_fulfil, copy_taken)
        .values(status=HoldStatus.FULFILLED.value, loan_id=NEW_LOAN, updated_by=ACTOR)
        .returning(models.Hold.id)
        .cte("fulfilled")
    )
    notice_values = (bindparam(name, type_=String) for name in NOTICE_COLUMNS[2:])
    receipt = (
        insert(models.Notification)
        .from_select(list(NOTICE_COLUMNS), select(MEMBER, literal(RECEIPT), *notice_values).where(copy_taken))
        .on_conflict_do_nothing(index_elements=[models.Notification.dedupe_key])
    )
    writes = [new_loan.cte("new_loan"), receipt.cte("receipt")]
    if store_answer:
        writes.append(_stored_answer(copy_taken))
    return db.Prebuilt(
        select(
            select(func.count()).select_from(taken).scalar_subquery().label("copies_taken"),
            select(func.count()).select_from(fulfilled).scalar_subquery().label("holds_fulfilled"),
        ).add_cte(*writes)
    )


def _refusal_for(error: DBAPIError) -> LibraryError | None:
    """The answer to a write the database refused: the check it raced, for the constraints a race can break."""
    constraint = violated_constraint(error)
    if constraint == "uq_loans_open_user_book":
        return Conflict("A copy of this title is already on loan to this member", code="ALREADY_BORROWED")
    if constraint == "pk_idempotency_records":
        return Conflict(
            "Another request with this Idempotency-Key is in progress; retry to get its answer",
            code="IDEMPOTENCY_KEY_IN_USE",
        )
    if constraint == "fk_idempotency_records_user_id_users":
        # The stored answer is the caller's, as the audit columns name them: their account went after the token
        # check read it (the API answers an audit key's failure so too).
        return token_version.revoked()
    return None
