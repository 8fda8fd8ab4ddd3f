"""One book: what a reader sees of it, and the rules for creating, changing and removing it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import exists, func, select
from sqlalchemy.exc import DBAPIError

from library_books import isbn as isbns
from library_books.logic import covers
from library_common import models
from library_common.db import violated_constraint
from library_common.domain import catalogue, holds
from library_common.domain.availability import copies_free, copies_out
from library_common.domain.catalogue import book_not_found
from library_common.errors import Conflict

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

ISBN_INDEX = "uq_books_isbn_live"


class _Copies(NamedTuple):
    """A book's copy counters, as the availability rule reads them."""

    quantity: int
    copies_on_loan: int
    copies_on_hold_shelf: int


# Reads go through the tables themselves (SQLAlchemy Core): a list page skips the ORM's row loading.
BOOKS = models.books
_HOLDS_WAITING = holds.waiting_count(BOOKS.c.id).correlate(BOOKS).label("holds_waiting")
# What a librarian writes of a book: a body's fields, an import file's columns.
WRITTEN_COLUMNS = (
    "title",
    "author",
    "isbn",
    "publisher",
    "publication",
    "published_date",
    "genre",
    "language",
    "description",
    "quantity",
)
# Everything a book response needs, in one row per book.
SHOWN_COLUMNS = (
    *(
        BOOKS.c[name]
        for name in (
            "id",
            *WRITTEN_COLUMNS,
            "copies_on_loan",
            "copies_on_hold_shelf",
            "review_count",
            "rating_total",
            "cover_key",
            "created_by",
            "updated_by",
            "created_on",
            "updated_on",
        )
    ),
    _HOLDS_WAITING,
)


def require_live_book(session: Session, book_id: int) -> None:
    if not session.scalar(select(exists().where(models.Book.id == book_id, catalogue.is_live(models.Book)))):
        raise book_not_found()


def present(book: dict[str, Any]) -> dict[str, Any]:
    """The API's view of a book from its SHOWN_COLUMNS (as a dict, changed in place): derived availability, rating
    and a cover URL next to the stored fields. A list page builds each dict from the result's keys and the row's
    values: reading twenty attributes of a SQLAlchemy Row one by one cost ~11 us a book, this ~5."""
    on_loan, on_hold_shelf = book.pop("copies_on_loan"), book.pop("copies_on_hold_shelf")
    rating_total, cover_key = book.pop("rating_total"), book.pop("cover_key")
    book.pop("total", None)  # a list page's count, not the book's
    copies_available = copies_free(_Copies(book["quantity"], on_loan, on_hold_shelf))
    book.update(
        copies_available=copies_available,
        is_available=copies_available > 0,
        on_loan=on_loan,
        on_hold_shelf=on_hold_shelf,
        average_rating=round(rating_total / book["review_count"], 2) if book["review_count"] else None,
        cover_url=covers.cover_url(cover_key),
    )
    return book


def get_book(session: Session, book_id: int) -> dict[str, Any]:
    row = session.execute(select(*SHOWN_COLUMNS).where(BOOKS.c.id == book_id, catalogue.is_live(BOOKS.c))).first()
    if row is None:
        raise book_not_found()
    return present(row._asdict())


@contextmanager
def _isbn_stays_unique() -> Iterator[None]:
    # The partial unique index decides, so two requests racing for one ISBN cannot both win.
    try:
        yield
    except DBAPIError as error:
        if violated_constraint(error) == ISBN_INDEX:
            raise Conflict("Another book in the catalogue already has this ISBN", code="DUPLICATE_ISBN") from None
        raise


def create_book(session: Session, fields: dict[str, Any]) -> dict[str, Any]:
    book = models.Book(**fields)
    session.add(book)
    with _isbn_stays_unique():
        session.flush()
    return get_book(session, book.id)


def _live_book_locked(session: Session, book_id: int) -> models.Book:
    # The lock orders this change after any loan, return or hold that is moving a copy of the book right now.
    book = session.scalars(
        select(models.Book).where(models.Book.id == book_id, catalogue.is_live(models.Book)).with_for_update()
    ).one_or_none()
    if book is None:
        raise book_not_found()
    return book


def change_book(session: Session, book_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """PUT (every field) and PATCH (the fields sent); quantity may not drop below the copies that are out.

    New copies go to the members waiting for the title first, in queue order, as a returned copy would.
    """
    book = _live_book_locked(session, book_id)
    out = copies_out(book)
    quantity_before = book.quantity
    if changes.get("quantity") is not None and changes["quantity"] < out:
        raise Conflict(
            f"{out} copies are on loan or on the hold shelf; quantity cannot be lower than that",
            code="QUANTITY_BELOW_COPIES_OUT",
        )
    for name, value in changes.items():
        setattr(book, name, value)
    with _isbn_stays_unique():
        session.flush()
    if book.quantity > quantity_before:
        holds.serve_waiting_holds(session, book_id)
    return get_book(session, book_id)


def remove_book(session: Session, book_id: int) -> dict[str, Any]:
    """Erases a book nobody ever borrowed or queued for; archives one with history, so that history stays whole."""
    book = _live_book_locked(session, book_id)
    if book.copies_on_loan:
        raise Conflict(f"{book.copies_on_loan} copies are still on loan", code="COPIES_OUT")
    if book.copies_on_hold_shelf:
        raise Conflict(f"{book.copies_on_hold_shelf} copies wait on the hold shelf for members", code="COPIES_OUT")
    waiting = session.scalar(select(holds.waiting_count(book_id)))
    if waiting:
        raise Conflict(f"{waiting} members are waiting for this book; cancel their holds first", code="HOLDS_WAITING")
    has_history = session.scalar(
        select(exists().where(models.Loan.book_id == book_id) | exists().where(models.Hold.book_id == book_id))
    )
    if has_history:
        book.archived_on = func.now()
    else:
        session.delete(book)
    session.flush()
    return {"id": book_id, "archived": bool(has_history)}


def check_isbn(session: Session, raw: str) -> dict[str, Any]:
    """The verdict on an ISBN as a form types it: valid or why not, its ISBN-13, and the catalogue book having it."""
    try:
        isbn_13 = isbns.normalize(raw)
    except isbns.InvalidIsbn as error:
        return {"isbn": raw, "valid": False, "isbn_13": None, "message": str(error), "book": None}
    found = session.execute(
        select(BOOKS.c.id, BOOKS.c.title, BOOKS.c.author).where(BOOKS.c.isbn == isbn_13, catalogue.is_live(BOOKS.c))
    ).first()
    book = {"id": found.id, "title": found.title, "author": found.author} if found else None
    message = f"Already in the catalogue: {found.title}" if found else f"Valid ISBN (ISBN-13 {isbn_13})"
    return {"isbn": raw, "valid": True, "isbn_13": isbn_13, "message": message, "book": book}
