"""The reminders function invoked with the scheduled events in events/reminders/, delivering through moto's SES.

The daily job reads the database clock (UTC days, like all of circulation), so a test makes days pass by
moving every loan and hold date back (`days_pass`), which is what the clock moving forward looks like.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from sqlalchemy import DateTime, delete, func, literal, select, text, update

from library_common import db, notices
from library_common.domain.days import TODAY
from library_common.domain.holds import pickup_by_text
from library_common.models import Book, Fine, Hold, Loan, Notification, Policy
from library_common.settings import get_settings
from library_loans.app import lambda_handler as loans_handler
from library_reminders import app, daily, mail
from library_reminders.daily import OVERDUE_INTERVAL_DAYS
from tests.conftest import LambdaContext, api_event, load_event
from tests.test_circulation_support import authorizer_for

SENDER = "library@example.org"


def _library_day(moment: datetime) -> str:
    """The library's calendar day of a moment, computed here independently of the database."""
    return moment.astimezone(ZoneInfo(get_settings().library_time_zone)).date().isoformat()


REGION = "us-east-1"


class ScheduledContext(LambdaContext):
    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


@pytest.fixture
def ses(monkeypatch, clean_db):
    """moto's SES with the sender verified, and the function configured to send as it."""
    monkeypatch.setenv("NOTICES_SENDER", SENDER)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    get_settings.cache_clear()
    mail._ses_client.cache_clear()
    with mock_aws():
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        yield
    get_settings.cache_clear()
    mail._ses_client.cache_clear()


@pytest.fixture
def today(database_url) -> date:
    with db.transaction() as session:
        return session.scalar(select(TODAY))


def sent_mail() -> list[EmailMessage]:
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    return [email.message_from_string(m.raw_data, policy=email.policy.default) for m in backend.sent_messages]


def body(message: EmailMessage, subtype: str = "plain") -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def run_daily() -> dict:
    return app.lambda_handler(load_event("reminders/daily_job.json"), ScheduledContext())


def run_delivery() -> dict:
    return app.lambda_handler(load_event("reminders/deliver_notices.json"), ScheduledContext())


def days_pass(days: int) -> None:
    with db.transaction() as session:
        session.execute(
            text(
                "UPDATE loans SET due_date = due_date - CAST(:days AS integer), "
                "borrowed_on = borrowed_on - make_interval(days => CAST(:days AS integer)), "
                "returned_on = returned_on - make_interval(days => CAST(:days AS integer))"
            ),
            {"days": days},
        )
        session.execute(
            text(
                "UPDATE holds SET queued_on = queued_on - make_interval(days => CAST(:days AS integer)), "
                "ready_on = ready_on - make_interval(days => CAST(:days AS integer)), "
                "expires_on = expires_on - make_interval(days => CAST(:days AS integer))"
            ),
            {"days": days},
        )


def add_book(title: str, author: str = "Frank Herbert", quantity: int = 3, **counters: int) -> int:
    with db.transaction() as session:
        book = Book(title=title, author=author, quantity=quantity, **counters)
        session.add(book)
        session.flush()
        return book.id


def lend(user: dict, book_id: int, due: date, returned_on: datetime | None = None) -> int:
    with db.transaction() as session:
        loan = Loan(
            user_id=user["id"],
            book_id=book_id,
            borrowed_on=datetime.combine(due - timedelta(days=14), datetime.min.time(), UTC),
            due_date=due,
            returned_on=returned_on,
        )
        session.add(loan)
        if returned_on is None:
            session.execute(update(Book).where(Book.id == book_id).values(copies_on_loan=Book.copies_on_loan + 1))
        session.flush()
        return loan.id


def queued_kinds(user: dict) -> list[str]:
    with db.transaction() as session:
        return sorted(session.scalars(select(Notification.kind).where(Notification.user_id == user["id"])))


