"""/books/import (a CSV in the request) and /books/imports (a large CSV through S3, run asynchronously)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_books.schemas import ImportJob, ImportJobStarted, ImportReport
from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import BOOKS_IMPORT
from library_common.envelope import MAX_ID, Envelope, created, ok
from library_common.errors import LibraryError

router = APIGatewayRouter()
TAGS = ["Import"]
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
DryRun = Annotated[bool, Query(description="Validate and count only; nothing is saved")]
Atomic = Annotated[bool, Query(description="Save nothing unless every row is valid")]

CSV_RULES = (
    "Header row first, naming book fields in any order: title and author are required; isbn, publisher, "
    "publication, published_date (YYYY-MM-DD or a year), genre, language, description, quantity (default 1) "
    "are optional. Rows are upserted by ISBN: a row whose ISBN is in the catalogue updates that book, any "
    "other row adds one. An empty cell leaves an existing book's value as it is. Each bad row is reported "
    "as `{row, field, message}` (the header is row 1) and skipped; the good rows are saved unless `atomic`. "
    "A row repeating an earlier row's ISBN, or lowering quantity below the copies out, fails."
)


class UnsupportedMediaType(LibraryError):
    status, code, message = 415, "UNSUPPORTED_MEDIA_TYPE", "Send the CSV as text/csv"


def _csv_text() -> str:
    # A body that is not UTF-8 never gets here: the layer answers 400 before the resolver runs.
    event = router.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type not in CSV_TYPES:
        raise UnsupportedMediaType(f"Send the CSV with Content-Type text/csv, not {content_type or 'nothing'}")
    return event.decoded_body or ""


@router.post(
    "/books/import",
    summary="Import books from a CSV file in the request",
    description=(
        "Needs `books.import`. The body is the CSV itself (`Content-Type: text/csv`, UTF-8, at most API "
        f"Gateway's 10 MB; use POST /books/imports for larger files). {CSV_RULES} Answers the counts and "
        "errors (200, also when rows failed). With `atomic=true` and any bad row: 422 `IMPORT_REJECTED` with the "
        "row errors, nothing saved. A file without a usable header: 422 `CSV_BAD_HEADER`; not CSV: 422 "
        "`CSV_MALFORMED`; another content type: 415."
    ),
    tags=TAGS,
    security=SECURED,
    openapi_extensions={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "title,author,isbn,published_date,genre,language,quantity\n"
                    "Dune,Frank Herbert,978-0-441-17271-9,1965,Science Fiction,English,3\n",
                }
            },
        }
    },
)
def import_books(dry_run: DryRun = False, atomic: Atomic = False) -> Response[Envelope[ImportReport]]:
    caller().require(BOOKS_IMPORT)
    content = _csv_text()
    # Imported here, as in the two routes below: the other routes of the function (and its cold start) never need them.
    from library_books.logic import csv_import

    with db.transaction() as session:
        report = csv_import.import_request(session, content, dry_run=dry_run, atomic=atomic)
    message = "Dry run: nothing was saved" if dry_run else "Import finished"
    return ok(
        report, f"{message} ({report['created']} created, {report['updated']} updated, {report['failed']} failed)"
    )


@router.post(
    "/books/imports",
    summary="Start a large CSV import through S3",
    status_code=201,
    description=(
        "Needs `books.import`. Answers a job and a pre-signed S3 form: POST the CSV there as `file` with every "
        "entry of `fields` (Content-Type text/csv, at most 100 MB, within 15 minutes). The upload starts the "
        f"import; follow it with GET /books/imports/{{id}}. {CSV_RULES} 503 `STORAGE_NOT_CONFIGURED` where no "
        "imports bucket is set (local runs)."
    ),
    tags=TAGS,
    security=SECURED,
)
def start_import(dry_run: DryRun = False, atomic: Atomic = False) -> Response[Envelope[ImportJobStarted]]:
    caller().require(BOOKS_IMPORT)
    from library_books.logic import import_jobs

    with db.transaction() as session:
        return created(
            import_jobs.start_import(session, dry_run=dry_run, atomic=atomic), "Upload the CSV with this form"
        )


@router.get(
    "/books/imports/<job_id>",
    summary="Progress and outcome of a CSV import",
    description=(
        "Needs `books.import`. `status`: pending (waiting for the upload), running (`rows_done` of `rows_total`), "
        "succeeded, or failed (`message` says why). Counts and the first 1,000 row errors as for POST /books/import. "
        "A job running with no progress for 16 minutes (the import function stops at 15) is failed: nothing was saved."
    ),
    tags=TAGS,
    security=SECURED,
)
def read_import(job_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response[Envelope[ImportJob]]:
    caller().require(BOOKS_IMPORT)
    from library_books.logic import import_jobs

    with db.transaction() as session:
        return ok(import_jobs.read_job(session, job_id))
