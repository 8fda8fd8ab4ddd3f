"""The circulation desk's refusals in plain words (no copy free, with a hold offered; borrowing blocked, and
why; renewals), and an administrator's member screens: the list, activation, role and groups."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.test_books_support import add_book, lend

pytestmark = pytest.mark.e2e


def choose(page, label, typed, option):
    page.get_by_label(label, exact=True).fill(typed)
    page.get_by_role("option", name=option).click()


def test_the_desk_explains_refusals_and_offers_a_hold(console, users, engine):
    librarian = users.create("librarian", name="Lena Librarian", email="lena@library.test")
    mary = users.create("member", name="Mary Member", email="mary@library.test")
    other = users.create("member", name="Otto Other", email="otto@library.test")
    only_copy = add_book(title="The Name of the Rose", author="Umberto Eco", quantity=1)
    overdue_book = add_book(title="Middlemarch", author="George Eliot", quantity=2)
    lend(engine, only_copy, other["id"])
    console.sign_in(librarian)
    page = console.page

    # No copy free: said in words, and a hold placed from the same message.
    console.open(f"/circulation?member={mary['id']}")
    page.get_by_label("Member", exact=True).and_(page.locator("[value='Mary Member']")).wait_for()
    choose(page, "Title or ISBN", "name of the rose", "The Name of the Rose")
    page.get_by_role("button", name="Check out", exact=True).click()
    refusal = page.get_by_role("alert").filter(has_text="No copy of this title is free right now")
    refusal.wait_for()
    console.visit("circulation-refused")
    refusal.get_by_role("button", name="Place a hold").click()
    page.get_by_text("Hold placed: Mary Member is number 1 in the queue for “The Name of the Rose”.").wait_for()

    # An overdue loan blocks borrowing: the API's reason is shown.
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, current_date - 5)"),
            {"u": mary["id"], "b": overdue_book},
        )
        connection.execute(text("UPDATE books SET copies_on_loan = 1 WHERE id = :b"), {"b": overdue_book})
    page.reload()
    page.get_by_label("Member", exact=True).and_(page.locator("[value='Mary Member']")).wait_for()
    choose(page, "Title or ISBN", "middlemarch", "Middlemarch")
    page.get_by_role("button", name="Check out", exact=True).click()
    page.get_by_role("alert").filter(has_text="Borrowing is blocked").wait_for()

    # The member's open loan is listed at the desk; its renewal is refused while it is overdue, in words.
    desk = page.get_by_role("region", name="Mary Member: on loan and fines")
    desk.get_by_text("Overdue by 5 days").wait_for()
    desk.get_by_role("button", name="Renew Middlemarch").click()
    page.get_by_text("Renewing is blocked").wait_for()


def test_an_administrator_finds_activates_and_promotes_a_member(console, users):
    admin = users.create("admin", name="Ada Admin", email="ada@library.test")
    users.create("member", name="Nora New", email="nora@library.test", active=False)
    users.create("member", name="Mary Member", email="mary@library.test")
    console.sign_in(admin)
    page = console.page

    page.get_by_role("menuitem", name="Members").click()
    page.get_by_role("link", name="Mary Member").wait_for()
    console.visit("members")
    page.get_by_role("combobox", name="Account").click()
    page.get_by_role("option", name="Not active").click()
    expect(page.get_by_role("link", name="Mary Member")).to_have_count(0)
    page.get_by_role("link", name="Nora New").wait_for()
    page.get_by_role("link", name="Nora New").click()
    page.get_by_text("Not active: cannot sign in or borrow").wait_for()
    page.get_by_role("button", name="Activate account").click()
    page.get_by_text("Nora New can now sign in and borrow.").wait_for()
    page.get_by_text("Active account", exact=True).wait_for()

    page.get_by_role("link", name="Role and groups").click()
    page.get_by_role("combobox", name="Role").click()
    page.get_by_role("option", name="Librarian").click()
    page.get_by_label("Permission groups").wait_for()
    console.visit("member-edit")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Nora New", level=1).wait_for()
    page.get_by_text("librarian", exact=True).wait_for()