def test_overdue_loans_produce_exactly_the_expected_emails(ses, users, today):
    ada = users.create("member", name="Ada", email="ada@example.org")
    grace = users.create("member", name="Grace", email="grace@example.org")
    relaxed = users.create("member", name="Relaxed", email="relaxed@example.org")
    dune = add_book("Dune")
    solaris = add_book("Solaris", author="Stanisław Lem")
    lend(ada, dune, due=today - timedelta(days=1))
    lend(grace, solaris, due=today - timedelta(days=8))
    lend(relaxed, dune, due=today + timedelta(days=10))

    report = run_daily()
    assert (report["job"], report["fines_accrued"], report["notices_queued"]) == ("daily", 2, 2)
    assert run_delivery()["sent"] == 2

    by_recipient = {message["To"]: message for message in sent_mail()}
    assert set(by_recipient) == {"ada@example.org", "grace@example.org"}
    for message in by_recipient.values():
        assert message["From"] == SENDER
    ada_mail, grace_mail = by_recipient["ada@example.org"], by_recipient["grace@example.org"]
    assert ada_mail["Subject"] == '"Dune" is overdue'
    assert grace_mail["Subject"] == '"Solaris" is overdue'
    assert "Hello Ada," in body(ada_mail)
    ada_due, grace_due = today - timedelta(days=1), today - timedelta(days=8)
    assert f'"Dune" by Frank Herbert was due back on {ada_due} and is now 1 day(s) late.' in body(ada_mail)
    assert "The late fee so far is USD 0.25 (USD 0.25 a day, at most USD 10.00)" in body(ada_mail)
    assert "reminder 1 of 4" in body(ada_mail)
    assert f'"Solaris" by Stanisław Lem was due back on {grace_due} and is now 8 day(s) late.' in body(grace_mail)
    assert "The late fee so far is USD 2.00" in body(grace_mail) and "reminder 2 of 4" in body(grace_mail)
    assert "<strong>Solaris</strong> by Stanisław Lem" in body(grace_mail, "html")
    assert queued_kinds(relaxed) == []


def test_running_the_jobs_twice_sends_nothing_new(ses, users, today):
    ada = users.create("member", email="ada@example.org")
    lend(ada, add_book("Dune"), due=today - timedelta(days=3))
    lend(ada, add_book("Emma"), due=today + timedelta(days=2))
    run_daily()
    run_delivery()
    first = sorted((m["To"], m["Subject"]) for m in sent_mail())
    assert first == [
        ("ada@example.org", '"Dune" is overdue'),
        ("ada@example.org", f'"Emma" is due back on {today + timedelta(days=2)}'),
    ]

    again = run_daily()
    assert (again["notices_queued"], again["fines_accrued"]) == (0, 0)
    assert run_delivery()["sent"] == 0
    assert sorted((m["To"], m["Subject"]) for m in sent_mail()) == first


def test_a_member_with_no_overdue_loans_gets_nothing(ses, users, today):
    member = users.create("member")
    punctual = add_book("Middlemarch")
    returned = datetime.combine(today - timedelta(days=21), datetime.min.time(), UTC)
    lend(member, punctual, due=today - timedelta(days=20), returned_on=returned)
    lend(member, punctual, due=today + timedelta(days=9))
    run_daily()
    run_delivery()
    assert queued_kinds(member) == []
    assert sent_mail() == []


def test_a_loan_due_within_the_reminder_window_gets_one_due_soon_notice_per_due_date(ses, users, today):
    member = users.create("member", email="m@example.org")
    emma = lend(member, add_book("Emma"), due=today + timedelta(days=2))
    persuasion = lend(member, add_book("Persuasion"), due=today + timedelta(days=3))
    run_daily()
    assert queued_kinds(member) == ["due_soon"]
    days_pass(1)
    run_daily()
    assert queued_kinds(member) == ["due_soon", "due_soon"]
    # Emma renewed by 14 days, Persuasion returned: the new due date earns a new reminder when it comes near.
    with db.transaction() as session:
        session.execute(
            update(Loan).where(Loan.id == emma).values(due_date=Loan.due_date + 14, renewals=Loan.renewals + 1)
        )
        session.execute(update(Loan).where(Loan.id == persuasion).values(returned_on=func.now()))
    days_pass(13)
    run_daily()
    run_delivery()
    # Each reminder went out two days before its due date (as days pass, the dates move towards `today`).
    due = today + timedelta(days=2)
    assert sorted(m["Subject"] for m in sent_mail()) == [
        f'"Emma" is due back on {due}',
        f'"Emma" is due back on {due}',
        f'"Persuasion" is due back on {due}',
    ]


