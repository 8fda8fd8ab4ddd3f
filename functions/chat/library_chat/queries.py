"""Every read the librarian chat makes, and the only place it touches the database.

The rule-based librarian and the Bedrock tools both answer from these functions, so neither can state
anything they did not return. Catalogue matching is two-step: exact words first (the books' full-text
vector, title or author weight only, cheap even on large catalogues), then trigram word similarity
(pg_trgm, tolerant of typos) when no word matched. Account reads always filter by the caller's user id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Float, cast, func, literal, select, text
from sqlalchemy.sql.elements import ColumnElement

from library_common import models
from library_common.domain import catalogue, holds, loans, standing
from library_common.domain.availability import copies_free
from library_common.domain.policy import current_policy
from library_common.domain.statuses import ACTIVE_HOLD_STATUSES, FineStatus

if TYPE_CHECKING:
    from sqlalchemy import Connection

# Over the tables, not the mapped classes: a question about books (the chat's usual first) then never has the ORM
# configure every mapper of the layer, ~80 M instructions of a cold start's first answer. A member's holds keep
# `Hold`, whose queue expressions (`domain.holds`) are written over the mapped class.
BOOKS_TABLE, LOANS_TABLE = models.books, models.loans
BOOK, LOAN, FINE = BOOKS_TABLE.c, LOANS_TABLE.c, models.fines.c

Order = Literal["newest", "best_rated"]

# How well the member's words must fit a title, author or genre (pg_trgm word similarity, 0..1). Lower than
# pg_trgm's default of 0.6 so that swapped letters ("tolkein", "histroy") still find their match.
WORD_SIMILARITY_THRESHOLD = 0.5
# Words too common to narrow a full-text lookup; they still count in the similarity ranking.
COMMON_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"})
_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class BookStatus:
    id: int
    title: str
    author: str
    genre: str | None
    published_date: date | None
    quantity: int
    copies_available: int
    on_loan: int
    on_hold_shelf: int
    holds_waiting: int
    next_due_date: date | None
    average_rating: float | None
    review_count: int


@dataclass(frozen=True)
class Match:
    """A catalogue name (title, author or genre) and how well the member's words fit it."""

    name: str
    word_similarity: float
    similarity: float

    @property
    def strength(self) -> tuple[float, float]:
        return (self.word_similarity, self.similarity)


@dataclass(frozen=True)
class Listing:
    name: str
    total: int
    books: list[BookStatus]


@dataclass(frozen=True)
class Rules:
    loan_period_days: int
    max_loans: int
    max_renewals: int
    fine_per_day: Decimal
    fine_cap: Decimal
    hold_pickup_days: int
    block_threshold: Decimal


@dataclass(frozen=True)
class MyLoan:
    loan_id: int
    book_id: int
    title: str
    author: str
    copies_available: int
    due_date: date
    overdue: bool
    renewals: int
    title_match: float


@dataclass(frozen=True)
class MyHold:
    hold_id: int
    book_id: int
    title: str
    author: str
    copies_available: int
    status: str
    position: int | None
    queue_length: int
    pickup_by: str | None  # a ready hold's last day, the library's day as YYYY-MM-DD
    title_match: float


@dataclass(frozen=True)
class MyFine:
    fine_id: int
    book_id: int
    title: str
    author: str
    copies_available: int
    amount: Decimal
    due_date: date


def words_of(phrase: str) -> list[str]:
    return _WORDS.findall(phrase.casefold())


def _word_query(phrase: str, weight: str) -> str | None:
    """A to_tsquery text requiring every significant word in one field; words are letters and digits only."""
    words = words_of(phrase)
    significant = [word for word in words if word not in COMMON_WORDS] or words
    return " & ".join(f"{word}:{weight}" for word in significant) or None


def _copies_available() -> ColumnElement[int]:
    return copies_free(BOOK)


def _average_rating() -> ColumnElement[float]:
    return cast(BOOK.rating_total, Float) / func.nullif(BOOK.review_count, 0)


def _status_columns() -> tuple[ColumnElement[Any], ...]:
    next_due_date = (
        select(func.min(LOAN.due_date)).where(LOAN.book_id == BOOK.id, loans.is_open(LOAN)).scalar_subquery()
    )
    return (
        BOOK.id,
        BOOK.title,
        BOOK.author,
        BOOK.genre,
        BOOK.published_date,
        BOOK.quantity,
        _copies_available().label("copies_available"),
        BOOK.copies_on_loan,
        BOOK.copies_on_hold_shelf,
        holds.waiting_count(BOOK.id).label("holds_waiting"),
        next_due_date.label("next_due_date"),
        _average_rating().label("average_rating"),
        BOOK.review_count,
    )


