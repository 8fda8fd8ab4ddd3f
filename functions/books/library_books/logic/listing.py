"""The catalogue list (filters, ranked full-text search, ordering, pages) and the genre and author indexes.

The total never costs more than one pass over the matching books, found through an index:

- no filter: the total is `catalogue_counts.live_books` (kept by triggers), the page an index range;
- title/author/publisher/search: the trigram or full-text index finds candidates that must be re-checked
  against the row anyway, so one pass returns the page and `count(*) OVER ()` (publication and language
  have no index of their own: they are checked in that same pass);
- genre: few distinct values, so the matching genres are found first (a skip scan of their index) and the
  count is read from that index alone, availability included (it carries the copy counters);
- available: the copy counters on the row, never the loans table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

from sqlalchemy import ColumnElement, Numeric, Select, TextClause, func, literal, or_, select, text
from sqlalchemy.orm import Session

from library_books.logic.books import BOOKS, SHOWN_COLUMNS, present
from library_common.domain import catalogue
from library_common.domain.availability import copies_free
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

_SORT_KEYS: dict[str, tuple[Callable[[Any], ColumnElement[Any]], bool]] = {
    # (the key of the books table or an alias of it, may be null). Nullable keys sort last either way.
    "title": (lambda books: func.lower(books.c.title), False),
    "author": (lambda books: func.lower(books.c.author), False),
    "published_date": (lambda books: books.c.published_date, True),
    "average_rating": (lambda books: books.c.rating_total.cast(Numeric) / func.nullif(books.c.review_count, 0), True),
    "review_count": (lambda books: books.c.review_count, False),
    "created_on": (lambda books: books.c.created_on, False),
}
# The books table under the name the page is chosen by: built once, since building an alias's column collection
# (a proxy for each of the table's columns) cost about a millisecond of every list request.
MATCHED = BOOKS.alias("matched")
# What a page shows of each book, its columns coerced once (22 of them, on every request, cost ~0.1 ms).
_SHOWN = select(*SHOWN_COLUMNS)
_WORD = re.compile(r"[^\W_]+")
# Words this long or longer also match title and author words they begin; shorter ones would match too much.
PREFIX_MIN_LENGTH = 3
MAX_SEARCH_WORDS = 12


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


def search_query(words: str) -> TextClause:
    """Every word must match: in the title or author as written or as a prefix ("dragon" finds "Dragons";
    they are indexed unstemmed), or in the description by its English stem ("wolves ran" finds "the wolf
    runs"; descriptions are indexed stemmed). Words shorter than 3 letters match whole words only.

    Written as SQL text with one bound value per word and dictionary: built from `func.to_tsquery` calls, the
    expression cost ~0.15 ms of every two-word search to build and as much again to derive its cache key."""
    found = [word.lower() for word in _WORD.findall(words)][:MAX_SEARCH_WORDS]
    if not found:
        raise ValidationFailed(
            "search needs at least one word", errors=[{"field": "search", "message": "needs at least one word"}]
        )
    either_form, values = [], {}
    for n, word in enumerate(found):
        prefix = "*" if len(word) >= PREFIX_MIN_LENGTH else ""
        either_form.append(f"(to_tsquery('simple', :word_{n}) || to_tsquery('english', :stem_{n}))")
        values[f"word_{n}"], values[f"stem_{n}"] = f"{word}:{prefix}AB", f"{word}:C"
    return text(f"({' && '.join(either_form)})").bindparams(**values)


def _order_by(books: Any, ordering: str, rank: ColumnElement[Any] | None) -> list[ColumnElement[Any]]:
    if ordering == "relevance":
        assert rank is not None
        return [rank.desc(), books.c.id]
    descending = ordering.startswith("-")
    key, nullable = _SORT_KEYS[ordering.lstrip("-")]
    ordered = key(books).desc() if descending else key(books).asc()
    if nullable:
        ordered = ordered.nulls_last()
    # The id breaks ties in the same direction, so `-title` walks the (lower(title), id) index backwards.
    return [ordered, books.c.id.desc() if descending else books.c.id]


_LIVE = catalogue.live_sql()


def _matching_genres(session: Session, needle: str) -> list[str]:
    """The distinct genres containing `needle`, found with one index probe per genre (a skip scan)."""
    query = text(
        f"""
        WITH RECURSIVE present(genre) AS (
            SELECT min(genre) FROM books WHERE {_LIVE}
            UNION ALL
            SELECT (SELECT min(genre) FROM books WHERE {_LIVE} AND genre > present.genre)
            FROM present WHERE present.genre IS NOT NULL
        )
        SELECT genre FROM present WHERE genre ILIKE :pattern
        """
    )
    return list(session.scalars(query, {"pattern": contains_pattern(needle)}))


def _conditions(books: Any, filters: Filters, genres: list[str] | None, match: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [catalogue.is_live(books.c)]
    for name in ("title", "author", "publisher", "publication", "language"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(books.c[name].ilike(contains_pattern(value)))
    if genres is not None:
        conditions.append(books.c.genre.in_(genres))
    if filters.isbn is not None:
        conditions.append(books.c.isbn == filters.isbn)
    if filters.available is not None:
        free = copies_free(books.c)
        conditions.append(free > 0 if filters.available else free <= 0)
    if match is not None:
        conditions.append(match)
    return conditions


# How well a misspelt search must fit a title or author (pg_trgm word similarity, 0..1): the chat's tolerance, low
# enough that a dropped or swapped letter ("hobit", "tolkein") still finds the book.
TYPO_TOLERANCE = 0.5


def _search_match(books: Any, session: Session, search: str, query: Any, typo_tolerant: bool) -> tuple[Any, Any]:
    """(condition, rank) of a search: every word in the full-text index, or, typo-tolerant, the words' trigram
    similarity to the title or the author (served by their trigram indexes)."""
    if not typo_tolerant:
        return books.c.search_vector.op("@@")(query), func.ts_rank(books.c.search_vector, query)
    # `<%` (word similarity above the threshold) uses the trigram indexes; the threshold is a per-transaction
    # setting, and the operator's percent sign is doubled for the driver's format paramstyle.
    session.execute(select(func.set_config("pg_trgm.word_similarity_threshold", str(TYPO_TOLERANCE), True)))
    phrase = literal(search)
    condition = or_(phrase.op("<%%")(books.c.title), phrase.op("<%%")(books.c.author))
    rank = func.greatest(func.word_similarity(phrase, books.c.title), func.word_similarity(phrase, books.c.author))
    return condition, rank


def list_books(session: Session, filters: Filters, ordering: str | None, page: int, page_size: int) -> dict[str, Any]:
    """A page of the catalogue. A search that no book matches word for word is tried again tolerating typos, so
    "hobit" still finds *The Hobbit*."""
    found = _list_books(session, filters, ordering, page, page_size, typo_tolerant=False)
    if filters.search is not None and found["total"] == 0:
        return _list_books(session, filters, ordering, page, page_size, typo_tolerant=True)
    return found


def _list_books(
    session: Session, filters: Filters, ordering: str | None, page: int, page_size: int, typo_tolerant: bool
) -> dict[str, Any]:
    genres = None
    if filters.genre is not None:
        genres = _matching_genres(session, filters.genre)
        if not genres:
            return page_of([], page, page_size, 0)
    query = search_query(filters.search) if filters.search is not None else None
    ordering = _ordering(ordering, query)
    # The page is chosen among the matching books, then joined to everything a book response shows.
    matched = MATCHED
    match, rank = (None, None)
    if query is not None:
        match, rank = _search_match(matched, session, filters.search, query, typo_tolerant)
    conditions = _conditions(matched, filters, genres, match)
    counted_by = _counted_by(filters, query)
    offset = (page - 1) * page_size
    total = None
    if counted_by == "count":
        total = _count(session, conditions)
        if offset >= total:
            return page_of([], page, page_size, total)
    chosen = _chosen(matched, conditions, ordering, rank, counted_by).limit(page_size).offset(offset)
    books = _shown_books(session, chosen.subquery("chosen"), ordering, counted_by, total)
    if books:
        total = books[0]["total"]
    elif counted_by == "live book counter":
        total = session.scalar(select(CatalogueCount.live_books)) or 0
    else:
        total = _count(session, conditions) if offset else 0
    return page_of([present(book) for book in books], page, page_size, total)


def _ordering(ordering: str | None, query: Any) -> str:
    ordering = ordering or ("relevance" if query is not None else "title")
    if ordering == "relevance" and query is None:
        raise ValidationFailed(
            "ordering=relevance needs search", errors=[{"field": "ordering", "message": "relevance needs a search"}]
        )
    return ordering


def _counted_by(filters: Filters, query: Any) -> str:
    """How the page learns the total: the live-book counter (no filter), a window count over the matches (when the
    database rechecks rows anyway: a search or a partial-text filter), or a separate count (index-only)."""
    if not filters.given():
        return "live book counter"
    rechecked = query is not None or any(
        getattr(filters, name) is not None for name in ("title", "author", "publisher", "publication", "language")
    )
    return "window" if rechecked else "count"


# The columns an ordering other than relevance may sort by (see _SORT_KEYS).
_SORTED_BY = ("title", "author", "published_date", "rating_total", "review_count", "created_on")


def _chosen(matched: Any, conditions: list[ColumnElement[bool]], ordering: str, rank: Any, counted_by: str) -> Select:
    if counted_by == "window" and ordering != "relevance":
        return _chosen_after_counting(matched, conditions, ordering)
    chosen = select(matched.c.id.label("id")).where(*conditions).order_by(*_order_by(matched, ordering, rank))
    if rank is not None:
        chosen = chosen.add_columns(rank.label("rank"))
    if counted_by == "window":
        chosen = chosen.add_columns(func.count().over().label("total"))
    return chosen


def _chosen_after_counting(matched: Any, conditions: list[ColumnElement[bool]], ordering: str) -> Select:
    """Every match counted in a subquery, the page ordered outside it. In one query with the page's ORDER BY and
    LIMIT, PostgreSQL before 17 prices `count(*) OVER ()` as if the LIMIT stopped it early, and walks the whole
    `lower(title)` index re-checking every row: `author=harris` took 1.4 s on 200,000 books on PostgreSQL 15,
    against 12 ms through the trigram index (bench/results/books.md)."""
    counted = select(matched.c.id.label("id"), *(matched.c[name] for name in _SORTED_BY)).where(*conditions)
    matches = counted.add_columns(func.count().over().label("total")).subquery("matches")
    return select(matches.c.id, matches.c.total).order_by(*_order_by(matches, ordering, None))


def _shown_books(
    session: Session, chosen_page: Any, ordering: str, counted_by: str, total: int | None
) -> list[dict[str, Any]]:
    """The page's books, each a dict of SHOWN_COLUMNS and `total`."""
    total_column: Any
    if counted_by == "live book counter":
        total_column = select(CatalogueCount.live_books).scalar_subquery()
    elif counted_by == "window":
        total_column = chosen_page.c.total
    else:
        total_column = literal(total)
    shown = (
        _SHOWN.add_columns(total_column.label("total"))
        .join(chosen_page, BOOKS.c.id == chosen_page.c.id)
        .order_by(*_order_by(BOOKS, ordering, chosen_page.c.rank if ordering == "relevance" else None))
    )
    # Through the connection: plain rows, without the ORM's statement and result handling (no entity is loaded).
    result = session.connection().execute(shown)
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def _count(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    return session.scalar(select(func.count()).where(*conditions)) or 0


def genres(session: Session, page: int, page_size: int) -> dict[str, Any]:
    counted = (
        select(Book.genre.label("name"), func.count().label("book_count"))
        .where(catalogue.is_live(Book), Book.genre.is_not(None))
        .group_by(Book.genre)
    )
    return _grouped_page(session, counted, [func.lower(Book.genre), Book.genre], page, page_size)


def authors(
    session: Session, search: str | None, ordering: AuthorOrdering, page: int, page_size: int
) -> dict[str, Any]:
    counted = (
        select(Book.author.label("name"), func.count().label("book_count"))
        .where(catalogue.is_live(Book))
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
