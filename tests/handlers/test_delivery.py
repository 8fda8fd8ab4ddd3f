"""Delivering the outbox through moto's SES: once per notice, retried with backoff, nothing lost on a crash."""

from __future__ import annotations

import email
import email.policy
import re
import threading

import boto3
import pytest
from botocore.stub import Stubber
from sqlalchemy import select, text

from library_auth.logic import password_reset
from library_common import db, notices
from library_common.models import Notification
from library_common.settings import get_settings
from library_reminders import app, delivery, mail
from tests.conftest import load_event
from tests.handlers.test_reminders import (  # noqa: F401 - ses is a fixture
    REGION,
    SENDER,
    ScheduledContext,
    body,
    run_delivery,
    sent_mail,
    ses,
)

# moto's SES with the sender verified, shared with test_reminders.
pytestmark = pytest.mark.usefixtures("ses")


def queue(users, count: int, *, title: str = "Dune") -> list[dict]:
    members = [users.create("member", name=f"Member {i}", email=f"member{i}@example.org") for i in range(count)]
    with db.transaction() as session:
        for member in members:
            notices.queue_notice(
                session,
                user_id=member["id"],
                kind="borrow_receipt",
                subject=f"loan:{member['id']}",
                context={"title": title, "author": "Frank Herbert", "due_date": "2026-03-24"},
            )
    return members


def outbox() -> dict[str, tuple[str, int, str | None, str | None]]:
    """recipient -> (status, attempts, message id, last error)."""
    with db.transaction() as session:
        rows = session.execute(
            select(
                Notification.recipient,
                Notification.status,
                Notification.attempts,
                Notification.message_id,
                Notification.last_error,
            )
        )
        return {row.recipient: (row.status, row.attempts, row.message_id, row.last_error) for row in rows}


def time_passes(minutes: int) -> None:
    with db.transaction() as session:
        session.execute(
            text("UPDATE notifications SET next_attempt_on = next_attempt_on - make_interval(mins => :m)"),
            {"m": minutes},
        )


def ses_sender() -> mail.SesSender:
    return mail.SesSender(SENDER)


def plenty_of_time() -> float:
    return 300.0


def test_a_queued_notice_is_sent_once_and_marked_with_the_ses_message_id(users):
    (member,) = queue(users, 1)
    assert run_delivery()["sent"] == 1
    (message,) = sent_mail()
    assert (message["To"], message["From"], message["Subject"]) == (member["email"], SENDER, 'You borrowed "Dune"')
    assert "Hello Member 0," in body(message) and "<strong>Dune</strong>" in body(message, "html")
    status, attempts, message_id, last_error = outbox()[member["email"]]
    assert (status, attempts, last_error) == ("sent", 1, None)
    assert message_id and message_id in {m.id for m in _moto_messages()}
    assert run_delivery()["sent"] == 0


def _moto_messages():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


def test_two_runs_at_once_send_each_notice_exactly_once(users):
    members = queue(users, 40)
    reports = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        reports.append(delivery.deliver(ses_sender(), seconds_left=plenty_of_time, batch_size=4))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    recipients = sorted(message["To"] for message in sent_mail())
    assert recipients == sorted(member["email"] for member in members)
    assert sum(report.sent for report in reports) == 40
    assert {status for status, *_ in outbox().values()} == {"sent"}


def test_an_ses_error_leaves_the_notice_queued_and_the_next_run_sends_it(users):
    (member,) = queue(users, 1)
    identities = boto3.client("ses", region_name=REGION)
    identities.delete_identity(Identity=SENDER)

    assert run_delivery() == {"job": "delivery", "sent": 0, "retrying": 1, "gave_up": 0, "handed_back": 0}
    status, attempts, message_id, last_error = outbox()[member["email"]]
    assert (status, attempts, message_id) == ("queued", 1, None)
    assert "MessageRejected" in last_error
    # Backoff: the next run, five minutes later, does not retry yet.
    assert run_delivery()["sent"] == 0

    identities.verify_email_identity(EmailAddress=SENDER)
    time_passes(5)
    assert run_delivery()["sent"] == 1
    status, attempts, message_id, last_error = outbox()[member["email"]]
    assert (status, attempts, last_error) == ("sent", 2, None) and message_id
    assert [message["To"] for message in sent_mail()] == [member["email"]]


