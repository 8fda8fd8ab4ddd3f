"""The caller's own account: /auth."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_auth import logic
from library_auth.schemas import Profile
from library_common import db
from library_common.api import SECURED, caller
from library_common.envelope import Envelope, ok

router = APIGatewayRouter()


@router.get("/auth", summary="Your own profile, groups and effective permissions", tags=["Auth"], security=SECURED)
def read_profile() -> Response[Envelope[Profile]]:
    user_id = caller().require_login()
    with db.transaction() as session:
        return ok(logic.profile(session, user_id))
