"""The layer's connections read timestamptz values with fromisoformat: the same values pg8000's own parser gives."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pg8000.converters import timestamptz_in
from sqlalchemy import text

from library_common import db

VALUES = [
    ("2026-12-02 13:11:12.571747+00", datetime(2026, 12, 2, 13, 11, 12, 571747, tzinfo=UTC)),
    ("2026-12-02 13:11:12+00", datetime(2026, 12, 2, 13, 11, 12, tzinfo=UTC)),
    ("1999-01-01 00:00:00.5+05:30", datetime(1999, 1, 1, 0, 0, 0, 500000, tzinfo=timezone(timedelta(hours=5.5)))),
    ("infinity", "infinity"),
    ("-infinity", "-infinity"),
]


@pytest.mark.parametrize(("value", "expected"), VALUES)
def test_a_timestamptz_text_reads_as_pg8000_reads_it(value, expected):
    assert db._timestamptz(value) == expected == timestamptz_in(value)


def test_the_engines_connections_read_timestamps_through_it(database_url):
    with db.transaction() as session:
        session.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        moment, endless = session.execute(
            text("SELECT timestamptz '2026-12-02 13:11:12.571747+00', timestamptz 'infinity'")
        ).one()

    assert moment == datetime(2026, 12, 2, 13, 11, 12, 571747, tzinfo=UTC)
    assert endless == "infinity"
    raw = db.get_engine().raw_connection()
    try:
        assert raw.dbapi_connection.pg_types[db.TIMESTAMPTZ_OID] is db._timestamptz
    finally:
        raw.close()
