"""A book's Published date edited in the console, in a browser west of UTC and one east of it: a date-only value
must be the same day typed, shown, sent, stored and read back, whatever the browser's time zone (the classic
off-by-one-day of reading "2020-09-15" as midnight UTC and showing it in local time)."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM_ARGS, TIMEOUT_MS, VIEWPORT, Console, _watch, chromium_executable
from tests.http.client import call

pytestmark = pytest.mark.e2e

# Hours behind UTC (a day's start there is still the day before in UTC) and ahead of it (the day after).
ZONES = ["America/Los_Angeles", "Pacific/Auckland"]


@pytest.fixture(params=ZONES)
def console_in_zone(request: pytest.FixtureRequest, browser: Any, local_api: str) -> Iterator[Console]:
    """The console in a Chromium started with TZ set, its context given no time zone of its own."""
    zone = request.param
    launched = browser.browser_type.launch(
        executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS, env={**os.environ, "TZ": zone}
    )
    context = launched.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
    opened = Console(page=page, url=local_api)
    _watch(page, opened.problems)
    yield opened
    launched.close()
    assert not opened.problems, "\n".join(opened.problems)


def test_a_librarian_edits_a_books_published_date_and_it_stays_that_day(console_in_zone, users, local_api):
    console = console_in_zone
    librarian = users.create("librarian", name="Lena Librarian", email="lena@library.test")
    headers = users.headers(librarian)
    created = call(
        local_api,
        "POST",
        "/books",
        headers=headers,
        json_body={"title": "Piranesi", "author": "Susanna Clarke", "published_date": "2020-09-15", "quantity": 1},
    )
    assert created.status == 201, created.body
    book_id = created.body["data"]["id"]

    page = console.page
    console.sign_in(librarian)
    console.open(f"/books/{book_id}")
    published = page.get_by_label("Published")
    expect(published).to_have_value("15/09/2020")
    published.fill("01/03/2021")
    page.get_by_role("button", name="Save").click()
    console.heading("Piranesi").wait_for()
    shown = page.get_by_text("01/03/2021", exact=True)
    shown.wait_for()

    page.reload()
    console.heading("Piranesi").wait_for()
    shown.wait_for()
    assert page.get_by_text("28/02/2021").count() == 0 and page.get_by_text("02/03/2021").count() == 0
    read = call(local_api, "GET", f"/books/{book_id}", headers=headers)
    assert read.body["data"]["published_date"] == "2021-03-01"
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    console.screenshot(f"book-published-edited-{zone.replace('/', '-')}")

    # The form opened again shows the day stored.
    console.open(f"/books/{book_id}")
    expect(page.get_by_label("Published")).to_have_value("01/03/2021")
