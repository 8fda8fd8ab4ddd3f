"""The refresh-token cookie over HTTP, through the local API as a browser meets it: one Set-Cookie header per
cookie (never folded into one line), sent back on refresh and logout."""

import json
import urllib.error
import urllib.request
from http.cookies import SimpleCookie

import pytest

pytestmark = pytest.mark.http


def post(base_url, path, body, *, cookie=None, token=None):
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read()), response.headers.get_all("Set-Cookie") or []


def cookie_of(set_cookies):
    jar = SimpleCookie()
    for header in set_cookies:
        jar.load(header)
    return jar["library_refresh"].value


def test_cookie_login_refresh_and_logout_over_http(local_api, users):
    member = users.create("member")
    body, set_cookies = post(
        local_api, "/auth/login", {"email": member["email"], "password": member["password"], "cookie": True}
    )
    assert body["data"]["refresh_token"] is None
    assert len(set_cookies) == 2
    assert sorted(header.split("Path=")[1].split(";")[0] for header in set_cookies) == [
        "/auth/logout",
        "/auth/refresh",
    ]
    assert all("HttpOnly" in header and "SameSite=Strict" in header for header in set_cookies)

    refreshed, rotated = post(local_api, "/auth/refresh", {}, cookie=f"library_refresh={cookie_of(set_cookies)}")
    assert refreshed["status"] == 200 and len(rotated) == 2
    assert cookie_of(rotated) != cookie_of(set_cookies)

    logged_out, cleared = post(
        local_api,
        "/auth/logout",
        {},
        cookie=f"library_refresh={cookie_of(rotated)}",
        token=refreshed["data"]["access_token"],
    )
    assert logged_out["status"] == 200 and all("Max-Age=0" in header for header in cleared)
    with pytest.raises(urllib.error.HTTPError) as refused:
        post(local_api, "/auth/refresh", {}, cookie=f"library_refresh={cookie_of(rotated)}")
    assert refused.value.code == 401
