"""The session in a real browser: the refresh token as an HttpOnly, Secure, SameSite=Strict cookie that Chromium
keeps over http://127.0.0.1 (a secure context) and sends only to /auth/refresh and /auth/logout; a reload keeps
the session; an expired access token is renewed without losing the form; a session that ended mid-form asks for
the password and then saves; signing out ends it for good; sign-in, change password and the password-change
redirect work with the keyboard."""

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

pytestmark = pytest.mark.e2e

EXPIRED = {"status": 401, "message": "Missing, invalid or expired token", "data": None, "code": "UNAUTHORIZED"}


@pytest.fixture
def librarian(users):
    return users.create("librarian", name="Lena Librarian", email="lena@library.test")


def refresh_cookies(console):
    return [cookie for cookie in console.page.context.cookies() if cookie["name"] == "library_refresh"]


def answer_once(page, pattern, status, body, method="POST"):
    """The next `method` request to `pattern` gets this answer instead of reaching the API."""
    state = {"done": False}

    def handler(route):
        if route.request.method == method and not state["done"]:
            state["done"] = True
            route.fulfill(status=status, content_type="application/json", body=json.dumps(body))
        else:
            route.fallback()

    page.route(pattern, handler)
    return state


def test_sign_in_with_the_keyboard_keeps_the_refresh_token_from_scripts_and_survives_a_reload(console, librarian):
    page = console.page
    console.open("/login")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(librarian["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(librarian["password"])
    page.keyboard.press("Enter")
    page.get_by_role("button", name="account menu").wait_for()

    cookies = refresh_cookies(console)
    assert sorted(cookie["path"] for cookie in cookies) == ["/auth/logout", "/auth/refresh"]
    assert all(cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict" for cookie in cookies)
    assert "library_refresh" not in page.evaluate("document.cookie")
    # Nothing of the tokens is stored where scripts could read it later (react-admin keeps only UI preferences).
    stored = page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")
    assert "token" not in stored.lower() and "ey" not in stored

    # The menu with the keyboard: Tab to an entry, Enter opens it.
    page.get_by_role("menuitem", name="Members").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Search").wait_for()

    page.reload()
    page.get_by_role("button", name="account menu").wait_for()
    assert page.url.endswith("#/users")


def start_a_book(console, librarian, title, author):
    """Signed in, half-way through the new-book form."""
    console.sign_in(librarian)
    console.open("/books/create")
    console.page.get_by_label("Title").fill(title)
    console.page.get_by_label("Author").fill(author)
    return console.page


def test_an_expired_access_token_is_renewed_and_the_form_saved(console, librarian, clean_db):
    page = start_a_book(console, librarian, "The Quiet Stacks", "Ada Reader")
    # The gateway refuses the token once, as it does when 15 minutes have passed.
    refused = answer_once(page, "**/books", 401, EXPIRED)
    with page.expect_request("**/auth/refresh"):
        page.get_by_role("button", name="Save").click()
    console.heading("The Quiet Stacks").wait_for()
    assert refused["done"]


def test_a_session_that_ended_mid_form_asks_for_the_password_then_saves(console, librarian, engine):
    page = start_a_book(console, librarian, "Index of Lost Things", "B. Archivist")
    with engine.begin() as connection:  # e.g. the refresh token expired, or the account was signed out elsewhere
        connection.execute(text("UPDATE refresh_tokens SET revoked_at = now()"))
    answer_once(page, "**/books", 401, EXPIRED)
    page.get_by_role("button", name="Save").click()
    dialog = page.get_by_role("dialog", name="Your session has ended")
    dialog.wait_for()
    console.visit("session-ended")
    dialog.get_by_label("Password").fill(librarian["password"])
    dialog.get_by_role("button", name="Sign in").click()
    console.heading("Index of Lost Things").wait_for()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM books WHERE title = 'Index of Lost Things'")).scalar() == 1


def test_signing_out_revokes_the_session_so_a_reload_asks_to_sign_in(console, librarian, engine):
    console.sign_in(librarian)
    page = console.page
    page.get_by_role("button", name="account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    page.reload()
    page.get_by_role("button", name="Sign in").wait_for()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL")).scalar() == 0


def test_change_password_then_sign_in_with_the_new_one(console, librarian):
    console.sign_in(librarian)
    page = console.page
    page.get_by_role("button", name="account menu").click()
    page.get_by_role("menuitem", name="Change password").click()
    page.get_by_label("Current password").fill(librarian["password"])
    page.locator('input[name="password"]').fill("a brand new passphrase")
    page.get_by_label("New password again").fill("a brand new passphrase")
    console.visit("change-password")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("button", name="Sign in").wait_for()
    console.sign_in({**librarian, "password": "a brand new passphrase"})


def test_the_api_asking_for_a_new_password_opens_the_change_password_screen(console, librarian):
    console.sign_in(librarian)
    page = console.page
    required = {
        "status": 403,
        "message": "Choose a new password first",
        "data": None,
        "code": "PASSWORD_CHANGE_REQUIRED",
    }
    answer_once(page, re.compile(r".*/users\?.*"), 403, required, method="GET")
    console.open("/users")
    page.get_by_role("heading", name="Change your password").wait_for()
    expect(page.get_by_label("Current password")).to_be_visible()
