"""The identity side over HTTP against the local API: the whole journey of a member, and racing refreshes."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.http.client import call

pytestmark = pytest.mark.http

PASSWORD = "analytical engine"


def test_register_activate_login_refresh_reuse_and_logout(local_api, users):
    admin = users.create("admin")
    registered = call(
        local_api, "POST", "/auth", json_body={"name": "Ada", "email": "ada@example.org", "password": PASSWORD}
    )
    assert registered.status == 201 and registered.body["data"]["is_active"] is False
    ada_id = registered.body["data"]["id"]

    credentials = {"email": "ada@example.org", "password": PASSWORD}
    assert call(local_api, "POST", "/auth/login", json_body=credentials).status == 403

    activated = call(local_api, "PATCH", f"/users/{ada_id}", json_body={"is_active": True}, token=users.token(admin))
    assert activated.status == 200 and activated.body["data"]["is_active"] is True

    login = call(local_api, "POST", "/auth/login", json_body=credentials)
    assert login.status == 200
    pair = login.body["data"]
    assert pair["token_type"] == "Bearer" and pair["token"] == pair["access_token"]

    profile = call(local_api, "GET", "/auth", token=pair["access_token"])
    assert profile.status == 200 and profile.body["data"]["email"] == "ada@example.org"

    rotated = call(local_api, "POST", "/auth/refresh", json_body={"refresh_token": pair["refresh_token"]})
    assert rotated.status == 200
    new_pair = rotated.body["data"]
    assert call(local_api, "GET", "/auth", token=new_pair["access_token"]).status == 200

    reused = call(local_api, "POST", "/auth/refresh", json_body={"refresh_token": pair["refresh_token"]})
    assert reused.status == 401 and reused.body["code"] == "REFRESH_TOKEN_REUSED"
    family_gone = call(local_api, "POST", "/auth/refresh", json_body={"refresh_token": new_pair["refresh_token"]})
    assert family_gone.status == 401

    second = call(local_api, "POST", "/auth/login", json_body=credentials).body["data"]
    logout = call(
        local_api,
        "POST",
        "/auth/logout",
        json_body={"refresh_token": second["refresh_token"]},
        token=second["access_token"],
    )
    assert logout.status == 200
    after = call(local_api, "POST", "/auth/refresh", json_body={"refresh_token": second["refresh_token"]})
    assert after.status == 401


def test_an_admin_registers_staff_through_the_public_route_with_a_token(local_api, users):
    admin, member = users.create("admin"), users.create("member")
    body = {"name": "Lena", "email": "lena@example.org", "password": "stacks and shelves", "role": "librarian"}
    assert call(local_api, "POST", "/auth", json_body=body).status == 403
    assert call(local_api, "POST", "/auth", json_body=body, token=users.token(member)).status == 403
    created = call(local_api, "POST", "/auth", json_body=body, token=users.token(admin))
    assert created.status == 201 and created.body["data"]["role"] == "librarian"
    # A bad token on a public route is refused rather than silently ignored.
    assert call(local_api, "POST", "/auth", json_body=body, token="not-a-jwt").status == 401


def test_concurrent_refreshes_of_one_token_cannot_both_succeed(local_api, users):
    member = users.create("member")
    credentials = {"email": member["email"], "password": member["password"]}
    for _ in range(3):
        refresh_token = call(local_api, "POST", "/auth/login", json_body=credentials).body["data"]["refresh_token"]
        body = {"refresh_token": refresh_token}
        with ThreadPoolExecutor(max_workers=4) as pool:
            replies = list(
                pool.map(lambda request: call(local_api, "POST", "/auth/refresh", json_body=request), [body] * 4)
            )
        statuses = sorted(reply.status for reply in replies)
        assert statuses.count(200) <= 1 and set(statuses) <= {200, 401}
        assert statuses.count(401) >= 3


def test_the_lockout_holds_across_workers(local_api, users):
    member = users.create("member")
    wrong = {"email": member["email"], "password": "not the password"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: call(local_api, "POST", "/auth/login", json_body=wrong).status, range(8)))
    # Parallel guesses get at most five password checks; the rest are turned away.
    assert statuses.count(401) == 5 and statuses.count(429) == 3
    right = {"email": member["email"], "password": member["password"]}
    assert call(local_api, "POST", "/auth/login", json_body=right).status == 429


def test_the_local_api_counts_the_connections_address_not_a_forwarded_header(local_api, users):
    member = users.create("member")
    wrong = {"email": member["email"], "password": "not the password"}
    for n in range(5):
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}
        assert call(local_api, "POST", "/auth/login", json_body=wrong, headers=headers).status == 401
    right = {"email": member["email"], "password": member["password"]}
    assert (
        call(local_api, "POST", "/auth/login", json_body=right, headers={"X-Forwarded-For": "192.0.2.1"}).status == 429
    )
