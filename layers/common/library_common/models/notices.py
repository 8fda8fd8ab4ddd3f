"""The notifications outbox: written with the change that causes a notice, delivered by `reminders`."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from library_common.domain.statuses import NoticeStatus, values
from library_common.models.base import Audited, Base

NOTICE_STATUSES = values(NoticeStatus)


class Notification(Audited, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"status IN {NOTICE_STATUSES}", name="status"),
        Index(
            "ix_notifications_deliverable",
            "next_attempt_on",
            postgresql_where=text(f"status = '{NoticeStatus.QUEUED}'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # (member, kind, subject, occurrence): re-running any job cannot queue the same notice twice.
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default=NoticeStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    sent_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
