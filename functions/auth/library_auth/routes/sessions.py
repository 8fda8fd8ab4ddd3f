"""Signing in and out: POST /auth/login, /auth/refresh and /auth/logout."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_auth import cookies
from library_auth.logic import sessions
from library_auth.schemas import LoginRequest, RefreshRequest, TokenPair
from library_common import db
from library_common.api import SECURED, caller, client_address
from library_common.envelope import Envelope, ok
from library_common.errors import Unauthorized

router = APIGatewayRouter()
TAGS = ["Auth"]
COOKIE_DESCRIPTION = (
    " Browser clients that must keep the refresh token from scripts log in with `cookie: true`: the token is then "
    f"set as the `{cookies.NAME}` cookie (`HttpOnly; Secure; SameSite=Strict`, Path /auth/refresh and "
    "/auth/logout, behind the stage prefix when called on an execute-api URL) and the body's `refresh_token` is "
    "null."
)


def _tokens_answer(pair: dict, message: str, as_cookie: bool) -> Response:
    if not as_cookie:
        return ok(pair, message)
    response = ok({**pair, "refresh_token": None}, message)
    response.cookies.extend(cookies.issued(router.current_event.raw_event, pair["refresh_token"]))
    return response


def _presented_token(request: RefreshRequest) -> tuple[str, bool]:
    """The refresh token of the body, else of the cookie, and whether it came from the cookie."""
    if request.refresh_token is not None:
        return request.refresh_token, False
    from_cookie = cookies.presented(router.current_event.raw_event)
    if from_cookie is None:
        raise Unauthorized("Send refresh_token, or the cookie set by login with cookie: true", code="NO_REFRESH_TOKEN")
    return from_cookie, True


@router.post(
    "/auth/login",
    summary="Log in: an access token and a refresh token",
    description=(
        "401 `INVALID_CREDENTIALS` for an unknown email or a wrong password alike; 403 `ACCOUNT_INACTIVE` for an "
        "account not activated yet or closed. 429 `TOO_MANY_LOGIN_ATTEMPTS`, with `Retry-After` (seconds): after 5 "
        "failed logins for one email from one client address within 15 minutes, that address for the rest of the "
        "window; after 50 for one email from all addresses together, every address that has failed for it (the "
        "owner is sent a notice). An address with no failed login for the email is never refused, so nobody can "
        "lock an owner out from elsewhere. `403 PASSWORD_CHANGE_REQUIRED` follows on every other route for an "
        "account that must change its password (the first admin): change it with PATCH /auth." + COOKIE_DESCRIPTION
    ),
    tags=TAGS,
)
def login(credentials: LoginRequest) -> Response[Envelope[TokenPair]]:
    address = client_address(router.current_event.raw_event)
    pair = sessions.login(credentials.email, credentials.password, address)
    return _tokens_answer(pair, "Logged in", credentials.cookie)


@router.post(
    "/auth/refresh",
    summary="Exchange a refresh token for a new pair",
    description=(
        "Each refresh token works once. Presenting one that was already exchanged revokes every token of that "
        "login (`REFRESH_TOKEN_REUSED`, 401): a copy has leaked. Unknown, revoked or expired tokens: 401. "
        f"Without `refresh_token` in the body, the `{cookies.NAME}` cookie is used (401 `NO_REFRESH_TOKEN` when "
        "there is neither), and the new token is set in that cookie again (`refresh_token: null` in the body)."
    ),
    tags=TAGS,
)
def refresh(request: RefreshRequest) -> Response[Envelope[TokenPair]]:
    token, from_cookie = _presented_token(request)
    return _tokens_answer(sessions.refresh(token), "Tokens refreshed", from_cookie)


@router.post(
    "/auth/logout",
    summary="Log out: revoke a refresh token and its session",
    description=(
        "Revokes the refresh token's whole login session. A token that is unknown or not yours changes nothing. "
        "Access tokens are not revocable: they expire on their own within minutes. Without `refresh_token` in "
        f"the body, the `{cookies.NAME}` cookie's token is revoked; the answer always clears that cookie."
    ),
    tags=TAGS,
    security=SECURED,
)
def logout(request: RefreshRequest) -> Response[Envelope[None]]:
    user_id = caller().require_login()
    event = router.current_event.raw_event
    token = request.refresh_token or cookies.presented(event)
    if token is not None:
        with db.transaction() as session:
            sessions.logout(session, user_id, token)
    response = ok(None, "Logged out")
    response.cookies.extend(cookies.cleared(event))
    return response
