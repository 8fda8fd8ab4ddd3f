"""/holds: join a title's queue, see your place in it, leave it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import LOANS_MANAGE
from library_common.envelope import MAX_ID, Envelope, Page, PageNumber, PageSize, created, ok
from library_loans import holds
from library_loans.schemas import Hold, HoldRequest, HoldStatus

router = APIGatewayRouter()
TAGS = ["Holds"]


@router.post(
    "/holds",
    summary="Join the queue for a title",
    description=(
        "For the caller, or for `user_id` with `loans.manage`, when no copy of the title is free. Answers the hold "
        "with its `position` (1 = next). When a copy comes back the first waiting hold becomes `ready`: the copy "
        "is kept on the hold shelf for that member until `pickup_by`, and a notice is sent. "
        "409 `COPY_AVAILABLE` (borrow it instead), `ALREADY_QUEUED`, `ALREADY_BORROWED`; 403 `BORROWING_BLOCKED`."
    ),
    tags=TAGS,
    security=SECURED,
)
def place_hold(request: HoldRequest) -> Response[Envelope[Hold]]:
    who = caller()
    caller_id = who.require_login()
    member_id = request.user_id or caller_id
    if member_id != caller_id:
        who.require(LOANS_MANAGE)
    with db.transaction() as session:
        return created(holds.place_hold(session, member_id=member_id, book_id=request.book_id), "Hold placed")


@router.get(
    "/holds",
    summary="List holds",
    description=(
        "The caller's holds with their status and, while waiting, their position; every member's with "
        "`loans.view_all`. Active holds (waiting, ready) first."
    ),
    tags=TAGS,
    security=SECURED,
)
def list_holds(
    status: Annotated[HoldStatus | None, Query()] = None,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Needs loans.view_all unless it is yourself")
    ] = None,
    book_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[Hold]]]:
    with db.transaction() as session:
        return ok(
            holds.list_holds(
                session, caller(), status=status, user_id=user_id, book_id=book_id, page=page, page_size=page_size
            )
        )


@router.delete(
    "/holds/<hold_id>",
    summary="Cancel a hold",
    description=(
        "By the member or with `loans.manage`. Cancelling a ready hold passes its copy to the next member in line, "
        "or back to the shelf. 409 `HOLD_NOT_ACTIVE` when it is already fulfilled, cancelled or expired."
    ),
    tags=TAGS,
    security=SECURED,
)
def cancel_hold(hold_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response[Envelope[Hold]]:
    with db.transaction() as session:
        return ok(holds.cancel(session, hold_id, caller()), "Hold cancelled")