def test_overdue_reminders_come_on_days_1_8_15_and_22_and_then_stop(ses, users, today):
    member = users.create("member")
    lend(member, add_book("Dune"), due=today)
    days_with_a_reminder = []
    for day in range(1, 40):
        days_pass(1)
        if run_daily()["notices_queued"]:
            days_with_a_reminder.append(day)
    assert days_with_a_reminder == [1, 8, 15, 22]


def test_a_skipped_day_is_caught_up_without_doubling(ses, users, today):
    member = users.create("member")
    lend(member, add_book("Dune"), due=today - timedelta(days=1))
    run_daily()
    # The runs of days 8 and 9 never happened; day 10 sends the second reminder, day 11 nothing.
    days_pass(9)
    assert run_daily()["notices_queued"] == 1
    days_pass(1)
    assert run_daily()["notices_queued"] == 0
    with db.transaction() as session:
        keys = sorted(session.scalars(select(Notification.dedupe_key)))
    assert [key.rsplit("#", 1)[1] for key in keys] == ["1", "2"]


def fine_of(loan_id: int) -> tuple[Decimal, str]:
    with db.transaction() as session:
        return tuple(session.execute(select(Fine.amount, Fine.status).where(Fine.loan_id == loan_id)).one())


def test_fines_accrue_by_the_day_up_to_the_cap_and_settled_fines_stay_settled(ses, users, today):
    member = users.create("member")
    ten_days = lend(member, add_book("Dune"), due=today - timedelta(days=10))
    long_lost = lend(member, add_book("Emma"), due=today - timedelta(days=90))
    waived = lend(member, add_book("Ulysses"), due=today - timedelta(days=5))
    not_yet = lend(member, add_book("Persuasion"), due=today)
    run_daily()
    assert fine_of(ten_days) == (Decimal("2.50"), "unpaid")
    assert fine_of(long_lost) == (Decimal("10.00"), "unpaid")
    with db.transaction() as session:
        session.execute(update(Fine).where(Fine.loan_id == waived).values(status="waived"))
        session.execute(update(Policy).values(fine_per_day=Decimal("0.50")))

    days_pass(1)
    report = run_daily()
    assert fine_of(ten_days) == (Decimal("5.50"), "unpaid")
    assert fine_of(long_lost) == (Decimal("10.00"), "unpaid")
    assert fine_of(waived) == (Decimal("1.25"), "waived")
    assert fine_of(not_yet) == (Decimal("0.50"), "unpaid")
    # Only the changed rows were written: the capped one and the waived one were left alone.
    assert report["fines_accrued"] == 2
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Fine)) == 4


def return_through_the_api(member: dict, loan_id: int, engine) -> dict:
    event = api_event(
        "loans/return_loan.json",
        authorizer=authorizer_for(member, engine),
        path_parameters={"loan_id": str(loan_id)},
    )
    event["path"] = f"/loans/{loan_id}/return"
    response = loans_handler(event, LambdaContext())
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])["data"]


def test_a_late_returns_unpaid_fine_is_announced_once_by_the_next_daily_run(ses, users, today, engine):
    ada = users.create("member", name="Ada", email="ada@example.org")
    late, settled, on_time = add_book("Dune"), add_book("Emma"), add_book("Ulysses")
    late_loan = lend(ada, late, due=today - timedelta(days=6))
    settled_loan = lend(ada, settled, due=today - timedelta(days=3))
    on_time_loan = lend(ada, on_time, due=today + timedelta(days=3))
    for loan_id in (late_loan, settled_loan, on_time_loan):
        return_through_the_api(ada, loan_id, engine)
    with db.transaction() as session:
        session.execute(update(Fine).where(Fine.loan_id == settled_loan).values(status="paid"))

    assert run_daily()["notices_queued"] == 1
    assert run_daily()["notices_queued"] == 0
    assert run_delivery()["sent"] == 1
    (message,) = sent_mail()
    assert (message["To"], message["Subject"]) == ("ada@example.org", 'A late fee of USD 1.50 for "Dune"')
    due = today - timedelta(days=6)
    assert f'"Dune" by Frank Herbert was due back on {due} and returned on {today}.' in body(message)
    assert "A late fee of USD 1.50 has been charged to your account." in body(message)

    days_pass(OVERDUE_INTERVAL_DAYS + 1)
    with db.transaction() as session:
        session.execute(delete(Notification))
    assert run_daily()["notices_queued"] == 0  # returned too long ago to announce now


