"""Signing in and out: POST /auth/login, /auth/refresh and /auth/logout."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_auth.logic import sessions
from library_auth.schemas import LoginRequest, RefreshRequest, TokenPair
from library_common import db
from library_common.api import SECURED, caller
from library_common.envelope import Envelope, ok

router = APIGatewayRouter()
TAGS = ["Auth"]


@router.post(
    "/auth/login",
    summary="Log in: an access token and a refresh token",
    description=(
        "401 `INVALID_CREDENTIALS` for an unknown email or a wrong password alike; 403 `ACCOUNT_INACTIVE` for an "
        "account not activated yet or closed; 429 `TOO_MANY_LOGIN_ATTEMPTS` after 5 failed logins for one email "
        "within 15 minutes, for the rest of that window, with `Retry-After` (seconds)."
    ),
    tags=TAGS,
)
def login(credentials: LoginRequest) -> Response[Envelope[TokenPair]]:
    return ok(sessions.login(credentials.email, credentials.password), "Logged in")


@router.post(
    "/auth/refresh",
    summary="Exchange a refresh token for a new pair",
    description=(
        "Each refresh token works once. Presenting one that was already exchanged revokes every token of that "
        "login (`REFRESH_TOKEN_REUSED`, 401): a copy has leaked. Unknown, revoked or expired tokens: 401."
    ),
    tags=TAGS,
)
def refresh(request: RefreshRequest) -> Response[Envelope[TokenPair]]:
    return ok(sessions.refresh(request.refresh_token), "Tokens refreshed")


@router.post(
    "/auth/logout",
    summary="Log out: revoke a refresh token and its session",
    description=(
        "Revokes the refresh token's whole login session. A token that is unknown or not yours changes nothing. "
        "Access tokens are not revocable: they expire on their own within minutes."
    ),
    tags=TAGS,
    security=SECURED,
)
def logout(request: RefreshRequest) -> Response[Envelope[None]]:
    user_id = caller().require_login()
    with db.transaction() as session:
        sessions.logout(session, user_id, request.refresh_token)
    return ok(None, "Logged out")
