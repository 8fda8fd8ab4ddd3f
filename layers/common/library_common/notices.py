"""The notifications outbox: queue a notice in the same transaction as the change that causes it.

Each notice has a dedupe key (member, kind, subject, occurrence); queueing the same one twice is a no-op,
so a retried request or a re-run job never notifies anyone twice. Delivery is the `reminders` function's job.

A notice is rendered once, when it is queued, from the templates in `templates/` (`<kind>.txt`, whose first
line is `Subject: ...`, and `<kind>.html`). Requests queue one notice with `queue_notice`; the daily job
queues thousands in one statement with `insert_notices`, which renders the same templates in SQL, so both
paths produce byte-identical notices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    Numeric,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert

from library_common import models, money
from library_common.caller import Caller
from library_common.domain.permissions import USERS_VIEW
from library_common.domain.statuses import NoticeKind
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TEMPLATES = Path(__file__).parent / "templates"
# Staff holding this may read any member's notices; members read their own.
VIEW_OTHERS = USERS_VIEW
# Notices whose body is a secret for their recipient's mailbox alone (a reset code): GET /notifications, which
# staff and a stolen access token can read, shows them without it.
CONFIDENTIAL_KINDS = (NoticeKind.PASSWORD_RESET,)
CONFIDENTIAL_BODY = "(sent by email only)"
SUBJECT_MAX_LENGTH = models.notifications.c.subject.type.length
# Characters html.escape(quote=True) replaces, in the order it replaces them (& first).
HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))
# The columns a notice row is inserted with, in the order `notice_rows` selects them.
NOTICE_COLUMNS = ("user_id", "kind", "dedupe_key", "recipient", "subject", "body_text", "body_html")


@dataclass(frozen=True)
class NoticeTemplate:
    subject: Template
    text: Template
    html: Template

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(name for part in (self.subject, self.text, self.html) for name in part.get_identifiers())


@lru_cache(maxsize=32)
def notice_template(kind: str) -> NoticeTemplate:
    subject_line, _, text_body = (TEMPLATES / f"{kind}.txt").read_text().partition("\n")
    return NoticeTemplate(
        subject=Template(subject_line.removeprefix("Subject:").strip()),
        text=Template(text_body.strip() + "\n"),
        html=Template((TEMPLATES / f"{kind}.html").read_text()),
    )


def render(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a notice."""
    import html  # its import loads html.entities' 2,000 names: a cost to every cold start, where few requests notify

    template = notice_template(kind)
    currency = get_settings().library_currency
    values = {key: _text(value, currency) for key, value in context.items()}
    escaped = {key: html.escape(value) for key, value in values.items()}
    return (
        _filled(template.subject, values)[:SUBJECT_MAX_LENGTH],
        _filled(template.text, values),
        _filled(template.html, escaped),
    )


def _text(value: object, currency: str) -> str:
    """A value as a notice writes it: an amount (a Decimal) in the library's currency, anything else as str()."""
    return money.money(value, currency) if isinstance(value, Decimal) else str(value)


@cache
def _pieces(template: Template) -> tuple[tuple[str, str | None], ...]:
    """A template read once as its pieces in order: each literal text, then the placeholder after it (None for the
    last text, or where `$$` stood for the delimiter itself): what `render` and its SQL twin both join."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    source = template.template
    for match in template.pattern.finditer(source):
        text = source[position : match.start()]
        name = match.group("named") or match.group("braced")
        if name is not None:
            pieces.append((text, name))
        elif match.group("escaped") is not None:
            pieces.append((text + template.delimiter, None))
        else:
            raise ValueError(f"invalid placeholder in template at {match.start()}: {source[match.start() :][:20]!r}")
        position = match.end()
    pieces.append((source[position:], None))
    return tuple(pieces)


def _filled(template: Template, values: Mapping[str, str]) -> str:
    """Template.substitute from the template's pieces: its regular expression and a Python call per placeholder
    cost each borrow's receipt ~60,000 instructions."""
    return "".join([text + values[name] if name is not None else text for text, name in _pieces(template)])


def _html_escaped(value: ColumnElement[str]) -> ColumnElement[str]:
    for character, entity in HTML_ESCAPES:
        value = func.replace(value, character, entity)
    return value


def _substituted(template: Template, values: Mapping[str, ColumnElement[str]]) -> ColumnElement[str]:
    """The SQL twin of `_filled`: the template's literal pieces and values concatenated in order."""
    parts: list[ColumnElement[str]] = []
    for text, name in _pieces(template):
        parts.append(literal(text, String))
        if name is not None:
            parts.append(values[name])
    return func.concat(*parts)


def render_sql(
    kind: str, values: Mapping[str, ColumnElement[str]]
) -> tuple[ColumnElement[str], ColumnElement[str], ColumnElement[str]]:
    """SQL expressions rendering (subject, plain text, HTML) from text-valued columns, exactly as `render` does."""
    template = notice_template(kind)
    missing = template.placeholders - values.keys()
    if missing:
        raise KeyError(f"{kind} needs {sorted(missing)}")
    escaped = {name: _html_escaped(value) for name, value in values.items()}
    return (
        func.left(_substituted(template.subject, values), SUBJECT_MAX_LENGTH),
        _substituted(template.text, values),
        _substituted(template.html, escaped),
    )


