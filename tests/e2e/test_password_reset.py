"""A forgotten password in headless Chromium: from the sign-in page a member asks for a code, the delivery run
(`make remind`) writes the email to the local outbox, the member enters the code from it with a new password
(one containing her name is refused, saying why) and signs in with the new password, the old one no longer
working. The code works once, also when it comes in the screen's address. axe-core and a screenshot on each
screen."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import make_url

from devtools import remind

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a quieter evening read"
# "New password", and not "New password again" (MUI marks a required field's label with " *").
NEW_PASSWORD_FIELD = re.compile(r"^New password\W*$")


def deliver(monkeypatch, tmp_path: Path, database_url: str) -> list[Path]:
    """Runs the delivery as `make remind` does without SES: the emails sent, as files in the outbox."""
    monkeypatch.delenv("NOTICES_SENDER", raising=False)
    monkeypatch.setenv("DATABASE_NAME", make_url(database_url).database)
    monkeypatch.setenv("LIBRARY_DATA_DIR", str(tmp_path))
    remind.main()
    return sorted((tmp_path / "outbox").glob("*.eml"))


def emailed_code(monkeypatch, tmp_path: Path, database_url: str, recipient: str) -> str:
    """The code in the reset email the delivery run sends."""
    (path,) = deliver(monkeypatch, tmp_path, database_url)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert (message["To"], message["Subject"]) == (recipient, "Resetting your library password")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert '"Forgot your password?", then "I have a code"' in text
    return re.search(r"code:\n\n(\S+)\n", text).group(1)


def test_a_member_resets_a_forgotten_password_with_the_emailed_code_and_signs_in_with_it(
    console, users, database_url, monkeypatch, tmp_path
):
    page = console.page
    member = users.create("member", name="Nora Reader", email="nora@library.test")
    console.open("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    console.heading("Forgot your password?").wait_for()
    page.get_by_label("Email").fill("nora@library.test")
    console.visit("forgot-password")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_role("status").filter(has_text="a reset code is on its way").wait_for()

    code = emailed_code(monkeypatch, tmp_path, database_url, "nora@library.test")
    page.get_by_role("link", name="Enter the code").click()
    console.heading("Choose a new password").wait_for()
    page.get_by_label("Code from the email").fill(code)
    page.get_by_label(NEW_PASSWORD_FIELD).fill("nora reader at home")
    page.get_by_label("New password again").fill("nora reader at home")
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_text("must not contain your email address or your name").first.wait_for()
    page.get_by_label(NEW_PASSWORD_FIELD).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    console.visit("reset-password")
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_role("status").filter(has_text="Your password is changed").wait_for()

    # The code is spent: the same code in the screen's address is refused, with a way to ask for a new one.
    console.open(f"/reset-password?code={code}")
    expect(page.get_by_label("Code from the email")).to_have_value(code)
    page.get_by_label(NEW_PASSWORD_FIELD).fill("another long passphrase")
    page.get_by_label("New password again").fill("another long passphrase")
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_role("alert").filter(has_text="unknown, used or expired").wait_for()
    page.get_by_role("link", name="Ask for a new code").wait_for()

    console.open("/login")
    page.get_by_label("Email").fill(member["email"])
    page.get_by_label("Password").fill(member["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Wrong email or password").wait_for()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("menuitem", name="My loans").wait_for()


def test_asking_for_a_code_for_an_unknown_email_says_the_same_and_sends_nothing(
    console, users, database_url, monkeypatch, tmp_path
):
    page = console.page
    console.open("/forgot-password")
    page.get_by_label("Email").fill("nobody@library.test")
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_role("status").filter(has_text="If this email belongs to an active account").wait_for()
    assert deliver(monkeypatch, tmp_path, database_url) == []
