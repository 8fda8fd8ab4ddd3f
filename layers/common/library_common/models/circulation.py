"""Lending policy, loans (and their monthly counts), holds, fines and idempotency records."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from library_common.domain.statuses import ACTIVE_HOLD_STATUSES, FineStatus, HoldStatus, values
from library_common.models.base import Audited, Base

HOLD_STATUSES = values(HoldStatus)
FINE_STATUSES = values(FineStatus)


class Policy(Audited, Base):
    """The library's lending rules: a single row (id 1), editable through PATCH /policies."""

    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint(
            "loan_period_days > 0 AND max_loans >= 0 AND max_renewals >= 0 AND fine_per_day >= 0 "
            "AND fine_cap >= 0 AND hold_pickup_days > 0 AND block_threshold >= 0",
            name="sane_values",
        ),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="1")
    loan_period_days: Mapped[int] = mapped_column(Integer, server_default="14")
    max_loans: Mapped[int] = mapped_column(Integer, server_default="3")
    max_renewals: Mapped[int] = mapped_column(Integer, server_default="2")
    fine_per_day: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default="0.25")
    fine_cap: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default="10.00")
    hold_pickup_days: Mapped[int] = mapped_column(Integer, server_default="3")
    block_threshold: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default="5.00")


class Loan(Audited, Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("renewals >= 0", name="renewals_not_negative"),
        # One open loan of a title per member, enforced by the database under concurrency.
        Index(
            "uq_loans_open_user_book", "user_id", "book_id", unique=True, postgresql_where=text("returned_on IS NULL")
        ),
        Index("ix_loans_open_due_date", "due_date", postgresql_where=text("returned_on IS NULL")),
        Index("ix_loans_book_borrowed_on", "book_id", "borrowed_on"),
        # Covering: the most-borrowed report counts the loans at the edges of its range from this index alone.
        Index("ix_loans_borrowed_on", "borrowed_on", postgresql_include=["book_id"]),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    book_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("books.id"))
    borrowed_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    due_date: Mapped[date] = mapped_column(Date)
    returned_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    renewals: Mapped[int] = mapped_column(Integer, server_default="0")


class LoanCount(Base):
    """Loans begun per title per UTC calendar month, kept by triggers on `loans` (see migration 0001).

    The most-borrowed report sums whole months here instead of counting every loan of a long range.
    """

    __tablename__ = "loan_counts"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    book_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("books.id", ondelete="CASCADE"), primary_key=True)
    loans: Mapped[int] = mapped_column(Integer)


class Hold(Audited, Base):
    """A member's place in a title's queue; positions are derived from `queued_on`, so they are always dense."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint(f"status IN {HOLD_STATUSES}", name="status"),
        Index(
            "uq_holds_active_user_book",
            "user_id",
            "book_id",
            unique=True,
            postgresql_where=text(f"status IN {values(ACTIVE_HOLD_STATUSES)}"),
        ),
        Index("ix_holds_book_queue", "book_id", "queued_on", postgresql_where=text(f"status = '{HoldStatus.WAITING}'")),
        Index("ix_holds_ready_expires_on", "expires_on", postgresql_where=text(f"status = '{HoldStatus.READY}'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    book_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("books.id"))
    status: Mapped[str] = mapped_column(String(20), server_default=HoldStatus.WAITING.value)
    queued_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ready_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    loan_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("loans.id"))


class Fine(Audited, Base):
    """The late fee of one loan; accrues while the loan is overdue, then is paid or waived by staff."""

    __tablename__ = "fines"
    __table_args__ = (
        CheckConstraint(f"status IN {FINE_STATUSES}", name="status"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_fines_user_unpaid", "user_id", postgresql_where=text(f"status = '{FineStatus.UNPAID}'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(20), server_default=FineStatus.UNPAID.value)
    settled_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyRecord(Base):
    """The first answer to a request sent with an Idempotency-Key, replayed to retries."""

    __tablename__ = "idempotency_records"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[dict] = mapped_column(JSONB)
    created_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
