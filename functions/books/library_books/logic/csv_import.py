"""CSV import: every row validated in Python, the good ones upserted by ISBN in a few set-based statements.

Rows are read in chunks, one validated while the database writes the one before. A chunk of new books (none
of its ISBNs in the catalogue) goes into books with one COPY, as the database's own bulk load. Any other chunk
goes to a temporary table with one COPY, then two statements write it: an UPDATE of the live books whose ISBN
a row carries, and an INSERT of the rest (rows without an ISBN are always new books). Both check the copies
rule in SQL, so a quantity below the copies out on loan or on the hold shelf fails that row and nothing else.
The ORM never sees a row: that is what makes 100,000 rows a matter of seconds.

Semantics, as the OpenAPI document states them:
- the header names the columns (any order, case-insensitive); title and author are required;
- an empty cell means "not given": a new book gets the default (quantity 1, otherwise null), an existing one
  keeps its value; `published_date` may be YYYY-MM-DD or a year (stored as 1 January);
- rows are numbered as a spreadsheet shows them (the header is row 1); blank lines are skipped;
- a row repeating an ISBN of an earlier row fails; bad rows never stop good ones unless `atomic`;
- `dry_run` does all of it, then rolls back: the counts are exactly what a real run would do.
"""

from __future__ import annotations

import contextvars
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice, repeat
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from library_books import isbn as isbns
from library_books.logic.books import ISBN_INDEX, WRITTEN_COLUMNS
from library_books.schemas import MAX_QUANTITY, TEXT_LIMITS
from library_common import db, metrics, models
from library_common.db import violated_constraint
from library_common.domain import catalogue, holds
from library_common.domain import text as stored_text
from library_common.domain.availability import copies_out
from library_common.domain.statuses import HoldStatus
from library_common.envelope import TooLongAsSent, stripped_within
from library_common.errors import ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

COLUMNS = WRITTEN_COLUMNS
REQUIRED_COLUMNS = ("title", "author")
# The one text column that may span lines; every other is a single-line field (see library_common.domain.text).
MULTILINE = frozenset({"description"})
CHUNK_ROWS = 20_000
FIRST_CHUNK_ROWS = 5_000
MAX_REPORTED_ERRORS = 1_000
_ISBN = COLUMNS.index("isbn")
_TITLE = COLUMNS.index("title")
_AUTHOR = COLUMNS.index("author")
_QUANTITY = COLUMNS.index("quantity")

Progress = Callable[[int], None]


class _Written(NamedTuple):
    created: int
    updated: int
    refused: list[tuple[int, int]]  # (row number, copies out) of rows whose quantity is below the copies out


class _Rejected(ValueError):
    """A cell's value is unusable; the message is shown to the user as is."""


@dataclass
class ImportReport:
    dry_run: bool
    atomic: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.dry_run and not (self.atomic and self.failed)

    def fail(self, row: int, problems: list[tuple[str | None, str]]) -> None:
        self.failed += 1
        self.errors.extend({"row": row, "field": name, "message": message} for name, message in problems)

    def as_dict(self) -> dict[str, Any]:
        self.errors.sort(key=lambda error: error["row"] or 0)
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "failed": self.failed,
            "errors": self.errors[:MAX_REPORTED_ERRORS],
            "errors_truncated": len(self.errors) > MAX_REPORTED_ERRORS,
            "dry_run": self.dry_run,
            "atomic": self.atomic,
            "applied": self.applied,
        }


# --- cells ---------------------------------------------------------------------------------------------------


def _text_cleaner(limit: int, problem: Callable[[str], str | None]) -> Callable[[str], str | None]:
    def clean(value: str) -> str | None:
        try:
            value = stripped_within(value, limit)
        except TooLongAsSent as too_long:
            raise _Rejected(str(too_long)) from None
        if not value:
            return None
        reason = problem(value)
        if reason is not None:
            raise _Rejected(reason)
        return value

    return clean


