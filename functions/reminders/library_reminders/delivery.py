"""Delivering the outbox: claim due notices with a lease, send each, record each outcome on its own.

Why a lease rather than one transaction per notice: a claim is a short transaction that moves the
notices' `next_attempt_on` a lease into the future (`FOR UPDATE SKIP LOCKED`, so overlapping runs
claim disjoint batches), and every outcome is committed on its own right after the send. No
transaction, row lock or pooled connection is held while SES is talking, and:

- a run that dies mid-batch loses nothing: its unsent notices become due again when the lease ends;
- nothing is ever half sent: a notice is either accepted by SES and then marked sent, or still queued.
  The one unavoidable window is between SES accepting a message and the commit marking it sent; a crash
  exactly there sends that one notice again after the lease (at least once, as the contract says).

A claim counts as an attempt, so a notice that keeps crashing the function also gives up after
MAX_ATTEMPTS (it is marked failed when claimed once more). When SES refuses all sending for now
(throttled, quota, paused), or the invocation is running out of time, the run hands its unsent
notices back at once without counting the attempt. Any other error while composing or sending one notice
(a malformed header, say) fails that notice alone, like a refusal: the run goes on with the rest.

A confidential notice (a password-reset code) keeps its body only while it still has to be sent: the statement
that marks it sent, or gives it up, erases the stored body too, so the database keeps no usable code after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from aws_lambda_powertools import Logger
from sqlalchemy import TextClause, text

from library_common import db
from library_common.domain.statuses import NoticeStatus
from library_common.notices import CONFIDENTIAL_BODY, CONFIDENTIAL_KINDS
from library_reminders.mail import OutgoingNotice, Sender, SendFailed

logger = Logger()
MAX_ATTEMPTS = 5
# Retries wait 5, 10, 20, 40 minutes.
FIRST_RETRY_DELAY = timedelta(minutes=5)
# Longer than the function's timeout, so a live run's notices are never claimed by another run.
LEASE = timedelta(minutes=15)
BATCH_SIZE = 25
# Stop claiming or sending when less than this is left of the invocation, and hand the rest back.
SAFETY_MARGIN_SECONDS = 20.0
ERROR_TEXT_LIMIT = 1000

QUEUED, SENT, FAILED = NoticeStatus.QUEUED.value, NoticeStatus.SENT.value, NoticeStatus.FAILED.value


def _erased_body_when(condition: str) -> str:
    """SET clauses erasing a confidential notice's stored body when `condition` holds (it is done with)."""
    erase = f"kind = ANY(:confidential_kinds) AND ({condition})"
    return (
        f"body_text = CASE WHEN {erase} THEN :erased ELSE body_text END, "
        f"body_html = CASE WHEN {erase} THEN :erased ELSE body_html END"
    )


ERASING = {"confidential_kinds": list(CONFIDENTIAL_KINDS), "erased": CONFIDENTIAL_BODY}

# A notice whose every attempt so far ended without an outcome (the run died each time) is given up here.
CLAIM = text(
    f"""
    WITH due AS (
        SELECT id FROM notifications
        WHERE status = '{QUEUED}' AND next_attempt_on <= now()
        ORDER BY next_attempt_on, id
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    )
    UPDATE notifications AS n
    SET next_attempt_on = now() + make_interval(secs => :lease_seconds),
        attempts = least(n.attempts + 1, :max_attempts),
        status = CASE WHEN n.attempts >= :max_attempts THEN '{FAILED}' ELSE '{QUEUED}' END,
        last_error = CASE WHEN n.attempts >= :max_attempts
                          THEN coalesce(n.last_error, 'no outcome recorded: the delivery run stopped mid-attempt')
                          ELSE n.last_error END,
        {_erased_body_when("n.attempts >= :max_attempts")},
        updated_on = now()
    FROM due WHERE n.id = due.id
    RETURNING n.id, n.kind, n.recipient, n.subject, n.body_text, n.body_html, n.attempts, n.status
    """
)