def test_retries_back_off_and_give_up_after_five_attempts(users):
    (member,) = queue(users, 1)
    boto3.client("ses", region_name=REGION).delete_identity(Identity=SENDER)
    waits = []
    for attempt in range(1, 6):
        report = run_delivery()
        assert (report["retrying"], report["gave_up"]) == ((1, 0) if attempt < 5 else (0, 1))
        with db.transaction() as session:
            waits.append(
                session.scalar(
                    text("SELECT round(extract(epoch FROM next_attempt_on - now()) / 60) FROM notifications")
                )
            )
        time_passes(60)
    assert waits[:4] == [5, 10, 20, 40]
    status, attempts, message_id, last_error = outbox()[member["email"]]
    assert (status, attempts, message_id) == ("failed", 5, None) and "MessageRejected" in last_error
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    assert run_delivery()["sent"] == 0


def test_a_throttled_send_hands_the_batch_back_without_using_an_attempt(users):
    queue(users, 3)
    client = mail._ses_client()
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        report = run_delivery()
    assert (report["sent"], report["handed_back"]) == (0, 3)
    assert {(status, attempts) for status, attempts, *_ in outbox().values()} == {("queued", 0)}
    assert run_delivery()["sent"] == 3


class CrashingSender:
    """SES that accepts the first notice, then the function dies (a timeout, an out-of-memory kill)."""

    def __init__(self):
        self.sent = 0

    def send(self, notice: mail.OutgoingNotice) -> str:
        if self.sent:
            raise SystemExit("the function died")
        self.sent += 1
        return ses_sender().send(notice)


