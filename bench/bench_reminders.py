"""The reminders function: the daily job over 100,000 open loans (20,000 overdue), and delivery throughput.

Targets: the daily job under 10 s, with the same number of SQL statements whatever the number of loans.
Delivery runs against moto's SES (in process), so its figure is the function's own cost per notice (claim,
compose, send, mark) and the capacity of one 5-minute run; real SES adds its network time and its
account sending rate (14 messages/s by default in production, 1/s in the sandbox), whichever binds first.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from sqlalchemy import event, text

from bench.support import scratch_database
from library_common import db

LOANS = 100_000
OVERDUE = 20_000
MEMBERS = 20_000
TITLES = 5_000
HOLD_TITLES = 1_000
DAILY_TARGET_SECONDS = 10.0
DELIVERY_SAMPLE_SECONDS = 20.0
FUNCTION_TIMEOUT_SECONDS = 300

SEED = [
    # Members; every loan's title has 25 copies, enough for the 20 loans each title gets below.
    f"""INSERT INTO users (name, email, password_hash, is_active)
        SELECT 'Member ' || n, 'member' || n || '@example.org', 'x', true FROM generate_series(1, {MEMBERS}) n""",
    f"""INSERT INTO books (title, author, quantity)
        SELECT 'Title ' || n, 'Author ' || (n % 700), 25 FROM generate_series(1, {TITLES}) n""",
    # Loan n: member n % MEMBERS, title unique per member. The first OVERDUE are 1..40 days late; the rest are
    # due in 0..13 days (those due within 2 days get a due-soon notice).
    f"""INSERT INTO loans (user_id, book_id, borrowed_on, due_date)
        SELECT n % {MEMBERS} + 1,
               n / {MEMBERS} + 1 + 5 * ((n % {MEMBERS}) % 1000),
               now() - interval '20 days',
               CASE WHEN n < {OVERDUE} THEN current_date - (1 + n % 40) ELSE current_date + n % 14 END
        FROM generate_series(0, {LOANS - 1}) n""",
    "UPDATE books b SET copies_on_loan = l.open FROM "
    "(SELECT book_id, count(*) AS open FROM loans GROUP BY book_id) l WHERE b.id = l.book_id",
    # Hold titles with one copy on the hold shelf, its pickup time passed; half have someone waiting next.
    f"""INSERT INTO books (title, author, quantity, copies_on_hold_shelf)
        SELECT 'Held ' || n, 'Author', 1, 1 FROM generate_series(1, {HOLD_TITLES}) n""",
    f"""INSERT INTO holds (user_id, book_id, status, queued_on, ready_on, expires_on)
        SELECT b.id % {MEMBERS} + 1, b.id, 'ready', now() - interval '9 days', now() - interval '4 days',
               now() - interval '1 day'
        FROM books b WHERE b.title LIKE 'Held %'""",
    f"""INSERT INTO holds (user_id, book_id, status, queued_on)
        SELECT (b.id + 7) % {MEMBERS} + 1, b.id, 'waiting', now() - interval '5 days'
        FROM books b WHERE b.title LIKE 'Held %' AND b.id % 2 = 0""",
    "ANALYZE",
]


def _counting_statements(job: Callable[[], object]) -> tuple[object, float, int]:
    statements = []

    def count(*_arguments: object) -> None:
        statements.append(1)

    event.listen(db.get_engine(), "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        outcome = job()
    finally:
        elapsed = time.perf_counter() - started
        event.remove(db.get_engine(), "before_cursor_execute", count)
    return outcome, elapsed, len(statements)


def _delivery(sender) -> tuple[int, float]:
    from library_reminders import delivery

    deadline = time.monotonic() + DELIVERY_SAMPLE_SECONDS + delivery.SAFETY_MARGIN_SECONDS
    started = time.perf_counter()
    report = delivery.deliver(sender, seconds_left=lambda: deadline - time.monotonic())
    return report.sent, time.perf_counter() - started


def run() -> str:
    import boto3
    from moto import mock_aws

    from library_common.settings import get_settings
    from library_reminders import daily, delivery, mail

    os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    sender_address = "library@example.org"
    with scratch_database(), mock_aws():
        get_settings.cache_clear()
        mail._ses_client.cache_clear()
        boto3.client("ses").verify_email_identity(EmailAddress=sender_address)
        started = time.perf_counter()
        with db.transaction() as session:
            for statement in SEED:
                session.execute(text(statement))
        seed_seconds = time.perf_counter() - started

        first, first_seconds, first_statements = _counting_statements(lambda: daily.run(due_soon_days=2))
        again, again_seconds, again_statements = _counting_statements(lambda: daily.run(due_soon_days=2))
        with db.transaction() as session:
            queued = session.scalar(text("SELECT count(*) FROM notifications WHERE status = 'queued'"))

        sent, delivery_seconds = _delivery(mail.SesSender(sender_address))
        mail._ses_client.cache_clear()

    rate = sent / delivery_seconds
    per_run = rate * (FUNCTION_TIMEOUT_SECONDS - delivery.SAFETY_MARGIN_SECONDS)
    constant = first_statements == again_statements
    met = first_seconds < DAILY_TARGET_SECONDS and again_seconds < DAILY_TARGET_SECONDS and constant
    return "\n".join(
        [
            f"Data: {LOANS:,} open loans ({OVERDUE:,} overdue, 1-40 days late), {MEMBERS:,} members, "
            f"{HOLD_TITLES:,} ready holds past pickup ({HOLD_TITLES // 2:,} with a member waiting next); "
            f"generated set-based in {seed_seconds:.1f} s.",
            "",
            "## Daily job",
            "",
            "| run | time (s) | SQL statements | holds expired / promoted | fines written | notices queued |",
            "|---|---:|---:|---:|---:|---:|",
            f"| first | {first_seconds:.2f} | {first_statements} | {first.holds_expired:,} / {first.holds_promoted:,} "
            f"| {first.fines_accrued:,} | {first.notices_queued:,} |",
            f"| same day again | {again_seconds:.2f} | {again_statements} | {again.holds_expired} / "
            f"{again.holds_promoted} | {again.fines_accrued} | {again.notices_queued} |",
            "",
            f"Target: under {DAILY_TARGET_SECONDS:.0f} s and a constant number of statements (counted at the "
            f"driver; the BEGIN/COMMIT of its two transactions come on top) — {'met' if met else 'NOT met'}.",
            "",
            "## Delivery (moto SES)",
            "",
            f"{queued:,} notices queued; one run sending for {DELIVERY_SAMPLE_SECONDS:.0f} s "
            f"(batches of {delivery.BATCH_SIZE}, one commit per notice): {sent:,} sent, **{rate:.0f} notices/s**.",
            f"One {FUNCTION_TIMEOUT_SECONDS} s invocation (stopping {delivery.SAFETY_MARGIN_SECONDS:.0f} s early) "
            f"could send about {per_run:,.0f}; every 5 minutes that is ~{per_run * 12:,.0f} an hour, so SES's "
            "sending rate, not the function, is the limit.",
        ]
    )
