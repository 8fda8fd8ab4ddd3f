"""The library's calendar: one definition of "today", in SQL and in Python.

The library counts its days in UTC: a loan due on D is overdue from D + 1, whatever the time zone of the
database server, of its session or of the function. `func.current_date()` would be the session's day and
disagree with the rest around midnight; every rule that counts days (overdue, fines, due-soon and pickup
dates, reports) takes its day from here. The database's clock is the one that counts: `now()` is fixed for
the whole transaction, so every statement of one request sees the same day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func

TIME_ZONE = "UTC"


def day_of(moment: ColumnElement[Any]) -> ColumnElement[date]:
    """The library's calendar day of a timestamp, in SQL."""
    return cast(func.timezone(TIME_ZONE, moment), Date)


def day_of_moment(moment: datetime) -> date:
    """The library's calendar day of an aware datetime, in Python (the twin of `day_of`)."""
    return moment.astimezone(UTC).date()


# The current calendar day of the transaction.
TODAY: ColumnElement[date] = day_of(func.now())
