"""Request and response models of the books function (the catalogue, imports, covers and reviews)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from library_books import isbn as isbns
from library_common import models
from library_common.domain import text as stored_text
from library_common.domain.statuses import ImportStatus, values
from library_common.envelope import CalendarDay, Schema, trimmed

MAX_QUANTITY = 100_000
MAX_DESCRIPTION = 20_000
# The longest text each field takes: the column's length (the description is unbounded text in the database,
# so its limit is the API's). The CSV import checks the same limits.
TEXT_LIMITS = {
    **{name: models.books.c[name].type.length for name in ("title", "author", "publisher", "publication", "genre")},
    "language": models.books.c.language.type.length,
    "description": MAX_DESCRIPTION,
}

_REQUIRED: Any = ...


# Each text field's limits hold for it as sent, as the document states them; its surrounding whitespace goes after.
Title = trimmed(min_length=1, max_length=TEXT_LIMITS["title"])
AuthorName = trimmed(min_length=1, max_length=TEXT_LIMITS["author"])
Isbn = trimmed()
Publisher = trimmed(max_length=TEXT_LIMITS["publisher"])
Publication = trimmed(max_length=TEXT_LIMITS["publication"])
GenreName = trimmed(max_length=TEXT_LIMITS["genre"])
Language = trimmed(max_length=TEXT_LIMITS["language"])
Description = trimmed(max_length=TEXT_LIMITS["description"])


def _title(default: Any = _REQUIRED) -> Any:
    return Field(default, description=f"Title (at most {TEXT_LIMITS['title']} characters)")


def _author(default: Any = _REQUIRED) -> Any:
    return Field(default, description="Author, as it should be shown and searched")


def _quantity(default: int | None) -> Any:
    return Field(
        default,
        ge=0,
        le=MAX_QUANTITY,
        description="Copies the library owns. Lowering it below the copies on loan or on the hold shelf is 409.",
    )


_ISBN = Field(
    default=None,
    description="ISBN-10 or ISBN-13, hyphens and spaces allowed; checksum verified and stored as ISBN-13. "
    "Unique among books in the catalogue (409 `DUPLICATE_ISBN`).",
    examples=["978-0-441-17271-9"],
)
_PUBLICATION = Field(default=None, description="Edition, series or imprint details")
_LANGUAGE = Field(default=None, examples=["English"])
OPTIONAL_TEXT = ("isbn", "publisher", "publication", "genre", "language", "description")
SINGLE_LINE_TEXT = ("title", "author", "isbn", "publisher", "publication", "genre", "language")


def _storable(value: Any) -> Any:
    # PostgreSQL text holds neither NUL nor unpaired surrogates (which JSON's \ud800 escapes can produce).
    if isinstance(value, str) and ("\x00" in value or (not value.isascii() and _unencodable(value))):
        raise PydanticCustomError("text", "must not contain NUL or unpaired surrogate characters")
    return value


def _one_line(value: Any) -> Any:
    problem = stored_text.single_line_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise PydanticCustomError("single_line", problem)
    return value


def _multiline(value: Any) -> Any:
    problem = stored_text.multiline_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise PydanticCustomError("text", problem)
    return value


def _unencodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _valid_isbn(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return isbns.normalize(value)
    except isbns.InvalidIsbn as error:
        raise PydanticCustomError("isbn", str(error)) from None


class _BookBody(Schema):
    """What a book's bodies share: every field a librarian writes, its limits and its checks (with POST's and
    PUT's defaults; PATCH has none)."""

    model_config = ConfigDict(extra="forbid")

    title: Title = _title()
    author: AuthorName = _author()
    isbn: Isbn | None = _ISBN
    publisher: Publisher | None = None
    publication: Publication | None = _PUBLICATION
    published_date: CalendarDay | None = None
    genre: GenreName | None = None
    language: Language | None = _LANGUAGE
    description: Description | None = None
    quantity: StrictInt = _quantity(1)

    @field_validator(*OPTIONAL_TEXT, mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("*")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return _storable(value)

    @field_validator(*SINGLE_LINE_TEXT)
    @classmethod
    def _single_line(cls, value: Any) -> Any:
        return _one_line(value)

    @field_validator("description")
    @classmethod
    def _description_text(cls, value: Any) -> Any:
        return _multiline(value)

    @field_validator("isbn")
    @classmethod
    def _isbn(cls, value: str | None) -> str | None:
        return _valid_isbn(value)


class BookIn(_BookBody):
    """A whole book: the body of POST /books and PUT /books/{id} (fields left out are cleared)."""


class BookPatch(_BookBody):
    """Some fields of a book: the body of PATCH /books/{id}; only the fields sent change."""

    # Left out: unchanged. Sent: a value, never null (these fields are required of every book), as documented.
    title: Title = _title(None)
    author: AuthorName = _author(None)
    quantity: StrictInt = _quantity(None)


class Book(Schema):
    id: int
    title: str
    author: str
    isbn: str | None = Field(description="ISBN-13")
    publisher: str | None
    publication: str | None
    published_date: date | None
    genre: str | None
    language: str | None
    description: str | None
    quantity: int = Field(description="Copies the library owns")
    copies_available: int = Field(description="quantity - on_loan - on_hold_shelf: copies a member can borrow now")
    is_available: bool = Field(description="copies_available > 0")
    on_loan: int = Field(description="Copies out on loan")
    on_hold_shelf: int = Field(description="Copies kept on the hold shelf for a member whose hold is ready")
    holds_waiting: int = Field(description="Members queued for the next free copy")
    average_rating: float | None = Field(description="Mean review rating, 2 decimals; null without reviews")
    review_count: int
    cover_url: str | None = Field(description="Pre-signed URL of the cover image (valid for an hour), or null")
    created_by: int | None
    updated_by: int | None
    created_on: datetime
    updated_on: datetime


class BookRemoved(Schema):
    id: int
    archived: bool = Field(description="true: kept with its history but hidden; false: erased (it had no history)")


class IsbnHolder(Schema):
    id: int
    title: str
    author: str


class IsbnCheck(Schema):
    isbn: str = Field(description="The text checked, as sent")
    valid: bool = Field(description="A well-formed ISBN-10 or ISBN-13 with a matching check digit")
    isbn_13: str | None = Field(description="Its ISBN-13 form (how it is stored); null when not valid")
    message: str = Field(description="The verdict in words: why it is not valid, or that it is (and where it is used)")
    book: IsbnHolder | None = Field(description="The catalogue's book with this ISBN (a new book would be a duplicate)")


class Genre(Schema):
    name: str
    book_count: int


class Author(Schema):
    name: str
    book_count: int


class ReviewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    rating: StrictInt = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=models.reviews.c.comment.type.length)

    @field_validator("comment")
    @classmethod
    def _text_is_storable(cls, value: str | None) -> str | None:
        return _multiline(_storable(value))


