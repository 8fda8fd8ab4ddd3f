"""The catalogue list's queries use their indexes on a catalogue large enough for the planner to care.

Each test runs the real GET /books query (captured as the handler sends it) under EXPLAIN, so a change that
makes a filter fall back to reading every row fails here rather than in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from library_common import db
from tests.test_books_support import anonymous

BOOKS = 30_000
GENRES = [
    "Fantasy",
    "Science Fiction",
    "Mystery",
    "Romance",
    "History",
    "Poetry",
    "Drama",
    "Travel",
    "Science",
    "Horror",
]


@pytest.fixture(scope="module")
def large_catalogue(engine):
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE books CASCADE"))
        connection.execute(
            text(
                "INSERT INTO books (title, author, genre, language, description, quantity, copies_on_loan) "
                "SELECT 'Volume ' || g || CASE WHEN mod(g, 500) = 0 THEN ' of the Lighthouse Keeper' ELSE '' END, "
                "       'Author ' || mod(g, 3000), (CAST(:genres AS text[]))[1 + mod(g, 10)], 'English', "
                "       'A story about ' || CASE WHEN mod(g, 700) = 0 THEN 'stormy harbours' ELSE 'quiet days' END, "
                "       2, mod(g, 3) "
                "FROM generate_series(1, :n) AS g"
            ),
            {"n": BOOKS, "genres": GENRES},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE books"))
    yield
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE books CASCADE"))


@contextmanager
def statements_sent() -> Iterator[list[tuple[str, tuple]]]:
    sent: list[tuple[str, tuple]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany):
        sent.append((statement, parameters))

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_of_list(query: dict[str, str], marker: str) -> str:
    """The plan of the statement, among those GET /books sent, that contains `marker`."""
    with statements_sent() as sent:
        status, body = anonymous("list_books", query=query)
    assert status == 200, body
    statement, parameters = next((s, p) for s, p in sent if marker in s)
    with db.get_engine().connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_title_filter_uses_the_trigram_index(large_catalogue):
    plan = plan_of_list({"title": "lighthouse"}, "OVER ()")
    assert "ix_books_title_trgm" in plan and "Seq Scan on books" not in plan, plan


def test_a_search_uses_the_full_text_index(large_catalogue):
    plan = plan_of_list({"search": "stormy harbours"}, "OVER ()")
    assert "ix_books_search_vector" in plan and "Seq Scan on books" not in plan, plan


def test_available_in_a_genre_is_counted_from_the_genre_index_alone(large_catalogue):
    plan = plan_of_list({"available": "true", "genre": "fantasy"}, "count(*)")
    assert "Index Only Scan using ix_books_genre_newest" in plan, plan


def test_the_unfiltered_list_reads_its_page_from_the_title_index(large_catalogue):
    plan = plan_of_list({"page": "50"}, "ORDER BY lower(books.title)")
    assert "ix_books_live_title" in plan and "Seq Scan on books" not in plan, plan


def test_an_author_filter_counts_its_matches_through_the_trigram_index_not_the_title_order(large_catalogue):
    # PostgreSQL before 17 would walk ix_books_live_title re-checking every row to serve the page's order
    # (listing._chosen_after_counting).
    plan = plan_of_list({"author": "author 12"}, "OVER ()")
    assert "ix_books_author_trgm" in plan and "ix_books_live_title" not in plan, plan
