"""A title is in the catalogue until it is archived: the one definition of a live book.

An archived book keeps its history (loans, fines, reviews) but is no longer listed, lent, queued for, reviewed,
given a cover or matched by ISBN. `is_live` is the rule over a loaded book (Python) and over columns (SQL);
`live_sql` writes the same expression as text for `text()` statements and partial indexes.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import column, literal_column
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.operators import ColumnOperators

from library_common.errors import NotFound


def is_live(book: Any) -> Any:
    """Not archived: for `Book` or a table's columns the SQL condition, for a loaded book or a row a bool."""
    archived_on = book.archived_on
    if isinstance(archived_on, ColumnOperators):
        return archived_on.is_(None)
    return archived_on is None


def live_sql(alias: str | None = None) -> str:
    """`is_live` as SQL text over the books table named `alias` in the statement, or over its bare columns."""
    archived_on = literal_column(f"{alias}.archived_on") if alias else column("archived_on")
    return str(is_live(SimpleNamespace(archived_on=archived_on)).compile(dialect=postgresql.dialect()))


def book_not_found() -> NotFound:
    """What a request about a missing or archived book is answered."""
    return NotFound("Book not found", code="BOOK_NOT_FOUND")
