"""/fines: late fees, and settling them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_common import db
from library_common.api import SECURED, caller
from library_common.domain import statuses
from library_common.envelope import MAX_ID, Envelope, Page, PageNumber, PageSize, ok
from library_loans import fines
from library_loans.schemas import Fine, FineStatus

router = APIGatewayRouter()
TAGS = ["Fines"]
FineId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/fines",
    summary="List fines",
    description="The caller's own fines; every member's with `fines.manage`. Newest first.",
    tags=TAGS,
    security=SECURED,
)
def list_fines(
    status: Annotated[FineStatus | None, Query()] = None,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Needs fines.manage unless it is yourself")
    ] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[Fine]]]:
    with db.transaction() as session:
        return ok(fines.list_fines(session, caller(), status=status, user_id=user_id, page=page, page_size=page_size))


@router.post(
    "/fines/<fine_id>/pay",
    summary="Record a fine as paid",
    description=(
        "`fines.manage`. 409 `FINE_ALREADY_SETTLED`, or `FINE_STILL_ACCRUING` while the loan is still out "
        "(the fee is final on return). Paying brings the member back under the block threshold."
    ),
    tags=TAGS,
    security=SECURED,
)
def pay_fine(fine_id: FineId) -> Response[Envelope[Fine]]:
    caller().require(fines.MANAGE)
    with db.transaction() as session:
        return ok(fines.settle(session, fine_id, statuses.FineStatus.PAID), "Fine paid")


@router.post(
    "/fines/<fine_id>/waive",
    summary="Waive a fine",
    description="`fines.manage`. Forgives the fee, also while the loan is still out. 409 `FINE_ALREADY_SETTLED`.",
    tags=TAGS,
    security=SECURED,
)
def waive_fine(fine_id: FineId) -> Response[Envelope[Fine]]:
    caller().require(fines.MANAGE)
    with db.transaction() as session:
        return ok(fines.settle(session, fine_id, statuses.FineStatus.WAIVED), "Fine waived")