MARK_SENT = text(
    f"""
    UPDATE notifications
    SET status = '{SENT}', message_id = :message_id, sent_on = now(), last_error = NULL, updated_on = now(),
        {_erased_body_when("true")}
    WHERE id = :id AND status = '{QUEUED}'
    """
)

MARK_FAILED = text(
    f"""
    UPDATE notifications
    SET last_error = :error, updated_on = now(),
        status = CASE WHEN attempts >= :max_attempts THEN '{FAILED}' ELSE '{QUEUED}' END,
        next_attempt_on = now() + make_interval(secs => :first_delay_seconds * power(2, attempts - 1)),
        {_erased_body_when("attempts >= :max_attempts")}
    WHERE id = :id AND status = '{QUEUED}'
    """
)

RELEASE = text(
    f"""
    UPDATE notifications
    SET next_attempt_on = now(), attempts = attempts - 1, updated_on = now()
    WHERE id = ANY(:ids) AND status = '{QUEUED}'
    """
)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    gave_up: int = 0
    handed_back: int = 0


def claim(batch_size: int = BATCH_SIZE) -> tuple[list[tuple[OutgoingNotice, int]], int]:
    """Due notices with their attempt number, leased to this run; and how many were given up instead."""
    parameters = {
        "batch_size": batch_size,
        "lease_seconds": LEASE.total_seconds(),
        "max_attempts": MAX_ATTEMPTS,
        **ERASING,
    }
    with db.transaction() as session:
        rows = session.execute(CLAIM, parameters).all()
    leased = [
        (OutgoingNotice(r.id, r.kind, r.recipient, r.subject, r.body_text, r.body_html), r.attempts)
        for r in rows
        if r.status == QUEUED
    ]
    return leased, len(rows) - len(leased)


def _record(statement: TextClause, parameters: dict[str, object]) -> None:
    with db.transaction() as session:
        session.execute(statement, parameters)


def deliver(sender: Sender, *, seconds_left: Callable[[], float], batch_size: int = BATCH_SIZE) -> DeliveryReport:
    """Sends due notices batch by batch until none is due or the invocation is nearly out of time."""
    report = DeliveryReport()
    while seconds_left() > SAFETY_MARGIN_SECONDS:
        batch, given_up = claim(batch_size)
        report.gave_up += given_up
        if not batch and not given_up:
            break
        for position, (notice, attempt) in enumerate(batch):
            if seconds_left() <= SAFETY_MARGIN_SECONDS:
                _hand_back(batch[position:], report)
                return report
            try:
                message_id = sender.send(notice)
            except SendFailed as failure:
                if failure.refusing_all:
                    _hand_back(batch[position:], report)
                    return report
                _failed(notice, attempt, str(failure), report)
                continue
            except Exception as error:
                logger.exception("notice could not be composed or sent", extra={"notice_id": notice.id})
                _failed(notice, attempt, f"{type(error).__name__}: {error}", report)
                continue
            _record(MARK_SENT, {"id": notice.id, "message_id": message_id, **ERASING})
            report.sent += 1
    return report


def _failed(notice: OutgoingNotice, attempt: int, reason: str, report: DeliveryReport) -> None:
    """Records the failed attempt: the notice is retried later, or given up after MAX_ATTEMPTS."""
    _record(
        MARK_FAILED,
        {
            "id": notice.id,
            "error": reason[:ERROR_TEXT_LIMIT],
            "max_attempts": MAX_ATTEMPTS,
            "first_delay_seconds": FIRST_RETRY_DELAY.total_seconds(),
            **ERASING,
        },
    )
    if attempt >= MAX_ATTEMPTS:
        report.gave_up += 1
    else:
        report.retrying += 1


def _hand_back(unsent: list[tuple[OutgoingNotice, int]], report: DeliveryReport) -> None:
    _record(RELEASE, {"ids": [notice.id for notice, _ in unsent]})
    report.handed_back += len(unsent)