def test_a_run_that_dies_half_way_loses_nothing_and_sends_nothing_twice(users):
    members = queue(users, 4)
    with pytest.raises(SystemExit):
        delivery.deliver(CrashingSender(), seconds_left=plenty_of_time)
    states = outbox()
    assert sorted(status for status, *_ in states.values()) == ["queued", "queued", "queued", "sent"]
    # The unsent ones are leased to the dead run: not due until the lease ends, then delivered.
    assert run_delivery()["sent"] == 0
    time_passes(int(delivery.LEASE.total_seconds() // 60))
    assert run_delivery()["sent"] == 3
    assert sorted(message["To"] for message in sent_mail()) == sorted(member["email"] for member in members)


def test_a_run_short_of_time_hands_back_what_it_cannot_send(users):
    queue(users, 3)
    clock = iter([300.0, 300.0, 300.0, 5.0, 5.0])
    report = delivery.deliver(ses_sender(), seconds_left=lambda: next(clock), batch_size=10)
    assert (report.sent, report.handed_back) == (2, 1)
    assert sorted((status, attempts) for status, attempts, *_ in outbox().values()) == [
        ("queued", 0),
        ("sent", 1),
        ("sent", 1),
    ]
    assert run_delivery()["sent"] == 1


def test_without_ses_configured_each_email_is_written_to_the_local_outbox(users, monkeypatch, tmp_path):
    monkeypatch.delenv("NOTICES_SENDER")
    monkeypatch.setenv("LIBRARY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    members = queue(users, 2)
    event = load_event("reminders/deliver_notices.json")
    assert app.lambda_handler(event, ScheduledContext())["sent"] == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2 and sent_mail() == []
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    assert sorted(m["To"] for m in messages) == sorted(member["email"] for member in members)
    assert {m["Subject"] for m in messages} == {'You borrowed "Dune"'}
    assert {status for status, *_ in outbox().values()} == {"sent"}
    assert {message_id for *_, message_id, _ in outbox().values()} == {f"outbox/{path.name}" for path in files}


def test_the_local_outbox_rewrites_rather_than_duplicates_a_resent_notice(tmp_path):
    sender = mail.OutboxSender(tmp_path / "outbox")
    notice = mail.OutgoingNotice(7, "due_soon", "a@example.org", "Soon", "text\n", "<p>html</p>")
    assert sender.send(notice) == sender.send(notice) == "outbox/00000007-due_soon.eml"
    assert [path.name for path in (tmp_path / "outbox").iterdir()] == ["00000007-due_soon.eml"]


def test_a_notice_whose_every_attempt_died_is_given_up_not_retried_forever(users):
    (member,) = queue(users, 1)
    with db.transaction() as session:
        session.execute(text("UPDATE notifications SET attempts = 5"))
    assert run_delivery() == {"job": "delivery", "sent": 0, "retrying": 0, "gave_up": 1, "handed_back": 0}
    status, attempts, message_id, last_error = outbox()[member["email"]]
    assert (status, attempts, message_id) == ("failed", 5, None) and "no outcome recorded" in last_error
    assert sent_mail() == []


def test_a_notice_whose_composing_raises_is_retried_alone_and_the_run_sends_the_rest(users):
    """A subject with a line break (a poisoned title queued before titles were checked) breaks the email header."""
    poisoned, *healthy = queue(users, 3)
    with db.transaction() as session:
        session.execute(
            text("UPDATE notifications SET subject = 'Due: Dune\r\nBcc: everyone@example.org' WHERE recipient = :r"),
            {"r": poisoned["email"]},
        )

    assert run_delivery() == {"job": "delivery", "sent": 2, "retrying": 1, "gave_up": 0, "handed_back": 0}
    status, attempts, message_id, last_error = outbox()[poisoned["email"]]
    assert (status, attempts, message_id) == ("queued", 1, None)
    assert last_error.startswith("ValueError")
    assert sorted(message["To"] for message in sent_mail()) == sorted(member["email"] for member in healthy)
    for _ in range(4):
        time_passes(60)
        run_delivery()
    assert outbox()[poisoned["email"]][:2] == ("failed", 5)


def queue_reset_code(users) -> tuple[dict, str]:
    """A member's password-reset notice, queued the way POST /auth/password-reset queues it; and its code."""
    member = users.create("member", name="Forgetful", email="forgetful@example.org")
    with db.transaction() as session:
        password_reset.request_reset(session, member["email"], "192.0.2.10")
    with db.transaction() as session:
        stored = session.scalar(select(Notification.body_text).where(Notification.kind == "password_reset"))
    return member, re.search(r"code:\n\n(\S+)\n", stored).group(1)


def stored_bodies(kind: str) -> list[tuple[str, str]]:
    with db.transaction() as session:
        rows = session.execute(select(Notification.body_text, Notification.body_html).where(Notification.kind == kind))
        return [tuple(row) for row in rows]


def test_a_sent_reset_code_is_erased_from_the_outbox_and_the_emailed_code_still_works(users):
    member, code = queue_reset_code(users)
    queue(users, 1)

    assert run_delivery()["sent"] == 2
    (reset_mail,) = [message for message in sent_mail() if message["To"] == member["email"]]
    assert code in body(reset_mail) and code in body(reset_mail, "html")
    assert stored_bodies("password_reset") == [(notices.CONFIDENTIAL_BODY, notices.CONFIDENTIAL_BODY)]
    ((receipt_text, _),) = stored_bodies("borrow_receipt")
    assert "Dune" in receipt_text  # other notices keep what they said
    with db.transaction() as session:
        password_reset.confirm_reset(session, code, "a brand new passphrase")


def test_a_reset_code_given_up_on_is_erased_too(users):
    queue_reset_code(users)
    boto3.client("ses", region_name=REGION).delete_identity(Identity=SENDER)
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        run_delivery()
        time_passes(60)
        assert stored_bodies("password_reset") != [(notices.CONFIDENTIAL_BODY, notices.CONFIDENTIAL_BODY)]
    assert run_delivery()["gave_up"] == 1
    assert stored_bodies("password_reset") == [(notices.CONFIDENTIAL_BODY, notices.CONFIDENTIAL_BODY)]


def test_a_reset_code_whose_every_attempt_died_is_erased_when_given_up(users):
    queue_reset_code(users)
    with db.transaction() as session:
        session.execute(text("UPDATE notifications SET attempts = :n"), {"n": delivery.MAX_ATTEMPTS})
    assert run_delivery()["gave_up"] == 1
    assert stored_bodies("password_reset") == [(notices.CONFIDENTIAL_BODY, notices.CONFIDENTIAL_BODY)]


def test_a_delivery_run_counts_the_notices_it_sent_and_those_it_gave_up(users, capsys):
    from tests.handlers.test_metrics import counted

    queue(users, 1)
    boto3.client("ses", region_name=REGION).delete_identity(Identity=SENDER)
    for _ in range(4):
        run_delivery()
        time_passes(60)
    capsys.readouterr()
    assert run_delivery()["gave_up"] == 1
    assert counted(capsys.readouterr().out) == {"NoticesFailed": 1.0}
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    with db.transaction() as session:
        session.execute(text("UPDATE notifications SET status = 'queued', attempts = 0, next_attempt_on = now()"))
    assert run_delivery()["sent"] == 1
    assert counted(capsys.readouterr().out) == {"NoticesSent": 1.0}
