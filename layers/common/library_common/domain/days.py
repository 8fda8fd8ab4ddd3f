"""The library's calendar: one definition of "today", in the library's time zone (`LIBRARY_TIME_ZONE`, UTC unless
the deployment says otherwise).

A loan due on D is overdue from D + 1 in the library's zone, whatever the time zone of the database server, of its
session or of the function. `func.current_date()` would be the session's day and disagree with the rest around
midnight; every rule that counts days (overdue, fines, due-soon and pickup dates, reports) takes its day from here.
The database computes the day, with its clock and its time-zone rules: `now()` is fixed for the whole transaction,
so every statement of one request sees the same day, and no function needs a time-zone database of its own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, DateTime, String, bindparam, cast, func

from library_common.settings import get_settings


def _library_time_zone() -> str:
    return get_settings().library_time_zone


# The zone, bound from the settings at each execution, so that prebuilt statements stay prebuilt.
TIME_ZONE = bindparam("library_time_zone", callable_=_library_time_zone, type_=String)


def day_of(moment: ColumnElement[Any]) -> ColumnElement[date]:
    """The library's calendar day of a timestamp."""
    return cast(func.timezone(TIME_ZONE, moment), Date)


def local_time_of(moment: ColumnElement[Any]) -> ColumnElement[datetime]:
    """A timestamp as the library's wall clock shows it (a timestamp without time zone)."""
    return func.timezone(TIME_ZONE, moment)


def start_of(day: Any) -> ColumnElement[datetime]:
    """The moment the library's day `day` (a date, or a date column) begins."""
    return func.timezone(TIME_ZONE, cast(cast(day, Date), DateTime))


# The current calendar day of the transaction.
TODAY: ColumnElement[date] = day_of(func.now())
