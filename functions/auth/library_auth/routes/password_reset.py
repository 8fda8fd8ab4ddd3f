"""Forgotten passwords: POST /auth/password-reset (a code by email) and /auth/password-reset/confirm."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_auth.logic import password_reset
from library_auth.schemas import PasswordResetConfirm, PasswordResetRequest
from library_common import db
from library_common.api import client_address
from library_common.envelope import Envelope, ok

router = APIGatewayRouter()
TAGS = ["Auth"]
REQUESTED = "If this email belongs to an active account, a reset code is on its way to it"
MINUTES = int(password_reset.RESET_TOKEN_LIFETIME.total_seconds() // 60)


@router.post(
    "/auth/password-reset",
    summary="Ask for a password reset code by email",
    description=(
        "Always 202 with the same body, whether or not the email has an account (no enumeration). An active "
        f"account is sent a single-use code valid {MINUTES} minutes; a newer request or a password change makes "
        f"it useless. At most {password_reset.MAX_REQUESTS_PER_EMAIL} codes per email per 15 minutes (later "
        f"requests are answered alike and send nothing); {password_reset.MAX_REQUESTS_PER_ADDRESS} requests per "
        "client address per 15 minutes, then 429 `TOO_MANY_RESET_REQUESTS` with `Retry-After`."
    ),
    tags=TAGS,
    status_code=202,
)
def request_reset(request: PasswordResetRequest) -> Response[Envelope[None]]:
    with db.transaction() as session:
        password_reset.request_reset(session, request.email, client_address(router.current_event.raw_event))
    return ok(None, REQUESTED, status=202)


@router.post(
    "/auth/password-reset/confirm",
    summary="Set a new password with a reset code",
    description=(
        "Sets the password (the usual strength rules: 422 `WEAK_PASSWORD`, and the code still works), spends the "
        "code, signs the account out everywhere (refresh tokens, cookie sessions and access tokens) and tells the "
        "member by a notice. An unknown, used or expired code: 401 `INVALID_RESET_TOKEN`."
    ),
    tags=TAGS,
)
def confirm_reset(request: PasswordResetConfirm) -> Response[Envelope[None]]:
    with db.transaction() as session:
        password_reset.confirm_reset(session, request.token, request.password)
    return ok(None, "Password changed; sign in with the new one")
