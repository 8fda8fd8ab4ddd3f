"""Administration in headless Chromium: an admin creates a permission group and an account, assigns the group,
and the account's screens change at its next sign-in; permissions; the lending policy form (its refusal at the
field, and read-only, saying why, for staff without policies.manage); notices sent and failed. axe-core on
every screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.http.client import call

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough secret"


def sign_out(console) -> None:
    console.page.get_by_role("button", name="account menu").click()
    console.page.get_by_role("menuitem", name="Sign out").click()
    console.page.get_by_role("button", name="Sign in").wait_for()


def menu(console) -> list[str]:
    console.page.get_by_role("menuitem").first.wait_for()
    return [item.inner_text() for item in console.page.get_by_role("menuitem").all()]


def test_an_admin_creates_a_group_and_an_account_whose_screens_change_at_its_next_sign_in(console, users, engine):
    admin = users.create("admin", name="Ada Admin", email="ada@library.test")
    page = console.page
    console.sign_in(admin)

    page.get_by_role("menuitem", name="Permission groups").click()
    # The first screen of the run on cold local workers of a shared machine: allowed longer than one action.
    page.get_by_role("cell", name="librarians", exact=True).wait_for(timeout=60_000)
    console.visit("groups")
    page.get_by_role("link", name="Create").click()
    page.get_by_label("Name").fill("Report readers")
    page.get_by_label("Description").fill("Sees the dashboard")
    page.get_by_label("reports.view: ").check()
    console.visit("group-create")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("cell", name="Report readers").wait_for()

    page.get_by_role("menuitem", name="Permissions").click()
    page.get_by_role("cell", name="policies.manage", exact=True).wait_for()
    console.visit("permissions")

    # A new account, a member at first: no dashboard.
    page.get_by_role("menuitem", name="Members").click()
    page.get_by_role("link", name="Create").click()
    page.get_by_label("Name").fill("Rita Reader")
    page.get_by_label("Email").fill("rita@library.test")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_label("Role").click()
    page.get_by_role("option", name="Member").click()
    console.visit("account-create")
    page.get_by_role("button", name="Save").click()
    console.heading("Rita Reader").wait_for()
    sign_out(console)
    rita = {"email": "rita@library.test", "password": PASSWORD}
    console.sign_in(rita)
    assert "Dashboard" not in menu(console)
    sign_out(console)

    # The admin puts the account in the group.
    console.sign_in(admin)
    page.get_by_role("menuitem", name="Members").click()
    console.search("rita")
    page.get_by_role("link", name="Rita Reader").click()
    page.get_by_role("link", name="Role and groups").click()
    page.get_by_label("Permission groups").click()
    page.get_by_role("option", name="Report readers").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save").click()
    console.heading("Rita Reader").wait_for()
    page.get_by_text("Report readers").wait_for()
    sign_out(console)

    console.sign_in(rita)
    console.page.get_by_role("menuitem", name="Dashboard").click()
    console.heading("Dashboard").wait_for()
    console.page.get_by_role("heading", name="Loans per day").wait_for()


def test_the_lending_policy_form_saves_refuses_at_the_field_and_is_read_only_without_policies_manage(
    console, users, local_api
):
    page = console.page
    console.sign_in(users.create("admin"))
    page.get_by_role("menuitem", name="Lending policy").click()
    loan_period = page.get_by_label("Loan period")
    expect(loan_period).to_have_value("14")
    page.get_by_text("How long a loan, or a renewal, lasts.").wait_for()
    # The money rules' unit is the library's currency (GET /policies names it: USD, the default).
    page.get_by_text("USD per day", exact=True).wait_for()
    console.visit("policy")
    loan_period.fill("21")
    page.get_by_label("Fine per day late").fill("0.5")
    page.get_by_role("button", name="Save policy").click()
    page.get_by_text("The lending policy is saved").wait_for()
    policy = call(local_api, "GET", "/policies").body["data"]
    assert (policy["loan_period_days"], policy["fine_per_day"]) == (21, "0.50")

    loan_period.fill("0")
    page.get_by_role("button", name="Save policy").click()
    expect(loan_period).to_have_attribute("aria-invalid", "true")
    assert call(local_api, "GET", "/policies").body["data"]["loan_period_days"] == 21
    sign_out(console)

    console.sign_in(users.create("librarian", name="Lena Librarian", email="lena@library.test"))
    page.get_by_role("menuitem", name="Lending policy").click()
    expect(page.get_by_label("Loan period")).to_be_disabled()
    page.get_by_text('holding the "policies.manage" permission').wait_for()
    assert page.get_by_role("button", name="Save policy").count() == 0
    # The console hides the group screens from a librarian, and says why at their address.
    assert "Permission groups" not in menu(console)
    console.open("/groups")
    page.get_by_role("alert").filter(has_text='holding the "groups.manage" permission').wait_for()
    console.visit("policy-read-only")


def test_staff_see_the_notices_sent_and_failed(console, users, local_api, engine):
    from tests.test_circulation_support import add_book

    member = users.create("member", name="Mary Member", email="mary@library.test")
    for title in ("Dune", "Emma"):
        call(local_api, "POST", "/loans", json_body={"book_id": add_book(title=title)}, token=users.token(member))
    with engine.begin() as connection:
        connection.execute(text("UPDATE notifications SET status = 'sent', sent_on = now(), attempts = 1"))
        connection.execute(
            text("UPDATE notifications SET status = 'failed', attempts = 5, sent_on = NULL WHERE subject LIKE '%Emma%'")
        )
    page = console.page
    console.sign_in(users.create("librarian"))
    page.get_by_role("menuitem", name="Notices").click()
    page.get_by_role("cell", name="mary@library.test").first.wait_for()
    expect(page.get_by_role("row")).to_have_count(3)
    page.get_by_label("Delivery").click()
    page.get_by_role("option", name="Failed").click()
    expect(page.get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("row").nth(1)).to_contain_text("Emma")
    console.visit("notices")
