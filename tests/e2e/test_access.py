"""What a member's account sees of the console: the catalogue, never the staff screens; the API refuses them
too, and the console says why (which permission, who is signed in)."""

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
    page.get_by_label("Search").fill("hobit")
    page.get_by_role("link", name="The Hobbit").click()
    console.heading("The Hobbit").wait_for()
    page.get_by_text("No reviews yet.").wait_for()
    assert page.get_by_role("heading", name="Loan history").count() == 0
    assert page.get_by_role("button", name="Check out").count() == 0
