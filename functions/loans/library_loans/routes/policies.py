"""/policies: the lending rules."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import POLICIES_MANAGE
from library_common.envelope import Envelope, ok
from library_loans import policies
from library_loans.schemas import Policy, PolicyChange

router = APIGatewayRouter()
TAGS = ["Policies"]


@router.get("/policies", summary="The lending policy", description="Public.", tags=TAGS)
def read_policy() -> Response[Envelope[Policy]]:
    with db.transaction() as session:
        return ok(policies.read_policy(session))


@router.patch(
    "/policies",
    summary="Change the lending policy",
    description=(
        "`policies.manage`. Send only the fields to change. New values apply from now on: to new loans, "
        "renewals, fines charged or accruing, and holds becoming ready. The amounts are whole numbers of the "
        "currency's minor unit (`currency_minor_digits`): JPY 0.25 is 422, and so is a change that would keep an "
        "amount stored before the currency had no minor unit (the field named, to be sent with the change)."
    ),
    tags=TAGS,
    security=SECURED,
)
def change_policy(change: PolicyChange) -> Response[Envelope[Policy]]:
    caller().require(POLICIES_MANAGE)
    with db.transaction() as session:
        return ok(policies.change_policy(session, change.model_dump(exclude_unset=True)), "Policy updated")
