"""/reports: circulation figures for staff."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import REPORTS_VIEW
from library_common.envelope import Envelope, Page, PageNumber, PageSize, ok
from library_common.errors import ValidationFailed
from library_loans import reports
from library_loans.schemas import BorrowCount, OverdueLoan, Summary

router = APIGatewayRouter()
TAGS = ["Reports"]
PERMISSION = REPORTS_VIEW


@router.get(
    "/reports/most-borrowed",
    summary="Most borrowed titles",
    description=(
        "`reports.view`. Titles ranked by loans that began from `from` to `to` (UTC days, both included; "
        "either may be omitted for an open range)."
    ),
    tags=TAGS,
    security=SECURED,
)
def most_borrowed(
    start: Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response[Envelope[list[BorrowCount]]]:
    caller().require(PERMISSION)
    if start and end and start > end:
        raise ValidationFailed(errors=[{"field": "from", "message": "must not be after `to`"}])
    with db.transaction() as session:
        return ok(reports.most_borrowed(session, start=start, end=end, limit=limit))


@router.get(
    "/reports/overdue",
    summary="Overdue loans",
    description="`reports.view`. Loans out past their due date, longest overdue first, with the member's contact.",
    tags=TAGS,
    security=SECURED,
)
def overdue(
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[OverdueLoan]]]:
    caller().require(PERMISSION)
    with db.transaction() as session:
        return ok(reports.overdue(session, page=page, page_size=page_size))


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