def hold(user: dict, book_id: int, status: str, queued: timedelta, expires_in: timedelta | None = None) -> int:
    with db.transaction() as session:
        now = session.scalar(select(func.now()))
        row = Hold(
            user_id=user["id"],
            book_id=book_id,
            status=status,
            queued_on=now - queued,
            ready_on=now + expires_in - timedelta(days=3) if expires_in is not None else None,
            expires_on=now + expires_in if expires_in is not None else None,
        )
        session.add(row)
        session.flush()
        return row.id


def hold_states() -> dict[int, tuple[str, datetime | None]]:
    with db.transaction() as session:
        return {row.id: (row.status, row.expires_on) for row in session.scalars(select(Hold))}


def shelf(book_id: int) -> int:
    with db.transaction() as session:
        return session.scalar(select(Book.copies_on_hold_shelf).where(Book.id == book_id))


def test_expired_holds_pass_their_copy_to_the_next_in_line_or_back_to_the_shelf(ses, users):
    late, next_in_line, later, alone, punctual = (users.create("member", email=f"m{i}@example.org") for i in range(5))
    dune = add_book("Dune", quantity=2, copies_on_hold_shelf=2)
    emma = add_book("Emma", quantity=1, copies_on_hold_shelf=1)
    expired_dune = hold(late, dune, "ready", timedelta(days=9), expires_in=timedelta(hours=-1))
    still_ready = hold(punctual, dune, "ready", timedelta(days=8), expires_in=timedelta(hours=1))
    first_waiting = hold(next_in_line, dune, "waiting", timedelta(days=5))
    second_waiting = hold(later, dune, "waiting", timedelta(days=4))
    expired_emma = hold(alone, emma, "ready", timedelta(days=9), expires_in=timedelta(days=-1))
    before = hold_states()

    report = run_daily()
    assert (report["holds_expired"], report["holds_promoted"]) == (2, 1)
    states = hold_states()
    assert states[expired_dune][0] == states[expired_emma][0] == "expired"
    assert states[still_ready] == before[still_ready]
    assert states[second_waiting] == ("waiting", None)
    status, expires_on = states[first_waiting]
    assert status == "ready"
    assert timedelta(days=3) - timedelta(minutes=1) < expires_on - datetime.now(UTC) <= timedelta(days=3)
    # Dune's copy stayed on the hold shelf for the next member; Emma's went back to the shelf.
    assert (shelf(dune), shelf(emma)) == (2, 0)

    assert run_daily()["holds_expired"] == 0
    assert (shelf(dune), shelf(emma)) == (2, 0)
    run_delivery()
    subjects = {(m["To"], m["Subject"]) for m in sent_mail()}
    assert subjects == {
        ("m0@example.org", 'Your hold on "Dune" has expired'),
        ("m3@example.org", 'Your hold on "Emma" has expired'),
        ("m1@example.org", '"Dune" is waiting for you'),
    }
    (ready_mail,) = [m for m in sent_mail() if m["To"] == "m1@example.org"]
    assert f"Please borrow it by {_library_day(expires_on)};" in body(ready_mail)
    assert notices.render(
        "hold_ready",
        {"name": "Member", "title": "Dune", "author": "Frank Herbert", "pickup_by": _library_day(expires_on)},
    )[1] == body(ready_mail)
    (expired_mail,) = [m for m in sent_mail() if m["To"] == "m0@example.org"]
    assert f"not collected by {_library_day(before[expired_dune][1])}" in body(expired_mail)


def test_an_event_from_another_rule_is_refused(ses):
    stranger = load_event("reminders/daily_job.json", resources=["arn:aws:events:us-east-1:1:rule/someone-else"])
    with pytest.raises(app.NotAReminderSchedule):
        app.lambda_handler(stranger, ScheduledContext())
    with pytest.raises(app.NotAReminderSchedule):
        app.lambda_handler({"detail-type": "Object Created", "resources": []}, ScheduledContext())


