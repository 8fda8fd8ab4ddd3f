"""The notifications outbox: written with the change that causes a notice, delivered by `reminders`."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)

from library_common.domain.statuses import NoticeStatus, values
from library_common.models.base import METADATA, audit_columns

NOTICE_STATUSES = values(NoticeStatus)

notifications = Table(
    "notifications",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    # (member, kind, subject, occurrence): re-running any job cannot queue the same notice twice.
    Column("dedupe_key", String(300), nullable=False, unique=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("status", String(20), nullable=False, server_default=NoticeStatus.QUEUED.value),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("message_id", String(200)),
    Column("sent_on", DateTime(timezone=True)),
    *audit_columns(),
    CheckConstraint(f"status IN {NOTICE_STATUSES}", name="status"),
    Index(
        "ix_notifications_deliverable", "next_attempt_on", postgresql_where=text(f"status = '{NoticeStatus.QUEUED}'")
    ),
)