def dedupe_key(user_id: int, kind: str, subject: str, occurrence: str = "") -> str:
    return f"{user_id}:{kind}:{subject}:{occurrence}"


def dedupe_key_sql(
    user_id: ColumnElement[int], kind: str, subject: ColumnElement[str], occurrence: ColumnElement[str]
) -> ColumnElement[str]:
    """The same key as `dedupe_key`, computed per row in SQL."""
    return func.concat(user_id, f":{kind}:", subject, ":", occurrence)


def queue_notice(
    work: Session | Connection,
    *,
    user_id: int,
    kind: str,
    subject: str,
    context: dict[str, Any],
    occurrence: str = "",
) -> None:
    """Queues one notice to a member, in the transaction of `work` (a session, or a `db.writing()` connection);
    `subject` names what it is about (e.g. `loan:17`)."""
    member = work.execute(select(models.User.email, models.User.name).where(models.User.id == user_id)).one()
    title, text_body, html_body = render(kind, {"name": member.name, **context})
    statement = (
        insert(models.Notification)
        .values(
            user_id=user_id,
            kind=kind,
            dedupe_key=dedupe_key(user_id, kind, subject, occurrence),
            recipient=member.email,
            subject=title,
            body_text=text_body,
            body_html=html_body,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    work.execute(statement)


def notice_rows(kind: str, rows: Select) -> Select:
    """The notices of `kind` for each row of `rows`, as a SELECT of NOTICE_COLUMNS.

    `rows` must have the columns `user_id`, `subject` (what the notice is about, e.g. `loan:17`),
    `occurrence`, and one text column per template placeholder other than `name`, which comes from the member.
    """
    source = rows.subquery(f"{kind}_rows")
    users = models.users
    values = {name: source.c[name] for name in notice_template(kind).placeholders - {"name"}}
    subject, text_body, html_body = render_sql(kind, {**values, "name": users.c.name})
    return select(
        source.c.user_id,
        literal(kind, String),
        dedupe_key_sql(source.c.user_id, kind, source.c.subject, source.c.occurrence),
        users.c.email,
        subject,
        text_body,
        html_body,
    ).join_from(source, users, users.c.id == source.c.user_id)


def insert_notices(*selects: Select) -> Insert:
    """One INSERT queueing every notice the `notice_rows` selects produce; duplicates of queued ones are skipped."""
    rows = selects[0] if len(selects) == 1 else union_all(*selects)
    return (
        insert(models.Notification)
        .from_select(list(NOTICE_COLUMNS), rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


def date_text(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A date as `YYYY-MM-DD`, the way `str(date)` renders it in Python."""
    return func.to_char(value, "YYYY-MM-DD")


def money_text(value: ColumnElement[Any]) -> ColumnElement[str]:
    """An amount as `money.money` writes it in Python (`USD 2.50`), in the library's currency."""
    currency = get_settings().library_currency
    return func.concat(f"{currency} ", cast(cast(value, Numeric(12, money.minor_digits(currency))), String))


@cache  # built by the first listing (it loads the ORM), then the same objects a process
def _listed_columns() -> tuple[ColumnElement[Any], ...]:
    """What a member sees of a notice: its text and where its delivery stands."""
    return (
        models.Notification.id,
        models.Notification.user_id,
        models.Notification.kind,
        models.Notification.recipient,
        models.Notification.subject,
        case(
            (models.Notification.kind.in_(CONFIDENTIAL_KINDS), literal(CONFIDENTIAL_BODY, String)),
            else_=models.Notification.body_text,
        ).label("body_text"),
        models.Notification.status,
        models.Notification.attempts,
        models.Notification.created_on,
        models.Notification.sent_on,
    )


def list_notices(
    session: Session,
    who: Caller,
    *,
    user_id: int | None,
    status: str | None,
    kind: str | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """A member's notices with their delivery status, newest first; anyone's (or everyone's) with VIEW_OTHERS."""
    # Here, not at the top: the reminders function imports this module and has no use for pydantic.
    from library_common.envelope import page_of

    user_id = who.listing_scope(user_id, VIEW_OTHERS, "notices")
    conditions = []
    if user_id is not None:
        conditions.append(models.Notification.user_id == user_id)
    if status is not None:
        conditions.append(models.Notification.status == status)
    if kind is not None:
        conditions.append(models.Notification.kind == kind)
    total = session.scalar(select(func.count()).select_from(models.Notification).where(*conditions))
    rows = session.execute(
        select(*_listed_columns())
        .where(*conditions)
        .order_by(models.Notification.created_on.desc(), models.Notification.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return page_of([dict(row._mapping) for row in rows], page, page_size, total)
