"""Books, reviews, CSV import jobs and the live-book counter."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from library_common.domain.catalogue import live_sql
from library_common.domain.statuses import ImportStatus, values
from library_common.models.base import Audited, Base

# Title outranks author, which outranks description; 'simple' keeps names and non-English titles intact.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(author, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)


class Book(Audited, Base):
    __tablename__ = "books"
    __table_args__ = (
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
        Index(
            "ix_books_publisher_trgm", "publisher", postgresql_using="gin", postgresql_ops={"publisher": "gin_trgm_ops"}
        ),
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

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    author: Mapped[str] = mapped_column(String(300))
    isbn: Mapped[str | None] = mapped_column(String(13))
    publisher: Mapped[str | None] = mapped_column(String(300))
    publication: Mapped[str | None] = mapped_column(String(300))
    published_date: Mapped[date | None] = mapped_column(Date)
    genre: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer, server_default="1")
    copies_on_loan: Mapped[int] = mapped_column(Integer, server_default="0")
    copies_on_hold_shelf: Mapped[int] = mapped_column(Integer, server_default="0")
    review_count: Mapped[int] = mapped_column(Integer, server_default="0")
    rating_total: Mapped[int] = mapped_column(Integer, server_default="0")
    cover_key: Mapped[str | None] = mapped_column(String(300))
    archived_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search_vector: Mapped[str] = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True))


class Review(Audited, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        UniqueConstraint("book_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    book_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("books.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(2000))


class CatalogueCount(Base):
    """How many books are not archived: one row (id 1), kept by triggers on `books` (see migration 0001).

    The unfiltered catalogue list reads its total here instead of counting every row on every request.
    """

    __tablename__ = "catalogue_counts"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="1")
    live_books: Mapped[int] = mapped_column(BigInteger, server_default="0")


class ImportJob(Audited, Base):
    """A CSV import uploaded to S3 and run by the uploads function; `GET /books/imports/{id}` reports it."""

    __tablename__ = "import_jobs"
    __table_args__ = (CheckConstraint(f"status IN {values(ImportStatus)}", name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    object_key: Mapped[str] = mapped_column(String(500), unique=True)
    status: Mapped[str] = mapped_column(String(20), server_default=ImportStatus.PENDING.value)
    dry_run: Mapped[bool] = mapped_column(Boolean, server_default="false")
    atomic: Mapped[bool] = mapped_column(Boolean, server_default="false")
    rows_total: Mapped[int] = mapped_column(Integer, server_default="0")
    rows_done: Mapped[int] = mapped_column(Integer, server_default="0")
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, server_default="0")
    errors: Mapped[list] = mapped_column(JSONB, server_default="[]")
    # Why a job failed as a whole (unreadable file, bad header, rows rejected by an atomic import).
    message: Mapped[str | None] = mapped_column(Text)
    finished_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
