"""The most-borrowed report sums monthly counts kept by triggers; it must equal counting every loan."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from library_common import db
from library_loans import reports
from tests.test_circulation_support import add_book

FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2026, 3, 31)


@pytest.fixture
def history(users, engine):
    """2,000 returned loans of five titles, begun at random moments from January 2025 to March 2026 (UTC)."""
    member = users.create("member")
    books = [add_book(title=f"Title {n}") for n in range(5)]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO loans (user_id, book_id, borrowed_on, due_date, returned_on) "
                "SELECT :member, (CAST(:books AS bigint[]))[1 + floor(5 * power(random(), 2))::int], moment, "
                "moment::date + 14, "
                "moment + interval '3 days' FROM (SELECT timestamptz '2025-01-01 00:00+00' "
                "+ random() * interval '455 days' AS moment FROM generate_series(1, 2000)) generated"
            ),
            {"member": member["id"], "books": books},
        )
    return books


def counted_one_by_one(engine, start: date | None, end: date | None) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT book_id, count(*) FROM loans WHERE (CAST(:start AS date) IS NULL OR borrowed_on >= "
                "CAST(:start AS date)::timestamp AT TIME ZONE 'UTC') AND (CAST(:end AS date) IS NULL OR "
                "borrowed_on < (CAST(:end AS date) + 1)::timestamp AT TIME ZONE 'UTC') "
                "GROUP BY book_id ORDER BY count(*) DESC, book_id"
            ),
            {"start": start, "end": end},
        )
        return [tuple(row) for row in rows]


def report(start: date | None, end: date | None) -> list[tuple[int, int]]:
    with db.transaction() as session:
        return [
            (row["book_id"], row["loans"]) for row in reports.most_borrowed(session, start=start, end=end, limit=10)
        ]


def ranges() -> list[tuple[date | None, date | None]]:
    chooser = random.Random(20250101)
    days = [FIRST_DAY + timedelta(days=chooser.randrange(455)) for _ in range(12)]
    edges = [
        (None, None),
        (date(2025, 3, 1), date(2025, 5, 31)),  # whole months only
        (date(2025, 3, 1), None),
        (None, date(2025, 10, 31)),
        (date(2025, 3, 15), date(2025, 3, 20)),  # inside one month
        (date(2025, 3, 15), date(2025, 4, 10)),  # across one month boundary, no whole month
        (date(2025, 2, 28), date(2025, 2, 28)),  # a single day at a month's end
        (date(2025, 12, 31), date(2026, 1, 1)),
    ]
    return (
        edges
        + [(min(a, b), max(a, b)) for a, b in zip(days[::2], days[1::2], strict=True)]
        + [
            (days[0], None),
            (None, days[1]),
        ]
    )


@pytest.mark.parametrize(("start", "end"), ranges())
def test_the_report_equals_counting_every_loan(history, engine, start, end):
    assert report(start, end) == counted_one_by_one(engine, start, end)


def test_the_monthly_counts_follow_moved_deleted_and_truncated_loans(history, engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE loans SET borrowed_on = borrowed_on - interval '40 days' WHERE mod(id, 7) = 0"))
        connection.execute(text("UPDATE loans SET book_id = :b WHERE mod(id, 11) = 0"), {"b": history[4]})
        connection.execute(text("DELETE FROM loans WHERE mod(id, 5) = 0"))
    assert report(None, None) == counted_one_by_one(engine, None, None)
    assert report(date(2025, 2, 1), date(2025, 6, 30)) == counted_one_by_one(
        engine, date(2025, 2, 1), date(2025, 6, 30)
    )

    with engine.begin() as connection:
        connection.execute(text("TRUNCATE loans CASCADE"))
        assert connection.execute(text("SELECT count(*) FROM loan_counts")).scalar() == 0
