"""The refresh token as an HttpOnly cookie (login with `cookie: true`), through the handler.

Browsers send the cookie back on /auth/refresh and /auth/logout only; the token never appears in a body the
console's scripts could read.
"""

import json
from http.cookies import SimpleCookie

from library_auth.app import lambda_handler
from tests.auth_support import authorizer_context
from tests.conftest import LambdaContext, api_event


def send(event_name, body, *, cookie=None, token=None, stage_prefix=""):
    event = api_event(f"auth/{event_name}.json", body=body)
    # As API Gateway reports it: the path the client asked for, stage included on an execute-api URL.
    event["requestContext"]["path"] = stage_prefix + event["path"]
    if cookie is not None:
        event["headers"]["Cookie"] = cookie
    if token is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = authorizer_context(token)
    response = lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"]), response["multiValueHeaders"].get("Set-Cookie", [])


def parsed(set_cookies):
    """[(path, value, attributes)] of the Set-Cookie headers."""
    result = []
    for header in set_cookies:
        jar = SimpleCookie()
        jar.load(header)
        morsel = jar["library_refresh"]
        result.append((morsel["path"], morsel.value, header))
    return sorted(result)


def cookie_login(member, **extra):
    return send("login", {"email": member["email"], "password": member["password"], "cookie": True}, **extra)


def test_cookie_login_sets_an_httponly_secure_strict_cookie_per_path_and_no_token_in_the_body(users):
    member = users.create("member")
    status, body, set_cookies = cookie_login(member)
    assert status == 200
    assert body["data"]["refresh_token"] is None and body["data"]["access_token"]
    cookies = parsed(set_cookies)
    assert [path for path, _, _ in cookies] == ["/auth/logout", "/auth/refresh"]
    assert cookies[0][1] == cookies[1][1] and len(cookies[0][1]) > 20
    for _, value, header in cookies:
        assert "HttpOnly" in header and "Secure" in header and "SameSite=Strict" in header
        assert f"Max-Age={14 * 86400}" in header
        assert value not in json.dumps(body)


def test_a_plain_login_sets_no_cookie(users):
    member = users.create("member")
    status, body, set_cookies = send("login", {"email": member["email"], "password": member["password"]})
    assert status == 200 and body["data"]["refresh_token"] and set_cookies == []


def test_the_cookie_paths_carry_the_stage_prefix_of_an_execute_api_url(users):
    member = users.create("member")
    _, _, set_cookies = cookie_login(member, stage_prefix="/dev")
    assert [path for path, _, _ in parsed(set_cookies)] == ["/dev/auth/logout", "/dev/auth/refresh"]


def test_refresh_takes_the_cookie_rotates_it_and_refuses_the_old_one(users):
    member = users.create("member")
    _, _, set_cookies = cookie_login(member)
    old = parsed(set_cookies)[0][1]
    status, body, renewed = send("refresh", {}, cookie=f"theme=dark; library_refresh={old}")
    assert status == 200 and body["data"]["refresh_token"] is None and body["data"]["access_token"]
    new = parsed(renewed)[0][1]
    assert new != old
    status, body, _ = send("refresh", {}, cookie=f"library_refresh={old}")
    assert status == 401 and body["code"] == "REFRESH_TOKEN_REUSED"
    # Reuse revoked the whole login, the rotated cookie included.
    assert send("refresh", {}, cookie=f"library_refresh={new}")[1]["code"] == "REFRESH_TOKEN_REVOKED"


def test_refresh_without_body_token_or_cookie_is_401(users):
    status, body, _ = send("refresh", {})
    assert status == 401 and body["code"] == "NO_REFRESH_TOKEN"
    assert send("refresh", {}, cookie="library_refresh=")[1]["code"] == "NO_REFRESH_TOKEN"


def test_a_token_in_the_body_wins_over_the_cookie_and_is_answered_in_the_body(users):
    member = users.create("member")
    _, plain, _ = send("login", {"email": member["email"], "password": member["password"]})
    status, body, set_cookies = send(
        "refresh", {"refresh_token": plain["data"]["refresh_token"]}, cookie="library_refresh=unknown"
    )
    assert status == 200 and body["data"]["refresh_token"] and set_cookies == []


def test_logout_revokes_the_cookie_token_and_clears_both_cookies(users):
    member = users.create("member")
    _, login_body, set_cookies = cookie_login(member)
    value = parsed(set_cookies)[0][1]
    status, _, cleared = send("logout", {}, cookie=f"library_refresh={value}", token=login_body["data"]["access_token"])
    assert status == 200
    assert [(path, value) for path, value, _ in parsed(cleared)] == [("/auth/logout", ""), ("/auth/refresh", "")]
    assert all("Max-Age=0" in header for header in cleared)
    assert send("refresh", {}, cookie=f"library_refresh={value}")[1]["code"] == "REFRESH_TOKEN_REVOKED"


def test_a_garbled_cookie_header_is_no_token(users):
    status, body, _ = send("refresh", {}, cookie='library_refresh="unterminated; ;;=')
    assert status == 401 and body["code"] in ("NO_REFRESH_TOKEN", "INVALID_REFRESH_TOKEN")
