"""The dashboard (reports.view) in headless Chromium: the tiles open the lists behind them, each chart draws the
library's figures, the overdue list sorts, a period longer than the report allows is refused in words, the
default period is the library's days whatever the browser's, and an empty library shows its empty state.
axe-core on both."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from devtools.local_api import Server
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT, Console, _watch
from tests.http.client import call
from tests.test_circulation_support import make_overdue

pytestmark = pytest.mark.e2e

READERS = ["Ada Brook", "Ben Carter", "Chloe Dunn", "Dev Patel", "Ella Fox", "Finn Gray", "Gita Hale", "Hugo Ives"]
# Returned loans of the last 30 days: (days ago, how many), on the first titles of the catalogue in turn.
RETURNED_LOAN = text(
    "INSERT INTO loans (user_id, book_id, borrowed_on, due_date, returned_on) VALUES (:user, :book, "
    "now() - make_interval(days => :ago), current_date - CAST(:ago AS integer) + 14, "
    "now() - make_interval(days => :ago - 5))"
)
HISTORY = [(29, 2), (25, 4), (21, 3), (17, 6), (14, 5), (10, 8), (7, 4), (4, 7), (2, 5), (1, 3)]


def _busy_library(api, users, engine) -> dict:
    """Loans over the last month, two of them overdue (3 and 40 days), three members queued for one title."""
    readers = [users.create("member", name=name, email=f"{name.split()[0].lower()}@library.test") for name in READERS]
    with engine.connect() as connection:
        books = connection.execute(text("SELECT id, title FROM books ORDER BY id LIMIT 6")).all()
    with engine.begin() as connection:
        for days_ago, count in HISTORY:
            for n in range(count):
                connection.execute(
                    RETURNED_LOAN,
                    {"user": readers[n % len(readers)]["id"], "book": books[min(n, 3)].id, "ago": days_ago},
                )
    lent = [
        call(api, "POST", "/loans", json_body={"book_id": books[4].id}, token=users.token(readers[0])).body["data"],
        call(api, "POST", "/loans", json_body={"book_id": books[5].id}, token=users.token(readers[1])).body["data"],
    ]
    make_overdue(engine, lent[0]["id"], 3)
    make_overdue(engine, lent[1]["id"], 40)
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET quantity = 1 WHERE id = :id"), {"id": books[5].id})
    for reader in readers[2:5]:
        call(api, "POST", "/holds", json_body={"book_id": books[5].id}, token=users.token(reader))
    return {"books": books, "readers": readers}


def tile(page, label: str):
    tiles = page.get_by_role("navigation", name="The library at a glance")
    return tiles.get_by_role("link", name=re.compile(f"^{label}"))


def figures(page, chart: str) -> list[list[str]]:
    table = page.get_by_role("table", name=f"{chart}: the figures")
    return [[cell.text_content() for cell in row.locator("th, td").all()] for row in table.locator("tbody tr").all()]


def test_the_dashboard_charts_the_library_and_its_tiles_open_the_lists(console, users, catalogue, local_api, engine):
    librarian = users.create("librarian", name="Lena Librarian", email="lena@library.test")
    library = _busy_library(local_api, users, engine)
    page = console.page
    console.sign_in(librarian)
    console.heading("Dashboard").wait_for()

    tile(page, "Titles").filter(has_text=str(catalogue)).wait_for()
    # Nothing is charged yet (no return, no daily job): the fines list is empty, and the fees run up show apart.
    charged = tile(page, "Unpaid fines")
    expect(charged).to_have_accessible_name("Unpaid fines USD 0.00 charged so far, as the fines list shows")
    accruing = page.get_by_role("navigation", name="The library at a glance").get_by_role("button")
    expect(accruing).to_have_accessible_name("Late fees accruing USD 10.75 on overdue loans, not charged yet")
    tile(page, "Holds waiting").filter(has_text="3").wait_for()
    page.get_by_role("table", name="Hold queues: the figures").wait_for(state="attached")
    for chart in ("Loans per day", "Most borrowed", "Overdue by days late", "Hold queues"):
        expect(page.get_by_test_id(f"chart-{chart}").locator("svg.recharts-surface").first).to_be_visible()
    expect(page.get_by_test_id("chart-Loans per day").locator(".recharts-line-curve")).to_have_count(1)
    # The 40-days-late loan began 54 days ago, before the period.
    assert sum(int(loans) for _, loans in figures(page, "Loans per day")) == sum(count for _, count in HISTORY) + 1
    most, loans = Counter(min(n, 3) for _, count in HISTORY for n in range(count)).most_common(1)[0]
    assert figures(page, "Most borrowed")[0] == [library["books"][most].title, str(loans)]
    assert ["1-7 days", "1"] in figures(page, "Overdue by days late")
    assert ["31-60 days", "1"] in figures(page, "Overdue by days late")
    assert figures(page, "Hold queues") == [[library["books"][5].title, "3"]]
    expect(page.get_by_test_id("chart-Hold queues").locator(".recharts-bar-rectangle")).to_have_count(1)

    # The overdue list: longest overdue first, then by any column.
    overdue = page.get_by_role("table", name="Overdue loans")
    rows = overdue.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Ben Carter")
    expect(rows.nth(1)).to_contain_text("ben@library.test")
    overdue.get_by_role("button", name="Member").click()
    # Sorted by the API (every overdue loan, not the page shown).
    with page.expect_response(lambda answer: "/reports/overdue?ordering=member_name&" in answer.url):
        overdue.get_by_role("button", name="Member").click()
    expect(rows.nth(1)).to_contain_text("Ada Brook")
    page.mouse.move(0, 0)
    console.visit("dashboard")

    # The period is written and typed day first, as the console writes every day (en-GB here).
    month_ago = (datetime.now(UTC).date() - timedelta(days=29)).strftime("%d/%m/%Y")
    expect(page.get_by_label("From")).to_have_value(month_ago)
    page.get_by_text(f"Same period: {month_ago} to").wait_for()
    page.get_by_label("From").fill("31/02/2026")
    page.get_by_label("From").blur()
    page.get_by_text("Not a day: write it as dd/mm/yyyy").wait_for()
    # A period longer than the report serves is refused in words.
    page.get_by_label("From").fill("01/01/2020")
    page.get_by_text("the range is at most 366 days").wait_for()
    page.get_by_text("Same period: 01/01/2020 to").wait_for()

    tile(page, "Overdue").filter(has_text="2").click()
    page.get_by_role("row").filter(has_text="Overdue by 40 days").wait_for()
    expect(page.get_by_role("row")).to_have_count(3)
    console.visit("loans-overdue")


@pytest.fixture
def library_on_another_day(database_url: str, data_dir, engine) -> Iterator[tuple[str, str]]:
    """The local API of a library whose calendar day is not the UTC day right now (UTC+14 is already tomorrow from
    10:00 UTC, UTC-12 still yesterday until 12:00 UTC): its URL and its zone."""
    with engine.connect() as connection:
        zone = (
            "Etc/GMT-14"
            if connection.scalar(text("SELECT extract(hour FROM now() AT TIME ZONE 'UTC')")) >= 12
            else "Etc/GMT+12"
        )
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LIBRARY_DATA_DIR": str(data_dir),
        "LIBRARY_TIME_ZONE": zone,
        "LOCAL_API_QUIET": "1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    server = Server(environment, port=0, concurrency=2).start()
    yield server.url, zone
    server.stop()


def test_the_default_period_is_the_librarys_days_not_the_browsers(browser, library_on_another_day, users, engine):
    """A browser on UTC time, a library whose today is another day: the charts' period ends on the library's today
    (the API's default), not on the browser's."""
    url, zone = library_on_another_day
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    console = Console(page=context.new_page(), url=url)
    _watch(console.page, console.problems)
    with engine.connect() as connection:
        today, utc_today = connection.execute(
            text("SELECT (now() AT TIME ZONE :zone)::date, (now() AT TIME ZONE 'UTC')::date"), {"zone": zone}
        ).one()
    assert today != utc_today
    console.sign_in(users.create("librarian"))
    console.heading("Dashboard").wait_for()
    first = (today - timedelta(days=29)).strftime("%d/%m/%Y")
    expect(console.page.get_by_role("textbox", name="From")).to_have_value(first)
    expect(console.page.get_by_role("textbox", name="To")).to_have_value(today.strftime("%d/%m/%Y"))
    console.page.get_by_text(f"Same period: {first} to {today.strftime('%d/%m/%Y')}").wait_for()
    context.close()
    assert not console.problems, "\n".join(console.problems)


def test_an_empty_library_has_an_empty_dashboard_that_says_so(console, users):
    console.sign_in(users.create("librarian"))
    page = console.page
    page.get_by_text("The library has no books yet").wait_for()
    page.get_by_text("No loans began in this period.").wait_for()
    page.get_by_text("Nothing was borrowed in this period.").wait_for()
    expect(page.get_by_text("No loan is overdue.")).to_have_count(2)  # the chart and the list
    page.get_by_text("Nobody is waiting for a title.").wait_for()
    assert page.locator("svg.recharts-surface").count() == 0
    console.visit("dashboard-empty")


def test_the_dashboard_is_for_reports_view_only(console, users):
    console.sign_in(users.create("member", name="Mary Member", email="mary@library.test"))
    console.open("/")
    console.heading("Welcome, Mary Member").wait_for()
    console.page.get_by_role("link", name="Catalogue").first.wait_for()
    assert console.page.get_by_role("menuitem", name="Dashboard").count() == 0
    assert console.page.get_by_role("heading", name="Loans per day").count() == 0
    console.visit("welcome")
