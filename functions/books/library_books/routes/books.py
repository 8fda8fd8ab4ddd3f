"""/books and /books/{id}: the catalogue list, one book, and staff changes to it; /books/{id}/cover."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_books import isbn as isbns
from library_books.logic import books, covers, listing
from library_books.routes.params import NO_NUL, BookId, text_filter
from library_books.schemas import Book, BookIn, BookPatch, BookRemoved, CoverRequest, CoverUpload, IsbnCheck
from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import BOOKS_CREATE, BOOKS_DELETE, BOOKS_UPDATE
from library_common.envelope import Envelope, Page, PageNumber, PageSize, created, ok
from library_common.errors import ValidationFailed

router = APIGatewayRouter()
TAGS = ["Books"]

LIST_DESCRIPTION = (
    "Anyone may read the catalogue; archived books never appear. Text filters match case-insensitively "
    "anywhere in the field (`title=ring` finds *The Lord of the Rings*); `isbn` matches exactly, in any "
    "ISBN-10/13 form; `available=true` lists books with a copy free now, `false` those without. `search` is "
    "ranked full-text search over title (weighted highest), author, then description: every word must match, "
    "words of 3+ letters also as prefixes, descriptions also by English stem; when no book matches every word, "
    "the search is tried again tolerating typos (trigram similarity to the title or author: `hobit` finds *The "
    "Hobbit*). Filters combine with AND. "
    "`ordering`: a field name, `-` for descending; books without a value sort last; the default is `title`, "
    "or `relevance` (best match first) with `search`. A page past the end has empty `items`."
)


@router.get("/books", summary="List and search the catalogue", description=LIST_DESCRIPTION, tags=TAGS)
@router.get(
    "/book",
    summary="List and search the catalogue (old path)",
    description="The same as GET /books, kept for older clients.",
    tags=TAGS,
    deprecated=True,
)
def list_books(
    title: Annotated[str | None, text_filter("Part of the title")] = None,
    author: Annotated[str | None, text_filter("Part of the author's name")] = None,
    publisher: Annotated[str | None, text_filter("Part of the publisher")] = None,
    publication: Annotated[str | None, text_filter("Part of the edition or series details")] = None,
    genre: Annotated[str | None, text_filter("Part of the genre")] = None,
    language: Annotated[str | None, text_filter("Part of the language")] = None,
    isbn: Annotated[str | None, text_filter("Exact ISBN, ISBN-10 or ISBN-13, hyphens allowed")] = None,
    available: Annotated[bool | None, Query(description="true: a copy is free now; false: none is")] = None,
    search: Annotated[str | None, text_filter("Words to search for, ranked by relevance")] = None,
    ordering: Annotated[listing.Ordering | None, Query(description="Sort field; prefix - for descending")] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[Book]]]:
    try:
        isbn_13 = isbns.normalize(isbn) if isbn is not None else None
    except isbns.InvalidIsbn as error:
        raise ValidationFailed(errors=[{"field": "isbn", "message": str(error)}]) from None
    filters = listing.Filters(
        title=title,
        author=author,
        publisher=publisher,
        publication=publication,
        genre=genre,
        language=language,
        isbn=isbn_13,
        available=available,
        search=search,
    )
    with db.reading() as connection:
        return ok(listing.list_books(connection, filters, ordering, page, page_size))


@router.get(
    "/isbn-check",
    summary="Check an ISBN: is it valid, its ISBN-13, and which book has it",
    description=(
        "Anyone. For forms that check an ISBN as it is typed. Always 200 with the verdict: `valid` false and "
        "`message` saying why (wrong length, check digit, prefix), or true with the ISBN-13 and, in `book`, the "
        "catalogue's book that already has it (POST /books with it would be 409 `DUPLICATE_ISBN`)."
    ),
    tags=TAGS,
)
def check_isbn(
    isbn: Annotated[
        str, Query(min_length=1, max_length=40, pattern=NO_NUL, description="ISBN-10 or ISBN-13, as typed")
    ],
) -> Response[Envelope[IsbnCheck]]:
    with db.transaction() as session:
        return ok(books.check_isbn(session, isbn))


@router.post(
    "/books",
    summary="Add a book to the catalogue",
    status_code=201,
    description="Needs `books.create`. 409 `DUPLICATE_ISBN` when a book in the catalogue has the ISBN.",
    tags=TAGS,
    security=SECURED,
)
def create_book(book: BookIn) -> Response[Envelope[Book]]:
    caller().require(BOOKS_CREATE)
    with db.transaction() as session:
        return created(books.create_book(session, book.model_dump()), "Book created")


@router.get("/books/<book_id>", summary="One book, with its availability", tags=TAGS)
def read_book(book_id: BookId) -> Response[Envelope[Book]]:
    with db.transaction() as session:
        return ok(books.get_book(session, book_id))


@router.put(
    "/books/<book_id>",
    summary="Replace a book",
    description=(
        "Needs `books.update`. Every field is replaced; optional fields left out are cleared. 409 "
        "`QUANTITY_BELOW_COPIES_OUT` when `quantity` is below the copies on loan or on the hold shelf, "
        "`DUPLICATE_ISBN` when another book has the ISBN."
    ),
    tags=TAGS,
    security=SECURED,
)
def replace_book(book_id: BookId, book: BookIn) -> Response[Envelope[Book]]:
    caller().require(BOOKS_UPDATE)
    with db.transaction() as session:
        return ok(books.change_book(session, book_id, book.model_dump()), "Book replaced")


@router.patch(
    "/books/<book_id>",
    summary="Change some fields of a book",
    description=(
        "Needs `books.update`. Only the fields sent change; send null to clear an optional field. 409 as for PUT."
    ),
    tags=TAGS,
    security=SECURED,
)
def update_book(book_id: BookId, changes: BookPatch) -> Response[Envelope[Book]]:
    caller().require(BOOKS_UPDATE)
    with db.transaction() as session:
        return ok(books.change_book(session, book_id, changes.model_dump(exclude_unset=True)), "Book updated")


@router.delete(
    "/books/<book_id>",
    summary="Remove a book from the catalogue",
    description=(
        "Needs `books.delete`. A book that was ever borrowed or queued for is archived: hidden from the "
        "catalogue and no longer borrowable, its loans, holds and reviews kept. One without history is erased. "
        "409 `COPIES_OUT` while copies are on loan or on the hold shelf, `HOLDS_WAITING` while members queue."
    ),
    tags=TAGS,
    security=SECURED,
)
def remove_book(book_id: BookId) -> Response[Envelope[BookRemoved]]:
    caller().require(BOOKS_DELETE)
    with db.transaction() as session:
        removed = books.remove_book(session, book_id)
    return ok(removed, "Book archived" if removed["archived"] else "Book deleted")


@router.post(
    "/books/<book_id>/cover",
    summary="Get a form to upload a cover image",
    description=(
        "Needs `books.update`. Answers a pre-signed S3 POST: send a multipart/form-data POST to `url` with every "
        "entry of `fields`, then the image as `file`. S3 refuses another content type or a file over 5 MB. Once "
        "stored, the image becomes the book's cover (`cover_url`). 503 `STORAGE_NOT_CONFIGURED` where no covers "
        "bucket is set (local runs)."
    ),
    tags=TAGS,
    security=SECURED,
)
def cover_upload(book_id: BookId, request: CoverRequest) -> Response[Envelope[CoverUpload]]:
    caller().require(BOOKS_UPDATE)
    with db.transaction() as session:
        return ok(covers.cover_upload(session, book_id, request.content_type), "Upload the cover with this form")
