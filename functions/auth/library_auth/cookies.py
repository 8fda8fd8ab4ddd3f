"""The refresh token as a cookie, for browser clients that must not let scripts read it (the web console).

Opt-in: `POST /auth/login {"cookie": true}`. The token then travels only in an `HttpOnly; Secure; SameSite=Strict`
cookie scoped to the refresh and logout paths (one cookie per path: a cookie has a single Path), and the body's
`refresh_token` is null. The paths carry the prefix the client used (the stage, on an execute-api URL).
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from library_common.settings import get_settings

NAME = "library_refresh"
SCOPED_PATHS = ("/auth/refresh", "/auth/logout")


def _path_prefix(event: dict[str, Any]) -> str:
    """What the client's URL has before the route: '/dev' on https://{id}.execute-api.../dev, '' on a custom domain."""
    requested = ((event.get("requestContext") or {}).get("path")) or ""
    route_path = event.get("path") or ""
    return requested[: -len(route_path)] if route_path and requested.endswith(route_path) else ""


def _cookies(event: dict[str, Any], value: str, max_age: int) -> list[Cookie]:
    prefix = _path_prefix(event)
    return [
        Cookie(
            name=NAME,
            value=value,
            path=prefix + path,
            secure=True,
            http_only=True,
            same_site=SameSite.STRICT_MODE,
            max_age=max_age,
        )
        for path in SCOPED_PATHS
    ]


def issued(event: dict[str, Any], refresh_token: str) -> list[Cookie]:
    """Set-Cookie for a new refresh token, living as long as the token does."""
    return _cookies(event, refresh_token, get_settings().refresh_token_ttl_days * 86_400)


def cleared(event: dict[str, Any]) -> list[Cookie]:
    """Set-Cookie that makes the browser forget the refresh token."""
    return _cookies(event, "", 0)


def presented(event: dict[str, Any]) -> str | None:
    """The refresh token of the request's Cookie header, if any."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie") or "")
    except CookieError:
        return None
    morsel = jar.get(NAME)
    return morsel.value if morsel is not None and morsel.value else None
