"""What a member's account sees of the console: the catalogue, never the staff screens; the API refuses them
too, and the console says why (which permission, who is signed in)."""

import json
import re

import pytest

from tests.http.client import call

pytestmark = pytest.mark.e2e


def test_a_member_sees_no_staff_screen_and_is_told_why(console, users, catalogue, local_api):
    member = users.create("member", name="Mary Member", email="mary@library.test")
    console.sign_in(member)
    page = console.page
    menu = [item.inner_text() for item in page.get_by_role("menuitem").all()]
    # The member's own pages, the chat, and the lending policy (public, read-only for them).
    assert menu == [
        "Catalogue",
        "My loans",
        "My holds",
        "My fines",
        "My notices",
        "My history",
        "My reviews",
        "Ask the librarian",
        "Lending policy",
    ]

    console.open("/users")
    reason = page.get_by_role("alert").filter(has_text="Not available to your account")
    reason.filter(has_text='Members is for library staff holding the "users.view" permission').wait_for()
    reason.filter(has_text="Mary Member (mary@library.test) is signed in as a member").wait_for()
    console.visit("access-denied")
    console.open("/circulation")
    page.get_by_role("alert").filter(has_text='holding the "loans.manage" permission').wait_for()
    console.open("/import")
    page.get_by_role("alert").filter(has_text='holding the "books.import" permission').wait_for()
    console.open("/books/create")
    page.get_by_role("alert").filter(has_text='holding the "books.create" permission').wait_for()

    # The console hides these screens because the API refuses them to this account.
    login = call(local_api, "POST", "/auth/login", json_body={"email": member["email"], "password": member["password"]})
    token = login.body["data"]["access_token"]
    refusals = {
        "users.view": call(local_api, "GET", "/users", token=token),
        "books.create": call(local_api, "POST", "/books", token=token, json_body={"title": "Dune", "author": "F. H."}),
        "books.import": call(
            local_api,
            "POST",
            "/books/import",
            token=token,
            data=b"title,author\n",
            headers={"Content-Type": "text/csv"},
        ),
    }
    for permission, refused in refusals.items():
        assert refused.status == 403 and permission in refused.body["message"], (permission, refused.body)

    # The catalogue is theirs to browse, without the staff lists on a book's page.
    console.open("/books")
    console.search("hobit")
    page.get_by_role("link", name="The Hobbit").click()
    console.heading("The Hobbit").wait_for()
    page.get_by_text("No reviews yet.").wait_for()
    assert page.get_by_role("heading", name="Loan history").count() == 0
    assert page.get_by_role("button", name="Check out").count() == 0


def test_the_apis_403_on_a_screen_shown_is_explained_and_the_session_kept(console, users):
    """Should the API refuse a screen the console shows (its rules and the API's disagree, e.g. a permission
    withdrawn in a way the console cannot know), the refusal is said in words and the account stays signed in.
    Any change to an account's permissions through the API ends its sessions, so the refusal is the API's answer
    replayed for one request."""
    users.create("admin", name="Ada Admin", email="ada@library.test")
    console.sign_in(users.create("librarian", name="Lena Librarian", email="lena@library.test"))
    page = console.page
    refusal = {"status": 403, "code": "FORBIDDEN", "message": "This needs the 'users.view' permission", "data": None}
    answered = {"done": False}

    def refuse_once(route):
        if route.request.method == "GET" and not answered["done"]:
            answered["done"] = True
            route.fulfill(status=403, content_type="application/json", body=json.dumps(refusal))
        else:
            route.fallback()

    page.route(re.compile(r".*/users\?.*"), refuse_once)
    page.get_by_role("menuitem", name="Members").click()
    page.get_by_text("Not allowed: This needs the 'users.view' permission.").first.wait_for()
    assert answered["done"]
    page.get_by_role("button", name="account menu").wait_for()
    page.get_by_role("button", name="Refresh").click()
    page.get_by_role("link", name="Ada Admin").wait_for()


def test_a_list_the_api_refuses_says_so_instead_of_showing_an_empty_list(console, users, local_api):
    """A member whose console believes the account holds `users.view` (its copy of the account's permissions out of
    date) opens the Members list: the API's real 403 is shown in place of the rows, with the API's reason, and not
    as react-admin's "No Members found", as if the library had no members."""
    users.create("librarian", name="Lena Librarian", email="lena@library.test")
    member = users.create("member", name="Mary Member", email="mary@library.test")
    page = console.page

    def stale_permissions(route):
        answer = route.fetch()
        body = answer.json()
        body["data"]["user"]["permissions"].append("users.view")
        route.fulfill(response=answer, body=json.dumps(body))

    page.route(re.compile(r".*/auth/login$"), stale_permissions)
    console.sign_in(member)
    page.get_by_role("menuitem", name="Members").click()
    refused = page.get_by_role("alert").filter(has_text="You don't have permission to see this")
    refused.filter(has_text="users.view").wait_for()
    refused.filter(has_text="Ask an administrator if you need access.").wait_for()
    assert page.get_by_text("No Members found").count() == 0
    assert page.get_by_text(re.compile(r"^\d+-\d+ of \d+$")).count() == 0
    assert page.get_by_role("link", name="Lena Librarian").count() == 0
    page.get_by_role("button", name="account menu").wait_for()
    console.screenshot("list-refused")
