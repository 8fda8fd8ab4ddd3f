"""`make remind` (devtools.remind): both jobs run once in a local function process, email lands in the outbox."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

from sqlalchemy import make_url, select

from devtools import remind
from library_common import db
from library_common.domain.days import TODAY
from tests.handlers.test_reminders import add_book, lend


def test_make_remind_runs_the_daily_job_and_writes_the_emails_to_the_outbox(
    users, database_url, monkeypatch, tmp_path, capsys
):
    with db.transaction() as session:
        today = session.scalar(select(TODAY))
    member = users.create("member", name="Ada", email="ada@example.org")
    lend(member, add_book("Dune"), due=today - timedelta(days=1))
    monkeypatch.delenv("NOTICES_SENDER", raising=False)
    monkeypatch.setenv("DATABASE_NAME", make_url(database_url).database)
    monkeypatch.setenv("LIBRARY_DATA_DIR", str(tmp_path))

    remind.main()

    output = capsys.readouterr().out
    assert "daily: holds expired 0, holds promoted 0, fines accrued 1, notices queued 1" in output
    assert "delivery: sent 1, retrying 0, gave up 0, handed back 0" in output
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert (message["To"], message["Subject"]) == ("ada@example.org", '"Dune" is overdue')
