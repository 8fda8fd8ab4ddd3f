"""The domain package's rules that exist both in SQL and in Python: one table of cases drives both twins, and the
one definition of the library's day holds whichever time zone the database session is in."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import Date, DateTime, Integer, literal, select, text

from library_auth.logic import accounts
from library_common import db
from library_common.caller import Caller
from library_common.domain import availability, catalogue, loans, permissions, standing
from library_common.domain.days import TODAY, day_of, start_of
from library_common.errors import Forbidden
from library_common.migrate import MIGRATIONS
from library_loans import borrowing, reports
from library_loans import loans as loan_routes
from tests.test_circulation_support import add_book

RETURNED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

# (returned_on, due date relative to today, status, days overdue)
LOAN_CASES = [
    (None, 3, "active", 0),
    (None, 0, "active", 0),
    (None, -1, "overdue", 1),
    (None, -9, "overdue", 9),
    (RETURNED, -9, "returned", 0),
    (RETURNED, 2, "returned", 0),
]


@pytest.mark.parametrize(("returned_on", "due_in_days", "status", "days_overdue"), LOAN_CASES)
def test_a_loans_status_is_the_same_in_python_and_in_sql(engine, returned_on, due_in_days, status, days_overdue):
    with db.transaction() as session:
        today = session.scalar(select(TODAY))
        due_date = today + timedelta(days=due_in_days)
        columns = SimpleNamespace(
            returned_on=literal(returned_on, DateTime(timezone=True)), due_date=literal(due_date, Date)
        )
        in_sql = session.execute(
            select(
                loans.status_sql(columns).label("status"),
                loans.is_overdue(columns).label("overdue"),
                loans.status_condition(loans.LoanStatus(status), columns).label("selected"),
            )
        ).one()
    in_python = loans.status(returned_on=returned_on, due_date=due_date, today=today)
    assert in_python == in_sql.status == status
    assert loans.days_overdue(returned_on=returned_on, due_date=due_date, today=today) == days_overdue
    assert in_sql.overdue is (status == "overdue")
    assert in_sql.selected is True


@pytest.mark.parametrize(
    ("quantity", "on_loan", "on_hold_shelf", "free", "out"), [(3, 1, 1, 1, 2), (2, 2, 0, 0, 2), (1, 0, 0, 1, 0)]
)
def test_copies_free_is_one_expression_for_sql_and_python(engine, quantity, on_loan, on_hold_shelf, free, out):
    values = SimpleNamespace(quantity=quantity, copies_on_loan=on_loan, copies_on_hold_shelf=on_hold_shelf)
    columns = SimpleNamespace(**{name: literal(value, Integer) for name, value in vars(values).items()})
    with db.transaction() as session:
        in_sql = session.execute(
            select(availability.copies_free(columns).label("free"), availability.copies_out(columns).label("out"))
        ).one()
    assert availability.copies_free(values) == in_sql.free == free
    assert availability.copies_out(values) == in_sql.out == out


@pytest.mark.parametrize(("archived_on", "live"), [(None, True), (RETURNED, False)])
def test_a_live_book_is_one_rule_for_sql_python_and_sql_text(engine, archived_on, live):
    columns = SimpleNamespace(archived_on=literal(archived_on, DateTime(timezone=True)))
    with db.transaction() as session:
        in_sql = session.scalar(select(catalogue.is_live(columns)))
        as_text = session.scalar(
            text(f"SELECT {catalogue.live_sql('b')} FROM (SELECT CAST(:archived_on AS timestamptz) AS archived_on) b"),
            {"archived_on": archived_on},
        )
    assert catalogue.is_live(SimpleNamespace(archived_on=archived_on)) is in_sql is as_text is live


# (a moment, the library's time zone, the library's day of that moment, the moment that day began)
DAY_CASES = [
    (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "UTC", date(2026, 3, 1), datetime(2026, 3, 1, tzinfo=UTC)),
    (datetime(2026, 3, 2, 0, 30, tzinfo=UTC), "UTC", date(2026, 3, 2), datetime(2026, 3, 2, tzinfo=UTC)),
    (
        datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        "Europe/Paris",
        date(2026, 3, 2),
        datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
    ),
    (
        datetime(2026, 7, 1, 3, 0, tzinfo=UTC),
        "America/New_York",
        date(2026, 6, 30),
        datetime(2026, 6, 30, 4, 0, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(("moment", "zone", "day", "day_began"), DAY_CASES)
def test_the_librarys_day_is_its_time_zones_whatever_the_sessions(
    engine, library_setting, moment, zone, day, day_began
):
    library_setting("LIBRARY_TIME_ZONE", zone)
    with db.transaction() as session:
        session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        assert session.scalar(select(day_of(literal(moment, DateTime(timezone=True))))) == day
        assert session.scalar(select(start_of(literal(day, Date)))) == day_began


def _session_zone_on_another_day(now: datetime) -> tuple[str, int]:
    """A session time zone whose calendar day differs from the UTC day right now, and the due date (relative to the
    UTC today) of a loan that a session-day rule would get wrong: UTC+14 is already tomorrow from 10:00 UTC (a loan
    due today would look overdue), UTC-12 is still yesterday before 12:00 UTC (a loan due yesterday would not)."""
    return ("Etc/GMT-14", 0) if now.hour >= 12 else ("Etc/GMT+12", -1)


def test_every_route_sees_the_same_overdue_loan_whatever_the_session_time_zone(engine, users):
    """Around midnight a member must not be overdue for one route and not for another: the status of a loan is
    the library's day (UTC) for the member's history (auth) as for their loans (loans)."""
    member = users.create("member")
    book_id = add_book()
    with db.transaction() as session:
        zone, due_in_days = _session_zone_on_another_day(session.scalar(select(text("now()"))).astimezone(UTC))
        today = session.scalar(select(TODAY))
        expected = loans.status(returned_on=None, due_date=today + timedelta(days=due_in_days), today=today)
        session.execute(
            text("INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, :d)"),
            {"u": member["id"], "b": book_id, "d": today + timedelta(days=due_in_days)},
        )
        session.execute(text(f"SET LOCAL TIME ZONE '{zone}'"))
        assert session.scalar(select(text("current_date"))) != today  # the session's day really differs
        seen = _loan_statuses_the_member_sees(session, member["id"])
    assert seen == (expected, expected)


def _loan_statuses_the_member_sees(session, member_id: int) -> tuple[str, str]:
    """The status of the member's first loan in their borrowing history and in the loans list."""
    history = accounts.borrowing_history(session, member_id, status=None, page=1, page_size=10)
    caller = Caller(user_id=member_id, role="member")
    listed = loan_routes.list_loans(
        session.connection(), caller, status=None, user_id=None, book_id=None, page=1, page_size=10
    )
    return history["items"][0]["status"], listed["items"][0]["status"]


