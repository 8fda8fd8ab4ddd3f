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
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Numeric,
    Select,
    String,
    TextClause,
    bindparam,
    func,
    or_,
    select,
    text,
)

from library_books.logic.books import BOOKS, SHOWN_COLUMNS, present
from library_common import db, models
from library_common.domain import catalogue
from library_common.domain.availability import copies_free
from library_common.envelope import page_of
from library_common.errors import ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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


def search_words(words: str) -> list[str]:
    """The words a search matches (lower-cased, at most MAX_SEARCH_WORDS); 422 when there are none."""
    found = [word.lower() for word in _WORD.findall(words)][:MAX_SEARCH_WORDS]
    if not found:
        raise ValidationFailed(
            "search needs at least one word", errors=[{"field": "search", "message": "needs at least one word"}]
        )
    return found


@lru_cache(maxsize=MAX_SEARCH_WORDS)
def search_query(word_count: int) -> TextClause:
    """Every word must match: in the title or author as written or as a prefix ("dragon" finds "Dragons";
    they are indexed unstemmed), or in the description by its English stem ("wolves ran" finds "the wolf
    runs"; descriptions are indexed stemmed). Words shorter than 3 letters match whole words only.

    Written as SQL text with one bound value per word and dictionary (`search_values`): built from
    `func.to_tsquery` calls, the expression cost ~0.15 ms of every two-word search to build and as much again to
    derive its cache key."""
    either_form = [f"(to_tsquery('simple', :word_{n}) || to_tsquery('english', :stem_{n}))" for n in range(word_count)]
    names = [f"{form}_{n}" for n in range(word_count) for form in ("word", "stem")]
    return text(f"({' && '.join(either_form)})").bindparams(*(bindparam(name, type_=String) for name in names))