def test_idempotency_and_failed_login_records_are_kept_a_day_then_removed(ses, users):
    member = users.create("member")
    with db.transaction() as session:
        for key, age in (("fresh", "23 hours"), ("stale", "25 hours")):
            session.execute(
                text(
                    "INSERT INTO idempotency_records (user_id, key, request_hash, status_code, response, created_on) "
                    "VALUES (:user, :key, 'h', 201, '{}', now() - CAST(:age AS interval))"
                ),
                {"user": member["id"], "key": key, "age": age},
            )
            session.execute(
                text("INSERT INTO login_attempts (email, attempted_on) VALUES (:key, now() - CAST(:age AS interval))"),
                {"key": key, "age": age},
            )

    report = run_daily()

    assert (report["idempotency_records_removed"], report["login_attempts_removed"]) == (1, 1)
    with db.transaction() as session:
        assert session.scalars(text("SELECT key FROM idempotency_records")).all() == ["fresh"]
        assert session.scalars(text("SELECT email FROM login_attempts")).all() == ["fresh"]
    assert (run_daily()["idempotency_records_removed"], run_daily()["login_attempts_removed"]) == (0, 0)


def test_refresh_tokens_and_reset_codes_past_their_expiry_are_removed_rotated_tokens_kept_until_then(ses, users):
    member = users.create("member")
    with db.transaction() as session:
        for label, expires, rotated in (
            ("live", "1 day", False),
            ("rotated", "1 day", True),
            ("old", "-1 hour", False),
        ):
            values = {"user": member["id"], "label": label, "expires": expires, "rotated": rotated}
            session.execute(
                text(
                    "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, rotated_at) "
                    "VALUES (:user, gen_random_uuid(), :label, now() + CAST(:expires AS interval), "
                    "CASE WHEN :rotated THEN now() END)"
                ),
                values,
            )
            session.execute(
                text(
                    "INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) "
                    "SELECT :user, :label, now() + CAST(:expires AS interval) WHERE NOT :rotated"
                ),
                values,
            )

    report = run_daily()
    assert (report["refresh_tokens_removed"], report["reset_tokens_removed"]) == (1, 1)
    with db.transaction() as session:
        assert sorted(session.scalars(text("SELECT token_hash FROM refresh_tokens"))) == ["live", "rotated"]
        assert session.scalars(text("SELECT token_hash FROM password_reset_tokens")).all() == ["live"]
    report = run_daily()
    assert (report["refresh_tokens_removed"], report["reset_tokens_removed"]) == (0, 0)


def statements_of(job) -> int:
    from sqlalchemy import event

    statements = []

    def count(*_arguments):
        statements.append(1)

    event.listen(db.get_engine(), "before_cursor_execute", count)
    try:
        job()
    finally:
        event.remove(db.get_engine(), "before_cursor_execute", count)
    return len(statements)


def test_the_daily_job_runs_the_same_statements_for_one_loan_or_many(ses, users, today):
    member = users.create("member")
    lend(member, add_book("Dune"), due=today - timedelta(days=3))
    lend(member, add_book("Emma"), due=today + timedelta(days=1))
    few = statements_of(lambda: daily.run(due_soon_days=2))
    for _ in range(30):
        lend(member, add_book("Dune"), due=today - timedelta(days=3))
        lend(member, add_book("Emma"), due=today + timedelta(days=1))
    many = statements_of(lambda: daily.run(due_soon_days=2))
    assert few == many


@pytest.mark.parametrize(
    ("expires_on", "zone", "shown"),
    [
        (datetime(2026, 3, 13, 23, 30, tzinfo=UTC), "UTC", "2026-03-13"),
        (datetime(2026, 3, 13, 0, 30, tzinfo=timezone(timedelta(hours=2))), "UTC", "2026-03-12"),
        (datetime(2026, 3, 13, 23, 30, tzinfo=UTC), "Pacific/Kiritimati", "2026-03-14"),
        (datetime(2026, 3, 13, 0, 30, tzinfo=timezone(timedelta(hours=2))), "Europe/Paris", "2026-03-12"),
        (datetime(2026, 3, 13, 10, 30, tzinfo=UTC), "America/Los_Angeles", "2026-03-13"),
        (datetime(2026, 3, 13, 5, 30, tzinfo=UTC), "America/Los_Angeles", "2026-03-12"),
    ],
)
def test_a_pickup_deadline_is_shown_as_the_librarys_day(database_url, library_setting, expires_on, zone, shown):
    library_setting("LIBRARY_TIME_ZONE", zone)
    with db.transaction() as session:
        assert session.scalar(select(pickup_by_text(literal(expires_on, DateTime(timezone=True))))) == shown
