"""The daily job: every rule of "what the library does each morning" is decided here, in set-based SQL.

It runs a constant number of statements however many loans there are, and is idempotent for the day:
notices carry dedupe keys (a re-run queues nothing new), expired holds are expired once, and fines are
set to what each loan owes as of the day (an UPDATE to the same value is skipped).

The clock is the database's, in the library's calendar days, as everywhere (`domain.days.TODAY`).

- due soon: open loans due within `due_soon_days`; one notice per loan period (a renewal earns a new one);
- overdue: on the first day late, then every 7 days until returned, at most 4 times; the occurrence
  (the loan period and 1..4) is in the dedupe key, so a missed day is caught up without doubling;
- holds: ready holds past their pickup time expire; the freed copies go to the title's first waiting holds
  (which become ready, with a `hold_ready` notice) or back on the shelf, by
  `domain.holds.serve_queues`, the statement a request runs for its one title (`serve_waiting_holds`), here for
  every title whose holds expired today at once;
- fines: every open overdue loan owes its fine as of today (`domain.fines.fine_upsert`, the statement a
  return runs for its one loan): one fine row per loan, raised while unpaid, never touched once paid or
  waived. A late return's final fine comes from the return itself; the next run announces it (`fine_charged`)
  while it is unpaid, once per loan, for returns of the last `OVERDUE_INTERVAL_DAYS` days (a missed day is caught
  up; a fine settled at the desk before the run is not announced).
- housekeeping: idempotency records (a borrow's first answer, replayed to retries) and failed-login records
  older than a day are deleted; a day outlives the login lockout window (15 minutes) and honours every
  Idempotency-Key for at least 24 hours. Refresh and password-reset tokens past their expiry are deleted too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, case, cast, delete, func, literal, select, update

from library_common import db, metrics, models, notices
from library_common.domain import fines as fine_rules
from library_common.domain import loans as loan_rules
from library_common.domain.days import TODAY, day_of
from library_common.domain.holds import past_pickup, pickup_by_text, serve_queues
from library_common.domain.policy import THE_POLICY
from library_common.domain.statuses import FineStatus, HoldStatus, NoticeKind

OVERDUE_INTERVAL_DAYS = 7
OVERDUE_REMINDERS = 4
KEPT_FOR = func.make_interval(0, 0, 0, 1)  # one day: see "housekeeping" above

loans, books, holds, fines, policies = (
    models.loans,
    models.books,
    models.holds,
    models.fines,
    models.policies,
)


@dataclass
class DailyReport:
    holds_expired: int = 0
    holds_promoted: int = 0
    fines_accrued: int = 0
    notices_queued: int = 0
    idempotency_records_removed: int = 0
    login_attempts_removed: int = 0
    refresh_tokens_removed: int = 0
    reset_tokens_removed: int = 0


def run(*, due_soon_days: int) -> DailyReport:
    """The day's work: holds in one short transaction, fines and loan notices in another."""
    report = DailyReport()
    with db.transaction() as session:
        # Circulation's lock order: a title's book row before its holds. Taking every affected title's lock
        # first means a concurrent borrow, return or hold on those titles waits for this transaction.
        session.execute(
            select(books.c.id)
            .where(books.c.id.in_(select(holds.c.book_id).where(past_pickup(holds.c))))
            .order_by(books.c.id)
            .with_for_update(key_share=True)
        )
        kinds = Counter(session.scalars(_expire_holds()))
        # Each expired or promoted hold queues exactly one notice, keyed by the hold: these count the holds.
        report.holds_expired, report.holds_promoted = kinds[NoticeKind.HOLD_EXPIRED], kinds[NoticeKind.HOLD_READY]
        metrics.count_on_commit(session, metrics.HOLDS_SERVED, report.holds_promoted)
        report.notices_queued += kinds.total()
    with db.transaction() as session:
        report.fines_accrued = session.execute(ACCRUE_FINES).rowcount
        queued = session.execute(
            notices.insert_notices(_due_soon_notices(due_soon_days), _overdue_notices(), _fine_charged_notices())
        )
        report.notices_queued += queued.rowcount
    with db.transaction() as session:
        report.idempotency_records_removed = session.execute(
            delete(models.IdempotencyRecord).where(models.IdempotencyRecord.created_on < func.now() - KEPT_FOR)
        ).rowcount
        report.login_attempts_removed = session.execute(
            delete(models.LoginAttempt).where(models.LoginAttempt.attempted_on < func.now() - KEPT_FOR)
        ).rowcount
        # Until it expires a rotated token must stay, so that its reuse is recognised (and its family revoked).
        report.refresh_tokens_removed = session.execute(
            delete(models.RefreshToken).where(models.RefreshToken.expires_at < func.now())
        ).rowcount
        report.reset_tokens_removed = session.execute(
            delete(models.PasswordResetToken).where(models.PasswordResetToken.expires_at < func.now())
        ).rowcount
    return report