def _statuses(connection: Connection, ranked_ids: list[int]) -> list[BookStatus]:
    """Availability facts of the given books, in the given order: copies, hold queue, earliest return."""
    if not ranked_ids:
        return []
    rows = connection.execute(select(*_status_columns()).where(BOOK.id.in_(ranked_ids))).all()
    by_id = {
        row.id: BookStatus(
            id=row.id,
            title=row.title,
            author=row.author,
            genre=row.genre,
            published_date=row.published_date,
            quantity=row.quantity,
            copies_available=row.copies_available,
            on_loan=row.copies_on_loan,
            on_hold_shelf=row.copies_on_hold_shelf,
            holds_waiting=row.holds_waiting,
            next_due_date=row.next_due_date,
            average_rating=round(row.average_rating, 2) if row.average_rating is not None else None,
            review_count=row.review_count,
        )
        for row in rows
    }
    return [by_id[book_id] for book_id in ranked_ids if book_id in by_id]


def _best_matches(
    connection: Connection, column, phrase: str, weight: str, limit: int, fuzzy: bool
) -> list[tuple[int, Match]]:
    """(book id, match) of the live books whose `column` best fits the phrase: exact words, else (if `fuzzy`)
    trigrams."""
    word_similarity = func.word_similarity(phrase, column)
    similarity = func.similarity(phrase, column)
    ranked = (
        select(BOOK.id, column.label("name"), word_similarity.label("ws"), similarity.label("s"))
        .where(catalogue.is_live(BOOK))
        .order_by(word_similarity.desc(), similarity.desc(), BOOK.id)
        .limit(limit)
    )
    word_query = _word_query(phrase, weight)
    rows = []
    if word_query:
        rows = connection.execute(
            ranked.where(BOOK.search_vector.op("@@")(func.to_tsquery("simple", word_query)))
        ).all()
    if not rows and fuzzy:
        # `<%` is pg_trgm's word-similarity operator, served by the trigram index; its threshold is a setting
        # (for this transaction only), and its percent sign is doubled for the driver's format paramstyle.
        connection.execute(
            select(func.set_config("pg_trgm.word_similarity_threshold", str(WORD_SIMILARITY_THRESHOLD), True))
        )
        rows = connection.execute(ranked.where(literal(phrase).op("<%%")(column))).all()
    return [(row.id, Match(row.name, row.ws, row.s)) for row in rows if row.ws >= WORD_SIMILARITY_THRESHOLD]


def find_titles(
    connection: Connection, phrase: str, limit: int = 5, fuzzy: bool = True
) -> list[tuple[BookStatus, Match]]:
    """The live books whose title best fits the phrase, best first, with their availability.

    `fuzzy=False` skips the typo-tolerant step: for when a match of every word is already known elsewhere.
    """
    matches = _best_matches(connection, BOOK.title, phrase, "A", limit, fuzzy)
    statuses = _statuses(connection, [book_id for book_id, _ in matches])
    strength = dict(matches)
    return [(status, strength[status.id]) for status in statuses]


def find_author(connection: Connection, phrase: str, fuzzy: bool = True) -> Match | None:
    """The author name in the catalogue that best fits the phrase (`fuzzy` as for `find_titles`)."""
    matches = _best_matches(connection, BOOK.author, phrase, "B", limit=20, fuzzy=fuzzy)
    return max((match for _, match in matches), key=lambda match: match.strength, default=None)


# Genres are few: they are read off the genre index one distinct value per probe (a skip scan), then compared.
_LIVE = catalogue.live_sql()
_BEST_GENRE = text(
    f"""
    WITH RECURSIVE genres(name) AS (
        (SELECT genre FROM books WHERE genre IS NOT NULL AND {_LIVE} ORDER BY genre LIMIT 1)
        UNION ALL
        SELECT (SELECT genre FROM books WHERE genre > genres.name AND {_LIVE} ORDER BY genre LIMIT 1)
        FROM genres WHERE genres.name IS NOT NULL
    )
    SELECT name, word_similarity(:phrase, name) AS ws, similarity(:phrase, name) AS s
    FROM genres
    WHERE name IS NOT NULL AND word_similarity(:phrase, name) >= :threshold
    ORDER BY ws DESC, s DESC, name
    LIMIT 1
    """
)


def find_genre(connection: Connection, phrase: str) -> Match | None:
    """The genre of the live catalogue that best fits the phrase."""
    row = connection.execute(_BEST_GENRE, {"phrase": phrase, "threshold": WORD_SIMILARITY_THRESHOLD}).first()
    return Match(row.name, row.ws, row.s) if row else None


