"""/reports: circulation figures for staff."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import AfterValidator

from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import REPORTS_VIEW
from library_common.envelope import CalendarDay, Envelope, Page, PageNumber, PageSize, ok
from library_common.errors import ValidationFailed
from library_loans import reports
from library_loans.schemas import BorrowCount, DayCount, DaysLateCount, HoldQueue, OverdueLoan, Summary

router = APIGatewayRouter()
TAGS = ["Reports"]
PERMISSION = REPORTS_VIEW


def _before_the_last_day(value: date) -> date:
    # A range ends at the start of the day after its last one, which 9999-12-31 does not have.
    if value == date.max:
        raise ValueError("must be before 9999-12-31")
    return value


IsoDate = Annotated[CalendarDay, AfterValidator(_before_the_last_day)]


@router.get(
    "/reports/most-borrowed",
    summary="Most borrowed titles",
    description=(
        "`reports.view`. Titles ranked by loans that began from `from` to `to` (the library's days, in its "
        "`LibraryTimeZone`, both included; "
        "either may be omitted for an open range)."
    ),
    tags=TAGS,
    security=SECURED,
)
def most_borrowed(
    start: Annotated[IsoDate | None, Query(alias="from", description="First day, YYYY-MM-DD")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="Last day, YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response[Envelope[list[BorrowCount]]]:
    caller().require(PERMISSION)
    if start and end and start > end:
        raise ValidationFailed(errors=[{"field": "from", "message": "must not be after `to`"}])
    with db.transaction() as session:
        return ok(reports.most_borrowed(session, start=start, end=end, limit=limit))


@router.get(
    "/reports/loans-per-day",
    summary="Loans per day",
    description=(
        "`reports.view`. Loans begun on each of the library's days (in its `LibraryTimeZone`) from `from` to `to` "
        f"(both included, at most {reports.MAX_RANGE_DAYS} days), every day listed (0 when no loan began). "
        f"Defaults: `to` the library's today, `from` {reports.DEFAULT_RANGE_DAYS - 1} days before `to`."
    ),
    tags=TAGS,
    security=SECURED,
)
def loans_per_day(
    start: Annotated[IsoDate | None, Query(alias="from", description="First day, YYYY-MM-DD")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="Last day, YYYY-MM-DD")] = None,
) -> Response[Envelope[list[DayCount]]]:
    caller().require(PERMISSION)
    with db.transaction() as session:
        return ok(reports.loans_per_day(session, start=start, end=end))


@router.get(
    "/reports/overdue-by-days-late",
    summary="Overdue loans by days late",
    description=(
        "`reports.view`. Loans still out past their due date, counted in bins of days late (1-7, 8-14, 15-30, "
        "31-60, 61 and more); every bin is listed."
    ),
    tags=TAGS,
    security=SECURED,
)
def overdue_by_days_late() -> Response[Envelope[list[DaysLateCount]]]:
    caller().require(PERMISSION)
    with db.transaction() as session:
        return ok(reports.overdue_by_days_late(session))


@router.get(
    "/reports/hold-queues",
    summary="Hold queue lengths",
    description="`reports.view`. Titles by the number of members waiting in their hold queue, longest first.",
    tags=TAGS,
    security=SECURED,
)
def hold_queues(limit: Annotated[int, Query(ge=1, le=100)] = 10) -> Response[Envelope[list[HoldQueue]]]:
    caller().require(PERMISSION)
    with db.transaction() as session:
        return ok(reports.hold_queues(session, limit=limit))


@router.get(
    "/reports/overdue",
    summary="Overdue loans",
    description=(
        "`reports.view`. Loans out past their due date, with the member's contact. `ordering`: a column, `-` for "
        "descending (names, emails and titles whatever their case; ties by loan); the default `-days_late` is the "
        "longest overdue first."
    ),
    tags=TAGS,
    security=SECURED,
)
def overdue(
    ordering: Annotated[
        reports.OverdueOrdering, Query(description="Sort column; prefix - for descending")
    ] = reports.DEFAULT_OVERDUE_ORDERING,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[OverdueLoan]]]:
    caller().require(PERMISSION)
    with db.transaction() as session:
        return ok(reports.overdue(session, ordering=ordering, page=page, page_size=page_size))


@router.get(
    "/reports/summary",
    summary="The library at a glance",
    description="`reports.view`. Titles, copies, on loan, overdue, holds waiting, active members, fines outstanding.",
    tags=TAGS,
    security=SECURED,
)
def summary() -> Response[Envelope[Summary]]:
    caller().require(PERMISSION)
    with db.transaction() as session:
        return ok(reports.summary(session))
