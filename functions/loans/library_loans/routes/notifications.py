"""/notifications: the notices the library sent (or is about to send) a member, with their delivery status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from library_common import db, notices
from library_common.api import SECURED, caller
from library_common.domain.statuses import NoticeKind, NoticeStatus, values
from library_common.envelope import MAX_ID, Envelope, Page, PageNumber, PageSize, Schema, ok

router = APIGatewayRouter()

KindFilter = Literal[values(NoticeKind)]
DeliveryStatus = Literal[values(NoticeStatus)]


class Notice(Schema):
    id: int
    user_id: int
    kind: str = Field(description="What it is about: " + ", ".join(values(NoticeKind)))
    recipient: str = Field(description="The address it was (or will be) sent to")
    subject: str
    body_text: str = Field(description="The email's plain-text body")
    status: DeliveryStatus = Field(
        description="`queued`: waiting to be sent (again, after a failed attempt); `sent`: accepted by the mail "
        "service; `failed`: given up after 5 attempts"
    )
    attempts: int = Field(description="Delivery attempts so far")
    created_on: datetime
    sent_on: datetime | None


@router.get(
    "/notifications",
    summary="List notices sent to a member",
    description=(
        "The caller's own notices (borrow receipts, due-soon and overdue reminders, holds ready or expired, "
        "fines charged, account activation), newest first, with their delivery status. Holders of `users.view` "
        "may pass `user_id` for any member's, or omit it for everyone's."
    ),
    tags=["Notifications"],
    security=SECURED,
)
def list_notifications(
    status: Annotated[DeliveryStatus | None, Query(description="Only notices in this delivery status")] = None,
    kind: Annotated[KindFilter | None, Query(description="Only notices of this kind")] = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Needs users.view unless it is yourself")] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[Notice]]]:
    with db.transaction() as session:
        return ok(
            notices.list_notices(
                session, caller(), user_id=user_id, status=status, kind=kind, page=page, page_size=page_size
            )
        )
