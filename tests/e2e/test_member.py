"""A member's own console in headless Chromium: register, be activated by staff, borrow, renew, see the loan
(overdue in red), hold a title with no copy free, see the place in the queue and cancel the hold, ask the
librarian when the book is due and get their own loan, review a book they borrowed, remove a review. A member
never sees another member's data, direct addresses included. axe-core and a screenshot on every screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.http.client import call
from tests.test_circulation_support import make_overdue

pytestmark = pytest.mark.e2e

PASSWORD = "reading every evening"


def sign_out(console) -> None:
    console.page.get_by_role("button", name="account menu").click()
    console.page.get_by_role("menuitem", name="Sign out").click()
    console.page.get_by_role("button", name="Sign in").wait_for()


def book_id(engine, title: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT id FROM books WHERE title = :t ORDER BY id LIMIT 1"), {"t": title}
        ).scalar()


def open_book(console, title: str) -> None:
    console.page.get_by_role("menuitem", name="Catalogue").click()
    console.search(title)
    console.page.get_by_role("link", name=title, exact=True).first.click()
    console.heading(title).wait_for()


def test_a_member_registers_is_activated_borrows_holds_asks_and_reviews(console, users, catalogue, engine, local_api):
    page = console.page
    # Emma has one copy, out with another member who is also ahead in no queue: Nora will be number 2 after Otto.
    emma = book_id(engine, "Emma")
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET quantity = 1 WHERE id = :id"), {"id": emma})
    holder, waiting = users.create("member", name="Harry Holder"), users.create("member", name="Otto Early")
    call(local_api, "POST", "/loans", json_body={"book_id": emma}, token=users.token(holder))
    call(local_api, "POST", "/holds", json_body={"book_id": emma}, token=users.token(waiting))

    console.open("/login")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Name").fill("Nora Reader")
    page.get_by_label("Email").fill("nora@library.test")
    page.get_by_label("Password").fill(PASSWORD)
    console.visit("register")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_text("A librarian will activate it").wait_for()
    nora = {"email": "nora@library.test", "password": PASSWORD}

    # Staff activate the account at the member's page.
    console.sign_in(users.create("admin"))
    page.get_by_role("menuitem", name="Members").click()
    console.search("nora")
    page.get_by_role("link", name="Nora Reader").click()
    page.get_by_role("button", name="Activate account").click()
    page.get_by_text("Nora Reader can now sign in and borrow.").wait_for()
    sign_out(console)

    console.sign_in(nora)
    open_book(console, "The Hobbit")
    page.get_by_role("button", name="Borrow this book").click()
    page.get_by_role("status").filter(has_text="Borrowed: “The Hobbit” is due back").wait_for()
    page.get_by_text("You have this book out now").wait_for()
    console.visit("member-book")
    open_book(console, "Persuasion")
    page.get_by_role("button", name="Borrow this book").click()
    page.get_by_role("status").filter(has_text="Borrowed: “Persuasion”").wait_for()

    # A title with no copy free: a hold, and the place in the queue.
    open_book(console, "Emma")
    page.get_by_text("No copy free").wait_for()
    page.get_by_role("button", name="Place a hold").click()
    page.get_by_role("status").filter(has_text="You are number 2 in the queue for “Emma”.").wait_for()
    page.get_by_text("You are number 2 in the queue.").wait_for()

    # A renewal from My loans, while nothing blocks her.
    page.get_by_role("menuitem", name="My loans").click()
    page.get_by_role("button", name="Renew The Hobbit").click()
    renewed = datetime.now(UTC).date() + timedelta(days=28)
    page.get_by_text(f"Renewed: “The Hobbit” is now due {renewed.strftime('%d/%m/%Y')}.").wait_for()

    # My loans: the due dates, an overdue loan in red.
    with engine.connect() as connection:
        persuasion_loan = connection.execute(
            text("SELECT l.id FROM loans l JOIN books b ON b.id = l.book_id WHERE b.title = 'Persuasion'")
        ).scalar()
    make_overdue(engine, persuasion_loan, 4)
    page.get_by_role("button", name="Refresh").click()
    hobbit_due = renewed.strftime("%d/%m/%Y")
    page.get_by_role("row").filter(has_text="The Hobbit").filter(has_text=hobbit_due).wait_for()
    late = page.get_by_text("overdue by 4 days")
    expect(late).to_have_css("color", "rgb(179, 38, 30)")
    console.visit("my-loans")

    page.get_by_role("menuitem", name="My holds").click()
    page.get_by_role("row").filter(has_text="Emma").filter(has_text="Number 2 in the queue").wait_for()
    console.visit("my-holds")
    page.get_by_role("button", name="Cancel hold on Emma").click()
    page.get_by_text("Your hold on “Emma” is cancelled.").wait_for()
    page.get_by_role("row").filter(has_text="Emma").filter(has_text="cancelled").wait_for()

    # The librarian chat answers with her own loan, and links the book.
    page.get_by_role("menuitem", name="Ask the librarian").click()
    page.get_by_label("Your question").fill("when is my book due?")
    page.get_by_role("button", name="Ask", exact=True).click()
    answers = page.get_by_role("region", name="Answers")
    answers.get_by_text("You have 2 books on loan.").wait_for()
    expect(answers).to_contain_text(f"“The Hobbit” is due on {renewed}")
    answers.get_by_role("link", name="The Hobbit").wait_for()
    console.visit("chat")
    answers.get_by_role("link", name="The Hobbit").click()
    console.heading("The Hobbit").wait_for()

    # A review of a book she borrowed.
    page.get_by_role("menuitem", name="My history").click()
    page.get_by_role("button", name="Write a review of The Hobbit").click()
    # The stars are drawn over visually hidden radio buttons (MUI Rating): the star is what a reader clicks.
    five = page.get_by_role("radio", name="5 Stars")
    page.locator(f"label[for='{five.get_attribute('id')}']").click()
    expect(five).to_be_checked()
    page.get_by_label("Comment").fill("A perfect adventure.")
    page.get_by_role("button", name="Publish review").click()
    page.get_by_text("Thank you: your review of “The Hobbit” is published.").wait_for()
    console.visit("my-history")
    page.get_by_role("menuitem", name="My reviews").click()
    page.get_by_role("row").filter(has_text="The Hobbit").filter(has_text="A perfect adventure.").wait_for()
    # Persuasion, borrowed and not reviewed yet, is offered for a review; Emma, only held, is not.
    to_review = page.get_by_role("region", name="Books you borrowed, not reviewed yet")
    to_review.get_by_role("button", name="Write a review of Persuasion").click()
    four = page.get_by_role("radio", name="4 Stars")
    page.locator(f"label[for='{four.get_attribute('id')}']").click()
    page.get_by_role("button", name="Publish review").click()
    page.get_by_text("Thank you: your review of “Persuasion” is published.").wait_for()
    page.get_by_role("row").filter(has_text="Persuasion").get_by_label("Rated 4 out of 5").wait_for()
    to_review.get_by_text("Nothing left to review").wait_for()
    assert to_review.get_by_text("Emma").count() == 0
    console.visit("my-reviews")
    page.get_by_role("button", name="Remove your review of The Hobbit").click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    page.get_by_text("Your review of “The Hobbit” is removed.").wait_for()
    to_review.get_by_role("button", name="Write a review of The Hobbit").wait_for()
    expect(page.get_by_role("row").filter(has_text="A perfect adventure.")).to_have_count(0)
    token = call(local_api, "POST", "/auth/login", json_body=nora).body["data"]["access_token"]
    mine = call(local_api, "GET", "/reviews", token=token).body["data"]
    assert [(item["book_title"], item["rating"]) for item in mine["items"]] == [("Persuasion", 4)]
    for screen, empty in (("My fines", "You have no fines."), ("My notices", "Your library account is active")):
        page.get_by_role("menuitem", name=screen).click()
        page.get_by_text(empty).first.wait_for()
        console.visit(screen.lower().replace(" ", "-"))


def test_a_member_never_sees_another_members_data(console, users, catalogue, engine, local_api):
    alice = users.create("member", name="Alice Other", email="alice@library.test")
    bob = users.create("member", name="Bob Reader", email="bob@library.test")
    loan = call(
        local_api, "POST", "/loans", json_body={"book_id": book_id(engine, "Dune")}, token=users.token(alice)
    ).body["data"]
    page = console.page
    console.sign_in(bob)
    page.get_by_role("menuitem", name="My loans").click()
    page.get_by_text("You have nothing on loan.").wait_for()
    page.get_by_role("menuitem", name="My notices").click()
    page.get_by_text("The library has not written to you yet.").wait_for()
    for address, permission in (
        (f"/users/{alice['id']}/show", "users.view"),
        (f"/users/{alice['id']}", "users."),
        ("/loans", "loans.view_all"),
        ("/holds", "loans.view_all"),
        ("/fines", "fines.manage"),
        ("/notifications", "users.view"),
        ("/", None),
    ):
        console.open(address)
        if permission:
            page.get_by_role("alert").filter(has_text=f'holding the "{permission}').wait_for()
        assert page.get_by_text("Alice Other").count() == 0, address
    open_book_page = f"/books/{loan['book_id']}/show"
    console.open(open_book_page)
    console.heading("Dune").wait_for()
    assert page.get_by_text("Alice Other").count() == 0
    # The API refuses another member's rows as well.
    token = users.token(bob)
    for path in (
        f"/loans?user_id={alice['id']}",
        f"/holds?user_id={alice['id']}",
        f"/notifications?user_id={alice['id']}",
        f"/reviews?user_id={alice['id']}",
    ):
        assert call(local_api, "GET", path, token=token).status == 403, path
    assert call(local_api, "GET", f"/loans/{loan['id']}", token=token).status in (403, 404)
    assert call(local_api, "GET", "/loans", token=token).body["data"]["total"] == 0