def search_values(words: list[str]) -> dict[str, str]:
    """The bound values of `search_query(len(words))`."""
    values = {}
    for n, word in enumerate(words):
        prefix = "*" if len(word) >= PREFIX_MIN_LENGTH else ""
        values[f"word_{n}"], values[f"stem_{n}"] = f"{word}:{prefix}AB", f"{word}:C"
    return values


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
# The distinct genres containing a pattern, found with one index probe per genre (a skip scan).
_GENRES_LIKE = text(
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


def _matching_genres(connection: Connection, needle: str) -> list[str]:
    return list(connection.scalars(_GENRES_LIKE, {"pattern": contains_pattern(needle)}))


TEXT_FILTERS = ("title", "author", "publisher", "publication", "language")


class _Shape(NamedTuple):
    """What a page's statements depend on besides their bound values: each shape's are built once (see
    `_statements`), so a request neither builds an expression tree nor has SQLAlchemy derive its cache key."""

    text_filters: tuple[str, ...]  # the TEXT_FILTERS given
    genre: bool
    isbn: bool
    available: bool | None
    words: int  # of the search; 0 without one
    typo_tolerant: bool
    ordering: str
    counted_by: str


def _conditions(books: Any, shape: _Shape, match: Any) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [catalogue.is_live(books.c)]
    for name in shape.text_filters:
        conditions.append(books.c[name].ilike(bindparam(f"{name}_pattern", type_=String)))
    if shape.genre:
        conditions.append(books.c.genre.in_(bindparam("genres", expanding=True)))
    if shape.isbn:
        conditions.append(books.c.isbn == bindparam("isbn", type_=String))
    if shape.available is not None:
        free = copies_free(books.c)
        conditions.append(free > 0 if shape.available else free <= 0)
    if match is not None:
        conditions.append(match)
    return conditions


# How well a misspelt search must fit a title or author (pg_trgm word similarity, 0..1): the chat's tolerance, low
# enough that a dropped or swapped letter ("hobit", "tolkein") still finds the book.
TYPO_TOLERANCE = 0.5
# `<%` (word similarity above the threshold) uses the trigram indexes; the threshold is a per-transaction setting.
_TYPO_THRESHOLD = select(func.set_config("pg_trgm.word_similarity_threshold", str(TYPO_TOLERANCE), True))


def _search_match(books: Any, shape: _Shape) -> tuple[Any, Any]:
    """(condition, rank) of a search: every word in the full-text index, or, typo-tolerant, the words' trigram
    similarity to the title or the author (served by their trigram indexes)."""
    if not shape.typo_tolerant:
        query = search_query(shape.words)
        return books.c.search_vector.op("@@")(query), func.ts_rank(books.c.search_vector, query)
    # The operator's percent sign is doubled for the driver's format paramstyle.
    phrase = bindparam("phrase", type_=String)
    condition = or_(phrase.op("<%%")(books.c.title), phrase.op("<%%")(books.c.author))
    rank = func.greatest(func.word_similarity(phrase, books.c.title), func.word_similarity(phrase, books.c.author))
    return condition, rank


def list_books(
    connection: Connection, filters: Filters, ordering: str | None, page: int, page_size: int
) -> dict[str, Any]:
    """A page of the catalogue (read with Core statements, in `db.reading()`). A search that no book matches word
    for word is tried again tolerating typos, so "hobit" still finds *The Hobbit*."""
    found = _list_books(connection, filters, ordering, page, page_size, typo_tolerant=False)
    if filters.search is not None and found["total"] == 0:
        return _list_books(connection, filters, ordering, page, page_size, typo_tolerant=True)
    return found


def _list_books(
    connection: Connection, filters: Filters, ordering: str | None, page: int, page_size: int, typo_tolerant: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {"page_size": page_size, "skipped": (page - 1) * page_size}
    if filters.genre is not None:
        values["genres"] = _matching_genres(connection, filters.genre)
        if not values["genres"]:
            return page_of([], page, page_size, 0)
    words = search_words(filters.search) if filters.search is not None else []
    if typo_tolerant:
        connection.execute(_TYPO_THRESHOLD)
        values["phrase"] = filters.search
    shape = _shape_of(filters, _ordering(ordering, bool(words)), len(words), typo_tolerant)
    values.update(_filter_values(filters, shape), **search_values(words))
    page_statement, count_statement = _statements(shape)
    if shape.counted_by == "count":
        values["total"] = connection.scalar(count_statement, values)
        if values["skipped"] >= values["total"]:
            return page_of([], page, page_size, values["total"])
    rows = page_statement.all(connection, values)
    keys = rows[0]._fields if rows else ()
    books = [dict(zip(keys, row, strict=True)) for row in rows]
    if books:
        total = books[0]["total"]
    elif shape.counted_by == "live book counter":
        total = connection.scalar(_LIVE_BOOKS) or 0
    else:
        total = connection.scalar(count_statement, values) if values["skipped"] else 0
    return page_of([present(book) for book in books], page, page_size, total)


def _shape_of(filters: Filters, ordering: str, words: int, typo_tolerant: bool) -> _Shape:
    text_filters = tuple(name for name in TEXT_FILTERS if getattr(filters, name) is not None)
    return _Shape(
        text_filters=text_filters,
        genre=filters.genre is not None,
        isbn=filters.isbn is not None,
        available=filters.available,
        words=words,
        typo_tolerant=typo_tolerant,
        ordering=ordering,
        counted_by=_counted_by(filters, bool(words), text_filters),
    )


def _filter_values(filters: Filters, shape: _Shape) -> dict[str, Any]:
    values = {f"{name}_pattern": contains_pattern(getattr(filters, name)) for name in shape.text_filters}
    if shape.isbn:
        values["isbn"] = filters.isbn
    return values


def _ordering(ordering: str | None, searching: bool) -> str:
    ordering = ordering or ("relevance" if searching else "title")
    if ordering == "relevance" and not searching:
        raise ValidationFailed(
            "ordering=relevance needs search", errors=[{"field": "ordering", "message": "relevance needs a search"}]
        )
    return ordering


def _counted_by(filters: Filters, searching: bool, text_filters: tuple[str, ...]) -> str:
    """How the page learns the total: the live-book counter (no filter), a window count over the matches (when the
    database rechecks rows anyway: a search or a partial-text filter), or a separate count (index-only)."""
    if not filters.given():
        return "live book counter"
    return "window" if searching or text_filters else "count"


_LIVE_BOOKS = select(models.catalogue_counts.c.live_books)
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


@lru_cache(maxsize=256)
def _statements(shape: _Shape) -> tuple[db.Prebuilt, Select]:
    """The page of `shape` (each book's SHOWN_COLUMNS and the total) and the count of its matches."""
    # The page is chosen among the matching books, then joined to everything a book response shows.
    match, rank = _search_match(MATCHED, shape) if shape.words else (None, None)
    conditions = _conditions(MATCHED, shape, match)
    chosen = _chosen(MATCHED, conditions, shape.ordering, rank, shape.counted_by)
    chosen = chosen.limit(bindparam("page_size", type_=Integer)).offset(bindparam("skipped", type_=Integer))
    chosen_page = chosen.subquery("chosen")
    total_column: Any
    if shape.counted_by == "live book counter":
        total_column = _LIVE_BOOKS.scalar_subquery()
    elif shape.counted_by == "window":
        total_column = chosen_page.c.total
    else:
        total_column = bindparam("total", type_=Integer)
    page_statement = (
        _SHOWN.add_columns(total_column.label("total"))
        .join(chosen_page, BOOKS.c.id == chosen_page.c.id)
        .order_by(*_order_by(BOOKS, shape.ordering, chosen_page.c.rank if shape.ordering == "relevance" else None))
    )
    return db.Prebuilt(page_statement), select(func.count()).where(*conditions)


def genres(session: Session, page: int, page_size: int) -> dict[str, Any]:
    counted = (
        select(models.Book.genre.label("name"), func.count().label("book_count"))
        .where(catalogue.is_live(models.Book), models.Book.genre.is_not(None))
        .group_by(models.Book.genre)
    )
    return _grouped_page(session, counted, [func.lower(models.Book.genre), models.Book.genre], page, page_size)


def authors(
    session: Session, search: str | None, ordering: AuthorOrdering, page: int, page_size: int
) -> dict[str, Any]:
    counted = (
        select(models.Book.author.label("name"), func.count().label("book_count"))
        .where(catalogue.is_live(models.Book))
        .group_by(models.Book.author)
    )
    if search is not None:
        counted = counted.where(models.Book.author.ilike(contains_pattern(search)))
    by_name = [func.lower(models.Book.author), models.Book.author]
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
