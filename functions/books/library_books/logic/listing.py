"""The catalogue list (filters, ranked full-text search, ordering, pages) and the genre and author indexes.

Every filter is answered from an index, and the total costs at most one pass over the matches:

- no filter: the total is `catalogue_counts.live_books` (kept by triggers), the page an index range;
- title/author/publisher/search: the trigram or full-text index finds candidates that must be re-checked
  against the row anyway, so one pass returns the page and `count(*) OVER ()` (publication and language,
  unindexed, are checked the same way);
- genre: few distinct values, so the matching genres are found first (a skip scan of their index) and the
  count is read from that index alone, availability included (it carries the copy counters);
- available: the copy counters on the row, never the loans table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Literal

from sqlalchemy import ColumnElement, Numeric, func, select, text
from sqlalchemy.orm import Session

from library_books.logic.books import shown_books
from library_common.envelope import page_of
from library_common.errors import ValidationFailed
from library_common.models import Book
from library_common.models.catalogue import CatalogueCount

Ordering = Literal[
    "title",
    "-title",
    "author",
    "-author",
    "published_date",
    "-published_date",
    "average_rating",
    "-average_rating",
    "review_count",
    "-review_count",
    "created_on",
    "-created_on",
    "relevance",
]
AuthorOrdering = Literal["name", "-book_count"]

AVERAGE_RATING = Book.rating_total.cast(Numeric) / func.nullif(Book.review_count, 0)
_SORT_KEYS: dict[str, tuple[ColumnElement[Any], bool]] = {
    # (expression, may be null). Nullable keys put books without a value last in either direction.
    "title": (func.lower(Book.title), False),
    "author": (func.lower(Book.author), False),
    "published_date": (Book.published_date, True),
    "average_rating": (AVERAGE_RATING, True),
    "review_count": (Book.review_count, False),
    "created_on": (Book.created_on, False),
}
_WORD = re.compile(r"[^\W_]+")
# Words this long or longer also match as prefixes ("dragon" finds "dragons"); shorter ones would match too much.
PREFIX_MIN_LENGTH = 3
MAX_SEARCH_WORDS = 12
COPIES_FREE = Book.quantity - Book.copies_on_loan - Book.copies_on_hold_shelf


@dataclass(frozen=True)
class Filters:
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    publication: str | None = None
    genre: str | None = None
    language: str | None = None
    isbn: str | None = None  # already normalised to ISBN-13
    available: bool | None = None
    search: str | None = None

    def given(self) -> bool:
        return any(getattr(self, field.name) is not None for field in fields(self))


def contains_pattern(value: str) -> str:
    """An ILIKE pattern matching `value` anywhere, with LIKE's wildcards in `value` taken literally."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_query(words: str) -> ColumnElement[Any]:
    """All the words, each as a prefix (title and author are indexed unstemmed), or their English stems
    (descriptions are indexed stemmed): "running dragons" finds "Dragons Running" and "dragon ran"."""
    found = [word.lower() for word in _WORD.findall(words)][:MAX_SEARCH_WORDS]
    if not found:
        raise ValidationFailed(
            "search needs at least one word", errors=[{"field": "search", "message": "needs at least one word"}]
        )
    prefixes = " & ".join(f"{word}:*" if len(word) >= PREFIX_MIN_LENGTH else word for word in found)
    return func.to_tsquery("simple", prefixes).op("||")(func.plainto_tsquery("english", " ".join(found)))


def _order_by(ordering: str, rank: ColumnElement[Any] | None) -> list[ColumnElement[Any]]:
    if ordering == "relevance":
        if rank is None:
            raise ValidationFailed(
                "ordering=relevance needs search",
                errors=[{"field": "ordering", "message": "relevance needs a search"}],
            )
        return [rank.desc(), Book.id]
    descending = ordering.startswith("-")
    key, nullable = _SORT_KEYS[ordering.lstrip("-")]
    ordered = key.desc() if descending else key.asc()
    if nullable:
        ordered = ordered.nulls_last()
    # The id breaks ties in the same direction, so `-title` walks the (lower(title), id) index backwards.
    return [ordered, Book.id.desc() if descending else Book.id]