# Every open loan: the fine is what it owes as of today, and only late loans owe one.
ACCRUE_FINES = fine_rules.fine_upsert(loan_rules.is_open(), audited=False)


def _book_context() -> dict[str, ColumnElement[str]]:
    return {"title": books.c.title, "author": books.c.author}


def _loan_subject() -> ColumnElement[str]:
    return func.concat("loan:", loans.c.id)


def _loan_period() -> ColumnElement[str]:
    """Which loan period of the loan a notice is about: a renewal starts a new one, with its own notices."""
    return func.concat("period", loans.c.renewals + 1)


def _due_soon_notices(due_soon_days: int):
    rows = (
        select(
            loans.c.user_id,
            _loan_subject().label("subject"),
            _loan_period().label("occurrence"),
            notices.date_text(loans.c.due_date).label("due_date"),
            *(value.label(name) for name, value in _book_context().items()),
        )
        .join_from(loans, books, books.c.id == loans.c.book_id)
        .where(
            loan_rules.is_open(loans.c),
            loans.c.due_date > TODAY,
            loans.c.due_date <= TODAY + due_soon_days,
        )
    )
    return notices.notice_rows(NoticeKind.DUE_SOON, rows)


def _overdue_notices():
    days_late = fine_rules.late_days(TODAY, loans.c.due_date)
    reminder = (days_late - 1) // OVERDUE_INTERVAL_DAYS + 1
    # What the member owes for this loan as of today: the fine accrued just before, unless settled.
    fine_so_far = func.coalesce(case((fines.c.status == FineStatus.UNPAID, fines.c.amount)), 0)
    rows = (
        select(
            loans.c.user_id,
            _loan_subject().label("subject"),
            func.concat(_loan_period(), "#", reminder).label("occurrence"),
            notices.date_text(loans.c.due_date).label("due_date"),
            cast(days_late, String).label("days_late"),
            notices.money_text(fine_so_far).label("fine"),
            notices.money_text(policies.c.fine_per_day).label("fine_per_day"),
            notices.money_text(policies.c.fine_cap).label("fine_cap"),
            cast(reminder, String).label("reminder"),
            literal(str(OVERDUE_REMINDERS), String).label("reminders"),
            *(value.label(name) for name, value in _book_context().items()),
        )
        .join_from(loans, books, books.c.id == loans.c.book_id)
        .join(policies, THE_POLICY)
        .outerjoin(fines, fines.c.loan_id == loans.c.id)
        .where(
            loan_rules.is_open(loans.c),
            days_late >= 1,
            days_late <= OVERDUE_INTERVAL_DAYS * (OVERDUE_REMINDERS - 1) + 1,
        )
    )
    return notices.notice_rows(NoticeKind.OVERDUE, rows)


def _fine_charged_notices():
    returned_day = day_of(loans.c.returned_on)
    rows = (
        select(
            loans.c.user_id,
            _loan_subject().label("subject"),
            literal("", String).label("occurrence"),
            notices.date_text(loans.c.due_date).label("due_date"),
            notices.date_text(returned_day).label("returned_on"),
            notices.money_text(fines.c.amount).label("amount"),
            *(value.label(name) for name, value in _book_context().items()),
        )
        .join_from(fines, loans, loans.c.id == fines.c.loan_id)
        .join(books, books.c.id == loans.c.book_id)
        .where(
            fines.c.status == FineStatus.UNPAID,
            fines.c.amount > 0,
            loans.c.returned_on.is_not(None),
            returned_day >= TODAY - OVERDUE_INTERVAL_DAYS,
        )
    )
    return notices.notice_rows(NoticeKind.FINE_CHARGED, rows)


def _expire_holds():
    """One statement: expire, serve the queues of the titles that got copies back, queue both notices."""
    expired = (
        update(holds)
        .where(past_pickup(holds.c))
        .values(status=HoldStatus.EXPIRED.value, updated_on=func.now())
        .returning(holds.c.id, holds.c.user_id, holds.c.book_id, holds.c.expires_on)
        .cte("expired")
    )
    freed = select(expired.c.book_id, func.count().label("copies")).group_by(expired.c.book_id).cte("freed")
    promoted, shelved = serve_queues(freed, audited=False)
    return (
        notices.insert_notices(
            notices.notice_rows(NoticeKind.HOLD_EXPIRED, _hold_rows(expired)),
            notices.notice_rows(NoticeKind.HOLD_READY, _hold_rows(promoted)),
        )
        .add_cte(shelved)
        .returning(models.Notification.kind)
    )


def _hold_rows(changed):
    return select(
        changed.c.user_id,
        func.concat("hold:", changed.c.id).label("subject"),
        literal("", String).label("occurrence"),
        pickup_by_text(changed.c.expires_on).label("pickup_by"),
        *(value.label(name) for name, value in _book_context().items()),
    ).join_from(changed, books, books.c.id == changed.c.book_id)
