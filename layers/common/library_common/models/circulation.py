"""Lending policy, loans (and their monthly counts), holds, fines and idempotency records."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from library_common.domain.statuses import ACTIVE_HOLD_STATUSES, FineStatus, HoldStatus, values
from library_common.models.base import METADATA, audit_columns

HOLD_STATUSES = values(HoldStatus)
FINE_STATUSES = values(FineStatus)

policies = Table(
    "policies",
    METADATA,
    Column("id", SmallInteger, primary_key=True, server_default="1"),
    Column("loan_period_days", Integer, nullable=False, server_default="14"),
    Column("max_loans", Integer, nullable=False, server_default="3"),
    Column("max_renewals", Integer, nullable=False, server_default="2"),
    Column("fine_per_day", Numeric(10, 2), nullable=False, server_default="0.25"),
    Column("fine_cap", Numeric(10, 2), nullable=False, server_default="10.00"),
    Column("hold_pickup_days", Integer, nullable=False, server_default="3"),
    Column("block_threshold", Numeric(10, 2), nullable=False, server_default="5.00"),
    *audit_columns(),
    CheckConstraint("id = 1", name="single_row"),
    CheckConstraint(
        "loan_period_days > 0 AND max_loans >= 0 AND max_renewals >= 0 AND fine_per_day >= 0 "
        "AND fine_cap >= 0 AND hold_pickup_days > 0 AND block_threshold >= 0",
        name="sane_values",
    ),
)

loans = Table(
    "loans",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("book_id", BigInteger, ForeignKey("books.id"), nullable=False),
    Column("borrowed_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("due_date", Date, nullable=False),
    Column("returned_on", DateTime(timezone=True)),
    Column("renewals", Integer, nullable=False, server_default="0"),
    *audit_columns(),
    CheckConstraint("renewals >= 0", name="renewals_not_negative"),
    # One open loan of a title per member, enforced by the database under concurrency.
    Index("uq_loans_open_user_book", "user_id", "book_id", unique=True, postgresql_where=text("returned_on IS NULL")),
    Index("ix_loans_open_due_date", "due_date", postgresql_where=text("returned_on IS NULL")),
    Index("ix_loans_book_borrowed_on", "book_id", "borrowed_on"),
    # Covering: the most-borrowed report counts the loans at the edges of its range from this index alone.
    Index("ix_loans_borrowed_on", "borrowed_on", postgresql_include=["book_id"]),
)

loan_counts = Table(
    "loan_counts",
    METADATA,
    Column("month", Date, primary_key=True),
    Column("book_id", BigInteger, ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
    Column("loans", Integer, nullable=False),
)

holds = Table(
    "holds",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("book_id", BigInteger, ForeignKey("books.id"), nullable=False),
    Column("status", String(20), nullable=False, server_default=HoldStatus.WAITING.value),
    Column("queued_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("ready_on", DateTime(timezone=True)),
    Column("expires_on", DateTime(timezone=True)),
    Column("loan_id", BigInteger, ForeignKey("loans.id")),
    *audit_columns(),
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

fines = Table(
    "fines",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("loan_id", BigInteger, ForeignKey("loans.id"), nullable=False, unique=True),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False, index=True),
    Column("amount", Numeric(10, 2), nullable=False),
    Column("status", String(20), nullable=False, server_default=FineStatus.UNPAID.value),
    Column("settled_on", DateTime(timezone=True)),
    *audit_columns(),
    CheckConstraint(f"status IN {FINE_STATUSES}", name="status"),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
    Index("ix_fines_user_unpaid", "user_id", postgresql_where=text(f"status = '{FineStatus.UNPAID}'")),
)

idempotency_records = Table(
    "idempotency_records",
    METADATA,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