def _clean_isbn(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        return isbns.normalize(value)
    except isbns.InvalidIsbn as error:
        raise _Rejected(str(error)) from None


def _clean_date(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) == 4 and value.isascii() and value.isdigit() and value != "0000":
        return f"{value}-01-01"
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise _Rejected("must be a date YYYY-MM-DD or a year YYYY") from None


def _clean_quantity(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_QUANTITY:
        raise _Rejected(f"must be a whole number from 0 to {MAX_QUANTITY}")
    return int(value)


CLEANERS: dict[str, Callable[[str], Any]] = {
    **{
        name: _text_cleaner(
            limit, stored_text.multiline_problem if name in MULTILINE else stored_text.single_line_problem
        )
        for name, limit in TEXT_LIMITS.items()
    },
    "isbn": _clean_isbn,
    "published_date": _clean_date,
    "quantity": _clean_quantity,
}


# --- the file ------------------------------------------------------------------------------------------------


def _file_error(message: str, code: str, errors: list[dict[str, Any]] | None = None) -> ValidationFailed:
    return ValidationFailed(message, code=code, errors=errors or [{"field": "file", "message": message}])


def _columns(header: list[str]) -> list[str]:
    names = [name.strip().lstrip("\ufeff").strip().lower().replace(" ", "_") for name in header]
    problems = [{"field": name or "(blank)", "message": "is not a book field"} for name in names if name not in COLUMNS]
    problems += [{"field": name, "message": "appears twice"} for name in set(names) if names.count(name) > 1]
    problems += [{"field": name, "message": "is a required column"} for name in REQUIRED_COLUMNS if name not in names]
    if problems:
        raise _file_error(
            f"The header row must name book fields ({', '.join(COLUMNS)}) and include title and author",
            "CSV_BAD_HEADER",
            problems,
        )
    return names


def _records(stream: TextIO) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every record, the header being row 1."""
    row_number = 0
    try:
        for row_number, cells in enumerate(csv.reader(stream), start=1):
            yield row_number, cells
    except csv.Error as error:
        raise _file_error(f"Row {row_number + 1} is not valid CSV: {error}", "CSV_MALFORMED") from None


def count_data_rows(content: str) -> int:
    """Data rows in a CSV text, as the import counts them (for progress reports)."""
    try:
        return sum(1 for cells in csv.reader(io.StringIO(content)) if any(cell.strip() for cell in cells)) - 1
    except csv.Error:
        return 0


# --- the import ----------------------------------------------------------------------------------------------

_STAGING = """
    CREATE TEMP TABLE IF NOT EXISTS book_import (
        row_number integer, title text, author text, isbn text, publisher text, publication text,
        published_date date, genre text, language text, description text, quantity integer
    ) ON COMMIT DROP
"""
# Rows matching a live book's ISBN update it: an empty cell keeps the book's value. A book the row would
# not change is left alone (no new row version, no index entries), so re-importing a file costs what it
# changes; it still counts as updated. The copies rule is checked again on the row as it is when locked.
# The domain's rules, written into the set-based SQL below as SQLAlchemy compiles them (`b` is the books table).
COPIES_OUT_OF_B = str(copies_out(models.books.alias("b").c).compile(dialect=postgresql.dialect()))
WAITING = HoldStatus.WAITING.value
LIVE_B = catalogue.live_sql("b")
_UPDATE_EXISTING = f"""
    WITH matched AS (
        SELECT b.id, b.quantity AS quantity_before, s.title, s.author,
               coalesce(s.publisher, b.publisher) AS publisher,
               coalesce(s.publication, b.publication) AS publication,
               coalesce(s.published_date, b.published_date) AS published_date,
               coalesce(s.genre, b.genre) AS genre,
               coalesce(s.language, b.language) AS language,
               coalesce(s.description, b.description) AS description,
               coalesce(s.quantity, b.quantity) AS quantity,
               (b.title, b.author, b.publisher, b.publication, b.published_date, b.genre, b.language,
                b.description, b.quantity)
               IS DISTINCT FROM
               (s.title, s.author, coalesce(s.publisher, b.publisher), coalesce(s.publication, b.publication),
                coalesce(s.published_date, b.published_date), coalesce(s.genre, b.genre),
                coalesce(s.language, b.language), coalesce(s.description, b.description),
                coalesce(s.quantity, b.quantity)) AS changes
        FROM book_import AS s JOIN books AS b ON b.isbn = s.isbn AND {LIVE_B}
        WHERE coalesce(s.quantity, b.quantity) >= {COPIES_OUT_OF_B}
    ), updated AS (
        UPDATE books AS b SET
            title = m.title,
            author = m.author,
            publisher = m.publisher,
            publication = m.publication,
            published_date = m.published_date,
            genre = m.genre,
            language = m.language,
            description = m.description,
            quantity = m.quantity,
            updated_by = :actor,
            updated_on = now()
        FROM matched AS m
        WHERE b.id = m.id AND m.changes AND m.quantity >= {COPIES_OUT_OF_B}
        RETURNING b.id, m.quantity > m.quantity_before AS grew
    )
    SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM matched WHERE NOT changes) AS updated,
           ARRAY(SELECT u.id FROM updated AS u
                 WHERE u.grew AND EXISTS (SELECT 1 FROM holds AS h WHERE h.book_id = u.id AND h.status = '{WAITING}')
                 ORDER BY u.id) AS queues_to_serve
"""
# How many of a chunk's ISBNs (comma-separated) are live books' (once a file has shown it carries some, see
# _Import.write): when none is, the rows go straight into books. A correlated EXISTS in an aggregate's FILTER is
# never turned into a join, so however stale the statistics of a catalogue an import just grew, each ISBN is one
# index probe (as `isbn = ANY (...)` or as a join, stale statistics gave scans of every book, or worse).
_LIVE_MATCHES = f"""
    SELECT count(*) FILTER (
        WHERE EXISTS (SELECT 1 FROM books AS live WHERE live.isbn = s.isbn AND {catalogue.live_sql("live")})
    )
    FROM unnest(string_to_array(:isbns, ',')) AS s (isbn)
"""
_COPY_STAGED = f"COPY book_import (row_number, {', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
# New books, every column given: _Import.chunk fills in a new book's defaults (quantity 1, the importer). A COPY
# inserts rows in batches (heap_multi_insert), cheaper than an INSERT ... SELECT of the same rows.
_COPY_NEW = f"COPY books ({', '.join(COLUMNS)}, created_by, updated_by) FROM STDIN WITH (FORMAT csv)"
# Rows whose ISBN is not in the catalogue (and rows without one) become new books.
_INSERT_NEW = f"""
    INSERT INTO books AS b (
        title, author, isbn, publisher, publication, published_date, genre, language, description, quantity,
        created_by, updated_by
    )
    SELECT s.title, s.author, s.isbn, s.publisher, s.publication, s.published_date, s.genre, s.language,
           s.description, coalesce(s.quantity, 1), :actor, :actor
    FROM book_import AS s
    WHERE s.isbn IS NULL
       OR NOT EXISTS (SELECT 1 FROM books AS live WHERE live.isbn = s.isbn AND {catalogue.live_sql("live")})
"""
# The same, for when another transaction added one of those ISBNs meanwhile: ON CONFLICT turns that row's
# insert into the update above, under the same copies rule. (Speculative inserts cost more: only then.)
_UPSERT_NEW = f"""
    WITH written AS ({_INSERT_NEW}
        ON CONFLICT (isbn) WHERE {catalogue.live_sql()} DO UPDATE SET
            title = excluded.title,
            author = excluded.author,
            publisher = coalesce(excluded.publisher, b.publisher),
            publication = coalesce(excluded.publication, b.publication),
            published_date = coalesce(excluded.published_date, b.published_date),
            genre = coalesce(excluded.genre, b.genre),
            language = coalesce(excluded.language, b.language),
            description = coalesce(excluded.description, b.description),
            quantity = excluded.quantity,
            updated_by = excluded.updated_by,
            updated_on = now()
        WHERE excluded.quantity >= {COPIES_OUT_OF_B}
        RETURNING xmax = 0 AS created
    )
    SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated FROM written
"""
_COPIES_OUT = f"""
    SELECT s.row_number, {COPIES_OUT_OF_B} AS copies_out
    FROM book_import AS s JOIN books AS b ON b.isbn = s.isbn AND {LIVE_B}
    WHERE coalesce(s.quantity, b.quantity) < {COPIES_OUT_OF_B}
"""


class _Chunk(NamedTuple):
    """A chunk's valid rows as the database takes them, made ready on the validating thread: the writer thread's
    part of a chunk is its statements alone."""

    staged: list[list[Any]]  # [row number, *COLUMNS values]
    isbns: str  # their ISBNs, comma-separated, for _LIVE_MATCHES
    new_books: bytes  # the rows as _COPY_NEW data, should they all be new books


class _Import:
    def __init__(self, session: Session, columns: list[str], report: ImportReport):
        self.session = session
        self.report = report
        # For each cell position: where its value goes in a staged row, and how it is cleaned.
        self.plan = [(COLUMNS.index(name), name, CLEANERS[name]) for name in columns]
        self.width = len(columns)
        self.first_row_of_isbn: dict[str, int] = {}
        self.actor = db.current_actor.get()
        self.staging = False
        self.first_chunk, self.known_isbns = True, False
        # The probes' estimates cross jit_above_cost at a few thousand ISBNs; compiling them costs more than the
        # probes (~10 ms a chunk), and nothing else an import runs is worth it either. Until the transaction ends.
        session.execute(text("SET LOCAL jit = off"))

    def validate(self, records: Iterable[tuple[int, list[str]]]) -> list[list[Any]]:
        staged = []
        report = self.report
        plan, width, first_row_of_isbn = self.plan, self.width, self.first_row_of_isbn
        for row_number, cells in records:
            if not "".join(cells).strip():
                continue
            report.rows += 1
            if len(cells) > width:
                report.fail(row_number, [(None, f"has {len(cells)} cells; the header names {width} columns")])
                continue
            values: list[Any] = [None] * len(COLUMNS)
            problems: list[tuple[str | None, str]] = []
            for cell, (position, name, clean) in zip(cells, plan, strict=False):
                try:
                    values[position] = clean(cell)
                except _Rejected as rejected:
                    problems.append((name, str(rejected)))
            for position in (_TITLE, _AUTHOR):
                if values[position] is None and not any(name == COLUMNS[position] for name, _ in problems):
                    problems.append((COLUMNS[position], "is required"))
            isbn = values[_ISBN]
            if isbn is not None and not problems:
                first = first_row_of_isbn.setdefault(isbn, row_number)
                if first != row_number:
                    problems.append(("isbn", f"repeats the ISBN of row {first}"))
            if problems:
                report.fail(row_number, problems)
            else:
                staged.append([row_number, *values])
        return staged

    def chunk(self, staged: list[list[Any]]) -> _Chunk:
        isbns = ",".join(isbn for row in staged if (isbn := row[1 + _ISBN]) is not None)
        quantity, actor = 1 + _QUANTITY, self.actor
        buffer = io.StringIO()
        csv.writer(buffer).writerows(
            [*row[1:quantity], 1 if row[quantity] is None else row[quantity], *row[quantity + 1 :], actor, actor]
            for row in staged
        )
        return _Chunk(staged, isbns, buffer.getvalue().encode())

    def write(self, chunk: _Chunk) -> _Written:
        """Adds or upserts validated rows. Runs on the writer thread: it touches the session, never the report.

        The first chunk's ISBNs are looked up, and every chunk's once one has carried a known ISBN; a chunk with
        none is taken for new books, and the unique index has the last word. So a file of new books costs one
        look-up of 5,000 ISBNs, and only a file whose known ISBNs all come after its first chunk has one COPY refused
        (its ERROR line in the server's log)."""
        if not chunk.staged:
            return _Written(0, 0, [])
        look_up, self.first_chunk = self.known_isbns or self.first_chunk, False
        if not (look_up and self._live_matches(chunk)) and self._added(chunk):
            return _Written(len(chunk.staged), 0, [])
        self.known_isbns = True
        return self._upserted(chunk.staged)

    def _live_matches(self, chunk: _Chunk) -> int:
        return self.session.execute(text(_LIVE_MATCHES), {"isbns": chunk.isbns}).scalar()

    def _added(self, chunk: _Chunk) -> bool:
        """The rows as new books; False, having written nothing, when the unique index refuses one of their ISBNs
        (a live book's: the file updates it, or another transaction has just added it)."""
        try:
            with self.session.begin_nested():
                db.copy_from(self.session, _COPY_NEW, chunk.new_books)
        except DBAPIError as error:
            if violated_constraint(error) != ISBN_INDEX:
                raise
            return False
        return True

    def _upserted(self, staged: list[list[Any]]) -> _Written:
        """Rows of which some carry a live book's ISBN: staged, then an UPDATE of those books and an INSERT of the
        rest, each under the copies rule."""
        session = self.session
        buffer = io.StringIO()
        csv.writer(buffer).writerows(staged)
        session.execute(text("TRUNCATE book_import" if self.staging else _STAGING))
        self.staging = True
        db.copy_from(session, _COPY_STAGED, buffer.getvalue().encode())
        actor = {"actor": self.actor}
        try:
            with session.begin_nested():
                updated, queues_to_serve = session.execute(text(_UPDATE_EXISTING), actor).one()
                created, raced = session.execute(text(_INSERT_NEW), actor).rowcount, 0
        except DBAPIError as error:
            if violated_constraint(error) != ISBN_INDEX:
                raise
            # Another transaction added one of these ISBNs: again, seeing it now, and upserting the rest.
            updated, queues_to_serve = session.execute(text(_UPDATE_EXISTING), actor).one()
            written = session.execute(text(_UPSERT_NEW), actor).one()
            created, raced = written.created, written.updated
        # New copies go to the members waiting for the title first, as when a librarian raises the quantity;
        # the UPDATE above holds those books' row locks.
        for book_id in queues_to_serve:
            holds.serve_waiting_holds(session, book_id)
        refused = []
        if updated + created + raced < len(staged):
            refused = [(row.row_number, row.copies_out) for row in session.execute(text(_COPIES_OUT))]
        return _Written(created, updated + raced, refused)

    def count(self, written: _Written) -> None:
        self.report.created += written.created
        self.report.updated += written.updated
        for row_number, out in written.refused:
            message = f"{out} copies are on loan or on the hold shelf; quantity cannot be lower"
            self.report.fail(row_number, [("quantity", message)])


def _finish_chunk(run: _Import, written: Future[_Written], rows_done: int, on_progress: Progress | None) -> None:
    run.count(written.result())
    if on_progress is not None:
        on_progress(rows_done)


def import_csv(
    session: Session,
    stream: TextIO,
    *,
    dry_run: bool = False,
    atomic: bool = False,
    on_progress: Progress | None = None,
    chunk_rows: int | None = None,
) -> ImportReport:
    """Validates and upserts every row of a CSV text stream; see the module docstring for the rules."""
    records = _records(stream)
    header = next(records, None)
    if header is None:
        raise _file_error("The file is empty; it needs a header row and data rows", "CSV_EMPTY")
    columns = _columns(header[1])
    report = ImportReport(dry_run=dry_run, atomic=atomic)
    savepoint = session.begin_nested()
    try:
        _validate_and_write(_Import(session, columns, report), records, atomic, on_progress, chunk_rows)
    except BaseException:
        savepoint.rollback()
        raise
    if report.applied:
        savepoint.commit()
        metrics.count_on_commit(session, metrics.IMPORT_ROWS_CREATED, report.created)
        metrics.count_on_commit(session, metrics.IMPORT_ROWS_UPDATED, report.updated)
        metrics.count_on_commit(session, metrics.IMPORT_ROWS_FAILED, report.failed)
    else:
        savepoint.rollback()
    return report


def _validate_and_write(
    run: _Import,
    records: Iterator[tuple[int, list[str]]],
    atomic: bool,
    on_progress: Progress | None,
    chunk_rows: int | None,
) -> None:
    """Chunk by chunk: the database writes one chunk while this thread validates the next; the session is only
    ever used by one thread at a time (a chunk's write is waited for before the next one starts)."""
    report = run.report
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-import") as writer:
        writing: tuple[Future[_Written], int] | None = None
        # A small first chunk gets the database working while the rest is still being validated. Not a ramp of
        # small chunks: a chunk that updates books joins the whole catalogue twice (~0.2 s a chunk at 100,000 books).
        sizes = chain([FIRST_CHUNK_ROWS], repeat(CHUNK_ROWS)) if chunk_rows is None else repeat(chunk_rows)
        while rows := list(islice(records, next(sizes))):
            staged = run.validate(rows)
            # An atomic import that already failed only validates the rest, to report every bad row.
            chunk = None if atomic and report.failed else run.chunk(staged)
            if writing is not None:
                _finish_chunk(run, *writing, on_progress)
                writing = None
            if chunk is not None and not (atomic and report.failed):
                # In the caller's context: the audit columns and notices name the importer.
                writing = (writer.submit(contextvars.copy_context().run, run.write, chunk), report.rows)
            elif on_progress is not None:
                on_progress(report.rows)
        if writing is not None:
            _finish_chunk(run, *writing, on_progress)


def import_request(session: Session, content: str, *, dry_run: bool, atomic: bool) -> dict[str, Any]:
    """POST /books/import: the report, or 422 IMPORT_REJECTED when an atomic import found bad rows."""
    report = import_csv(session, io.StringIO(content), dry_run=dry_run, atomic=atomic).as_dict()
    if atomic and report["failed"] and not dry_run:
        raise ValidationFailed(
            f"{report['failed']} rows failed; nothing was saved",
            code="IMPORT_REJECTED",
            errors=report["errors"],
        )
    return report
