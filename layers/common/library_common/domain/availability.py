"""Copies of a title: how many are free, and how many are out.

One definition that is both the SQL expression and the Python rule: given the mapped class `Book` (or a
table's columns, `books.c`) it builds the expression; given a loaded book or a row it computes the number.
"""

from __future__ import annotations

from typing import Any


def copies_free(book: Any) -> Any:
    """Copies on the shelf: the quantity less those on loan and those waiting on the hold shelf."""
    return book.quantity - book.copies_on_loan - book.copies_on_hold_shelf


def copies_out(book: Any) -> Any:
    """Copies a member has or that wait for one: the quantity may not drop below this."""
    return book.copies_on_loan + book.copies_on_hold_shelf