def _library_zone_on_another_day(now: datetime) -> tuple[str, int]:
    """A library time zone whose calendar day differs from the UTC day right now, and the due date (relative to the
    UTC today) of a loan that is overdue in one of the two days and not in the other: UTC+14 is already tomorrow
    from 10:00 UTC (a loan due today is overdue there), UTC-12 is still yesterday before 12:00 UTC (a loan due
    yesterday is not overdue there yet)."""
    return ("Etc/GMT-14", 0) if now.hour >= 12 else ("Etc/GMT+12", -1)


def test_around_midnight_every_route_blocks_or_allows_a_member_by_the_librarys_day(engine, users, library_setting):
    """In a library whose day is not the UTC day, a loan's status, the member's standing and a borrow agree: the
    member is blocked by every route (history, loans, the chat's answer, the overdue report, borrowing) or by none."""
    member, staff = users.create("member"), users.create("librarian")
    lent, wanted = add_book(title="Dune"), add_book(title="Emma")
    with db.transaction() as session:
        utc_today = session.scalar(select(text("(now() AT TIME ZONE 'UTC')::date")))
        zone, due_in_days = _library_zone_on_another_day(session.scalar(select(text("now()"))).astimezone(UTC))
        due_date = utc_today + timedelta(days=due_in_days)
        session.execute(
            text("INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, :d)"),
            {"u": member["id"], "b": lent, "d": due_date},
        )
    library_setting("LIBRARY_TIME_ZONE", zone)
    with db.transaction() as session:
        today = session.scalar(select(TODAY))
        assert today != utc_today  # the library's day really differs from the UTC day
        expected = loans.status(returned_on=None, due_date=due_date, today=today)
        seen = _loan_statuses_the_member_sees(session, member["id"])
        block = standing.member_block_reason(session, member["id"])
        overdue_report = reports.overdue(session, page=1, page_size=10)
    assert seen == (expected, expected)
    blocked = expected == "overdue"
    assert (block is not None) is blocked
    assert (overdue_report["total"] == 1) is blocked
    with db.writing() as connection:
        if blocked:
            with pytest.raises(Forbidden):
                borrowing.borrow(
                    connection,
                    caller=Caller(user_id=staff["id"]),
                    member_id=member["id"],
                    book_id=wanted,
                    idempotency_key=None,
                )
        else:
            answer = borrowing.borrow(
                connection,
                caller=Caller(user_id=staff["id"]),
                member_id=member["id"],
                book_id=wanted,
                idempotency_key=None,
            )
            assert answer.status == 201


def _first_migration():
    path = next(MIGRATIONS.glob("versions/0001_*.py"))
    spec = importlib.util.spec_from_file_location("first_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_permission_codes_are_those_the_first_migration_creates():
    """A migration is frozen history, so it keeps its own list; the route guards' constants must match it."""
    migration = _first_migration()
    assert dict(migration.BUILT_IN_PERMISSIONS) == permissions.BUILT_IN
    assert set(migration.NOT_FOR_LIBRARIANS) == set(permissions.NOT_FOR_LIBRARIANS)