def _listing(connection: Connection, name: str, where: list[ColumnElement[bool]], order: Order, limit: int) -> Listing:
    conditions = [catalogue.is_live(BOOK), *where]
    total = connection.execute(select(func.count()).select_from(BOOKS_TABLE).where(*conditions)).scalar_one()
    if order == "best_rated":
        ordering = [_average_rating().desc().nulls_last(), BOOK.review_count.desc(), BOOK.id]
    else:
        ordering = [BOOK.published_date.desc().nulls_last(), BOOK.id.desc()]
    ids = list(connection.execute(select(BOOK.id).where(*conditions).order_by(*ordering).limit(limit)).scalars())
    return Listing(name, total, _statuses(connection, ids))


def books_by_author(connection: Connection, author: str, order: Order = "newest", limit: int = 5) -> Listing:
    where = [BOOK.author == author]
    word_query = _word_query(author, "B")
    if word_query:
        # Narrows through the full-text index before the exact comparison.
        where.append(BOOK.search_vector.op("@@")(func.to_tsquery("simple", word_query)))
    return _listing(connection, author, where, order, limit)


def books_in_genre(connection: Connection, genre: str, order: Order = "newest", limit: int = 5) -> Listing:
    return _listing(connection, genre, [BOOK.genre == genre], order, limit)


def lending_rules(connection: Connection) -> Rules:
    policy = current_policy(connection)
    return Rules(
        loan_period_days=policy.loan_period_days,
        max_loans=policy.max_loans,
        max_renewals=policy.max_renewals,
        fine_per_day=policy.fine_per_day,
        fine_cap=policy.fine_cap,
        hold_pickup_days=policy.hold_pickup_days,
        block_threshold=policy.block_threshold,
    )


def _title_match(phrase: str | None) -> ColumnElement[float]:
    return func.word_similarity(phrase, BOOK.title) if phrase else literal(0.0, Float)


def my_loans(connection: Connection, user_id: int, phrase: str | None = None) -> list[MyLoan]:
    """The caller's open loans, soonest due first; `title_match` says how well each title fits `phrase`."""
    rows = connection.execute(
        select(
            LOAN.id,
            LOAN.book_id,
            BOOK.title,
            BOOK.author,
            _copies_available().label("copies_available"),
            LOAN.due_date,
            loans.is_overdue(LOAN).label("overdue"),
            LOAN.renewals,
            _title_match(phrase).label("title_match"),
        )
        .join(BOOKS_TABLE, BOOK.id == LOAN.book_id)
        .where(LOAN.user_id == user_id, loans.is_open(LOAN))
        .order_by(LOAN.due_date, LOAN.id)
    ).all()
    return [MyLoan(*row) for row in rows]


def my_holds(connection: Connection, user_id: int, phrase: str | None = None) -> list[MyHold]:
    """The caller's active holds with their place in each queue (first come, first served by queued_on)."""
    queue_length = holds.waiting_count(models.Hold.book_id)
    rows = connection.execute(
        select(
            models.Hold.id,
            models.Hold.book_id,
            BOOK.title,
            BOOK.author,
            _copies_available().label("copies_available"),
            models.Hold.status,
            holds.queue_position().label("position"),
            queue_length.label("queue_length"),
            holds.pickup_by_text(models.Hold.expires_on).label("pickup_by"),
            _title_match(phrase).label("title_match"),
        )
        .join(BOOKS_TABLE, BOOK.id == models.Hold.book_id)
        .where(models.Hold.user_id == user_id, models.Hold.status.in_(ACTIVE_HOLD_STATUSES))
        .order_by(*holds.waiting_order())
    ).all()
    return [MyHold(*row) for row in rows]


def my_fines(connection: Connection, user_id: int) -> list[MyFine]:
    """The caller's unpaid fines, oldest loan first."""
    rows = connection.execute(
        select(
            FINE.id,
            LOAN.book_id,
            BOOK.title,
            BOOK.author,
            _copies_available().label("copies_available"),
            FINE.amount,
            LOAN.due_date,
        )
        .join(LOANS_TABLE, LOAN.id == FINE.loan_id)
        .join(BOOKS_TABLE, BOOK.id == LOAN.book_id)
        .where(FINE.user_id == user_id, FINE.status == FineStatus.UNPAID)
        .order_by(LOAN.due_date, FINE.id)
    ).all()
    return [MyFine(*row) for row in rows]


def borrowing_block(connection: Connection, user_id: int) -> str | None:
    """Why the caller may not borrow now (the circulation rule itself), or None."""
    return standing.member_block_reason(connection, user_id)
