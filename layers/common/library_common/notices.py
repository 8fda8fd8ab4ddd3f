"""The notifications outbox: queue a notice in the same transaction as the change that causes it.

Each notice has a dedupe key (member, kind, subject, occurrence); queueing the same one twice is a no-op,
so a retried request or a re-run job never notifies anyone twice. Delivery is the `reminders` function's job.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from library_common.models import Notification, User

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=32)
def _template(kind: str, extension: str) -> Template:
    return Template((TEMPLATES / f"{kind}.{extension}").read_text())


def render(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a notice; the text template's first line is `Subject: ...`."""
    values = {key: str(value) for key, value in context.items()}
    subject_line, _, text_body = _template(kind, "txt").substitute(values).partition("\n")
    escaped = {key: html.escape(value) for key, value in values.items()}
    return (
        subject_line.removeprefix("Subject:").strip(),
        text_body.strip() + "\n",
        _template(kind, "html").substitute(escaped),
    )


def dedupe_key(user_id: int, kind: str, subject: str, occurrence: str = "") -> str:
    return f"{user_id}:{kind}:{subject}:{occurrence}"


def queue_notice(
    session: Session, *, user_id: int, kind: str, subject: str, context: dict[str, Any], occurrence: str = ""
) -> None:
    """Queues one notice to a member; `subject` names what it is about (e.g. `loan:17`)."""
    recipient = session.scalar(select(User.email).where(User.id == user_id))
    name = session.scalar(select(User.name).where(User.id == user_id))
    title, text_body, html_body = render(kind, {"name": name, **context})
    statement = (
        insert(Notification)
        .values(
            user_id=user_id,
            kind=kind,
            dedupe_key=dedupe_key(user_id, kind, subject, occurrence),
            recipient=recipient,
            subject=title,
            body_text=text_body,
            body_html=html_body,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    session.execute(statement)
