"""Books, reviews, CSV import jobs and the live-book counter."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR

from library_common.domain.catalogue import live_sql
from library_common.domain.statuses import ImportStatus, values
from library_common.models.base import METADATA, audit_columns

# Title outranks author, which outranks description; 'simple' keeps names and non-English titles intact.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(author, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)

books = Table(
    "books",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("title", String(500), nullable=False),
    Column("author", String(300), nullable=False),
    Column("isbn", String(13)),
    Column("publisher", String(300)),
    Column("publication", String(300)),
    Column("published_date", Date),
    Column("genre", String(100)),
    Column("language", String(50)),
    Column("description", Text),
    Column("quantity", Integer, nullable=False, server_default="1"),
    Column("copies_on_loan", Integer, nullable=False, server_default="0"),
    Column("copies_on_hold_shelf", Integer, nullable=False, server_default="0"),
    Column("review_count", Integer, nullable=False, server_default="0"),
    Column("rating_total", Integer, nullable=False, server_default="0"),
    Column("cover_key", String(300)),
    Column("archived_on", DateTime(timezone=True)),
    Column("search_vector", TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True), nullable=False),
    *audit_columns(),
    CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    # Circulation keeps these counters in the same transaction as the loan or hold that moves a copy.
    CheckConstraint(
        "copies_on_loan >= 0 AND copies_on_hold_shelf >= 0 AND copies_on_loan + copies_on_hold_shelf <= quantity",
        name="copies_within_quantity",
    ),
    CheckConstraint("review_count >= 0 AND rating_total >= 0", name="review_totals"),
    Index("uq_books_isbn_live", "isbn", unique=True, postgresql_where=text(live_sql())),
    Index("ix_books_title_trgm", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}),
    Index("ix_books_author_trgm", "author", postgresql_using="gin", postgresql_ops={"author": "gin_trgm_ops"}),
    Index("ix_books_publisher_trgm", "publisher", postgresql_using="gin", postgresql_ops={"publisher": "gin_trgm_ops"}),
    Index("ix_books_search_vector", "search_vector", postgresql_using="gin"),
    # A genre's newest books, and the list of genres (a skip scan), from the index instead of a full scan.
    # The copy counters ride along so that a genre's available books are counted from the index alone.
    Index(
        "ix_books_genre_newest",
        "genre",
        text("published_date DESC NULLS LAST"),
        postgresql_where=text(live_sql()),
        postgresql_include=["quantity", "copies_on_loan", "copies_on_hold_shelf"],
    ),
    # The catalogue's default order (title, then id) and its deep pages, read from the index alone (an
    # expression index covers a query only if it also holds the column the expression reads).
    Index(
        "ix_books_live_title",
        text("lower(title)"),
        "id",
        postgresql_where=text(live_sql()),
        postgresql_include=["title"],
    ),
)

reviews = Table(
    "reviews",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("book_id", BigInteger, ForeignKey("books.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("rating", SmallInteger, nullable=False),
    Column("comment", String(2000)),
    *audit_columns(),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    UniqueConstraint("book_id", "user_id"),
)

catalogue_counts = Table(
    "catalogue_counts",
    METADATA,
    Column("id", SmallInteger, primary_key=True, server_default="1"),
    Column("live_books", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("id = 1", name="single_row"),
)

import_jobs = Table(
    "import_jobs",
    METADATA,
    Column("id", BigInteger, primary_key=True),
    Column("object_key", String(500), nullable=False, unique=True),
    Column("status", String(20), nullable=False, server_default=ImportStatus.PENDING.value),
    Column("dry_run", Boolean, nullable=False, server_default="false"),
    Column("atomic", Boolean, nullable=False, server_default="false"),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("rows_done", Integer, nullable=False, server_default="0"),
    Column("created", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("errors", JSONB, nullable=False, server_default="[]"),
    # Why a job failed as a whole (unreadable file, bad header, rows rejected by an atomic import).
    Column("message", Text),
    Column("finished_on", DateTime(timezone=True)),
    *audit_columns(),
    CheckConstraint(f"status IN {values(ImportStatus)}", name="status"),
)