def _matching_genres(session: Session, needle: str) -> list[str]:
    """The distinct genres containing `needle`, found with one index probe per genre (a skip scan)."""
    query = text(
        """
        WITH RECURSIVE present(genre) AS (
            SELECT min(genre) FROM books WHERE archived_on IS NULL
            UNION ALL
            SELECT (SELECT min(genre) FROM books WHERE archived_on IS NULL AND genre > present.genre)
            FROM present WHERE present.genre IS NOT NULL
        )
        SELECT genre FROM present WHERE genre ILIKE :pattern
        """
    )
    return list(session.scalars(query, {"pattern": contains_pattern(needle)}))


def list_books(session: Session, filters: Filters, ordering: str | None, page: int, page_size: int) -> dict[str, Any]:
    conditions: list[ColumnElement[bool]] = [Book.archived_on.is_(None)]
    rechecked = False
    for column, value in (
        (Book.title, filters.title),
        (Book.author, filters.author),
        (Book.publisher, filters.publisher),
        (Book.publication, filters.publication),
        (Book.language, filters.language),
    ):
        if value is not None:
            conditions.append(column.ilike(contains_pattern(value)))
            rechecked = True
    if filters.genre is not None:
        genres = _matching_genres(session, filters.genre)
        if not genres:
            return page_of([], page, page_size, 0)
        conditions.append(Book.genre.in_(genres))
    if filters.isbn is not None:
        conditions.append(Book.isbn == filters.isbn)
    if filters.available is not None:
        conditions.append(COPIES_FREE > 0 if filters.available else COPIES_FREE <= 0)
    rank = None
    if filters.search is not None:
        query = search_query(filters.search)
        conditions.append(Book.search_vector.op("@@")(query))
        rank = func.ts_rank(Book.search_vector, query)
        rechecked = True

    order_by = _order_by(ordering or ("relevance" if rank is not None else "title"), rank)
    offset = (page - 1) * page_size
    page_ids = select(Book.id).where(*conditions).order_by(*order_by).limit(page_size).offset(offset)
    if not filters.given():
        total = session.scalar(select(CatalogueCount.live_books)) or 0
        ids = list(session.scalars(page_ids))
    elif rechecked:
        rows = session.execute(page_ids.add_columns(func.count().over().label("total"))).all()
        ids = [row.id for row in rows]
        total = rows[0].total if rows else _count(session, conditions) if offset else 0
    else:
        total = _count(session, conditions)
        ids = list(session.scalars(page_ids)) if offset < total else []
    return page_of(shown_books(session, ids), page, page_size, total)


def _count(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    return session.scalar(select(func.count()).select_from(Book).where(*conditions)) or 0


def genres(session: Session, page: int, page_size: int) -> dict[str, Any]:
    counted = (
        select(Book.genre.label("name"), func.count().label("book_count"))
        .where(Book.archived_on.is_(None), Book.genre.is_not(None))
        .group_by(Book.genre)
    )
    return _grouped_page(session, counted, [func.lower(Book.genre), Book.genre], page, page_size)


def authors(
    session: Session, search: str | None, ordering: AuthorOrdering, page: int, page_size: int
) -> dict[str, Any]:
    counted = (
        select(Book.author.label("name"), func.count().label("book_count"))
        .where(Book.archived_on.is_(None))
        .group_by(Book.author)
    )
    if search is not None:
        counted = counted.where(Book.author.ilike(contains_pattern(search)))
    by_name = [func.lower(Book.author), Book.author]
    order_by = by_name if ordering == "name" else [func.count().desc(), *by_name]
    return _grouped_page(session, counted, order_by, page, page_size)


def _grouped_page(session: Session, counted, order_by, page: int, page_size: int) -> dict[str, Any]:
    rows = session.execute(
        counted.add_columns(func.count().over().label("total"))
        .order_by(*order_by)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    total = rows[0].total if rows else session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    items = [{"name": row.name, "book_count": row.book_count} for row in rows]
    return page_of(items, page, page_size, total)
