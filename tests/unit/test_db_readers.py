"""The layer's connections read timestamptz and date values with fromisoformat: the same values pg8000's own
parsers give."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pg8000.converters import date_in, timestamptz_in
from sqlalchemy import text

from library_common import db

VALUES = [
    ("2026-12-02 13:11:12.571747+00", datetime(2026, 12, 2, 13, 11, 12, 571747, tzinfo=UTC)),
    ("2026-12-02 13:11:12+00", datetime(2026, 12, 2, 13, 11, 12, tzinfo=UTC)),
    ("1999-01-01 00:00:00.5+05:30", datetime(1999, 1, 1, 0, 0, 0, 500000, tzinfo=timezone(timedelta(hours=5.5)))),
    ("infinity", "infinity"),
    ("-infinity", "-infinity"),
]


DATES = [
    ("2026-12-16", date(2026, 12, 16)),
    ("0001-01-01", date(1, 1, 1)),
    ("infinity", "infinity"),
    ("-infinity", "-infinity"),
    ("10000-01-01", "10000-01-01"),
]


@pytest.mark.parametrize(("value", "expected"), VALUES)
def test_a_timestamptz_text_reads_as_pg8000_reads_it(value, expected):
    assert db._timestamptz(value) == expected == timestamptz_in(value)


@pytest.mark.parametrize(("value", "expected"), DATES)
def test_a_date_text_reads_as_pg8000_reads_it(value, expected):
    assert db._date(value) == expected == date_in(value)


def test_the_engines_connections_read_timestamps_and_dates_through_them(database_url):
    with db.transaction() as session:
        session.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        moment, endless, day, no_day = session.execute(
            text(
                "SELECT timestamptz '2026-12-02 13:11:12.571747+00', timestamptz 'infinity', date '2026-12-16', "
                "date '-infinity'"
            )
        ).one()

    assert moment == datetime(2026, 12, 2, 13, 11, 12, 571747, tzinfo=UTC)
    assert endless == "infinity"
    assert day == date(2026, 12, 16)
    assert no_day == "-infinity"
    raw = db.get_engine().raw_connection()
    try:
        assert raw.dbapi_connection.pg_types[db.TIMESTAMPTZ_OID] is db._timestamptz
        assert raw.dbapi_connection.pg_types[db.DATE_OID] is db._date
    finally:
        raw.close()
