"""The web console in a real headless Chromium (Debian's `chromium`, driven by Playwright through its executable
path) against the local API and the test database.

`console` is the fixture a test uses: a fresh browser context on the console, which fails the test on any CSP
violation or script error, and offers signing in, axe-core checks and screenshots (console/screenshots/). Without
Chromium, the Playwright package or a built console these tests skip saying why, unless CONSOLE_E2E=required (CI),
where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

CONSOLE_DIR = ROOT / "console"
SCREENSHOTS = CONSOLE_DIR / "screenshots"
AXE_SOURCE = CONSOLE_DIR / "node_modules" / "axe-core" / "axe.min.js"
BUILT_INDEX = ROOT / "functions" / "console" / "library_console" / "static" / "index.html"
# As root and without a network beyond this machine: no sandbox, and none of Chromium's background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1440, "height": 960}
# How long a screen may take to answer (the local API on a shared two-core machine, cold workers).
TIMEOUT_MS = 20_000


def _missing(reason: str) -> None:
    if os.environ.get("CONSOLE_E2E") == "required":
        pytest.fail(f"CONSOLE_E2E=required, but {reason}")
    pytest.skip(reason)


def chromium_executable() -> str:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_executable()
    if not Path(executable).exists():
        _missing("no Chromium (apt-get install chromium)")
    if not BUILT_INDEX.exists() or not AXE_SOURCE.exists():
        _missing("the console is not built (make console, which needs Node.js 20 and npm)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """One browser context on the console: the page, and what a test does with it."""

    page: Any
    url: str
    problems: list[str] = field(default_factory=list)

    def open(self, route: str = "/") -> None:
        self.page.goto(f"{self.url}/#{route}")

    def sign_in(self, user: dict[str, Any]) -> None:
        self.open("/login")
        expect(self.page.get_by_label("Email")).to_be_focused()
        self.page.get_by_label("Email").fill(user["email"])
        self.page.get_by_label("Password").fill(user["password"])
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("button", name="account menu").wait_for()

    def search(self, words: str) -> None:
        """Types into a list's Search box and waits until the list has taken the words into its URL: the list
        applies them after a pause in typing, and a click on a row before then would be followed by that
        navigation back to the list (under load, a test clicked through and was taken back)."""
        self.page.get_by_label("Search").fill(words)
        self.page.wait_for_function(
            "words => decodeURIComponent(location.hash).includes(JSON.stringify(words))", arg=words
        )

    def heading(self, name: str) -> Any:
        return self.page.get_by_role("heading", name=name, level=1)

    def check_accessibility(self, screen: str) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        self.page.wait_for_load_state("networkidle")
        # MUI's colour transitions last up to 300 ms: contrast is measured once they have ended.
        self.page.wait_for_timeout(400)
        # Evaluated through the DevTools protocol, which the page's CSP does not govern; no bypass is needed.
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE.read_text())
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
        )
        assert not violations, f"axe-core on {screen}: " + "; ".join(
            f"{v['impact']} {v['id']} ({v['help']}) at {v['nodes']}" for v in violations
        )

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.wait_for_load_state("networkidle")
        self.page.evaluate("window.scrollTo(0, 0)")
        # react-admin's app bar hides while the page is scrolled down, and slides back (225 ms) at the top.
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def visit(self, screen: str) -> None:
        """The checks every screen gets: axe-core and a screenshot."""
        self.check_accessibility(screen)
        self.screenshot(screen)


def _watch(page: Any, problems: list[str]) -> None:
    def on_console(message: Any) -> None:
        text = message.text
        # A failed request is reported by the test that caused it (an API refusal is often the point of a test).
        if message.type == "error" and not re.search(r"Failed to load resource|status of 4\d\d", text):
            problems.append(f"console error: {text}")
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            problems.append(f"CSP: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else problems.append(f"request off this origin: {request.url}")
        ),
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def console(request: pytest.FixtureRequest, browser: Any, local_api: str) -> Iterator[Console]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    opened = Console(page=page, url=local_api)
    _watch(page, opened.problems)
    yield opened
    if request.node.stash.get(_FAILED, False):
        # What the screen showed when the test failed, next to the screenshots (a CI artifact).
        (SCREENSHOTS / "failures").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "failures" / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not opened.problems, "\n".join(opened.problems)


@pytest.fixture
def catalogue(clean_db) -> int:
    """The sample catalogue (385 well-known books, The Hobbit among them), as DEMO_DATA=1 make run loads it."""
    from devtools.import_books import SAMPLE_CSV, import_text

    return import_text(SAMPLE_CSV.read_text(encoding="utf-8"), dry_run=False, atomic=True, progress=None)["created"]