class Review(Schema):
    id: int
    book_id: int
    user_id: int
    user_name: str = Field(description="The reviewer's name as shown to readers")
    rating: int
    comment: str | None
    created_on: datetime


class MemberReview(Review):
    book_title: str = Field(description="The reviewed book's title")


class ReviewRemoved(Schema):
    id: int
    book_id: int


class CoverRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/webp"] = Field(
        description="The image's type; the upload must send exactly this Content-Type"
    )


class PresignedUpload(Schema):
    url: str = Field(description="POST a multipart/form-data form here: every field below, then `file` last")
    fields: dict[str, str]
    max_bytes: int
    expires_in: int = Field(description="Seconds the form stays valid")


class CoverUpload(PresignedUpload):
    key: str = Field(description="Where the image will be stored; it becomes the cover once uploaded")
    content_type: str


class ImportRowError(Schema):
    row: int | None = Field(description="Row number in the file, counting the header as row 1; null for the file")
    field: str | None = Field(description="Column at fault, or null for the whole row")
    message: str


class ImportReport(Schema):
    rows: int = Field(description="Data rows read (blank lines skipped)")
    created: int
    updated: int
    failed: int
    errors: list[ImportRowError] = Field(description="Row errors in file order; at most the first 1,000")
    errors_truncated: bool = Field(description="true when more rows failed than `errors` lists")
    dry_run: bool = Field(description="true: validated and counted only, nothing saved")
    atomic: bool
    applied: bool = Field(description="Whether the good rows were saved")


class ImportJob(Schema):
    id: int
    status: Literal[values(ImportStatus)] = Field(
        description="pending: waiting for the upload; running; succeeded; failed (see `message`)"
    )
    dry_run: bool
    atomic: bool
    rows_total: int = Field(description="Data rows in the file, known once the job starts")
    rows_done: int = Field(description="Rows processed so far")
    created: int
    updated: int
    failed: int
    errors: list[ImportRowError]
    message: str | None
    created_on: datetime
    finished_on: datetime | None


class ImportJobStarted(Schema):
    job: ImportJob
    upload: PresignedUpload
