"""/genres and /authors: the catalogue's genres and authors with their book counts."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_books.logic import listing
from library_books.routes.params import text_filter
from library_books.schemas import Author, Genre
from library_common import db
from library_common.envelope import Envelope, Page, PageNumber, PageSize, ok

router = APIGatewayRouter()
TAGS = ["Books"]


@router.get("/genres", summary="Genres in the catalogue, with book counts, by name", tags=TAGS)
def list_genres(page: PageNumber = 1, page_size: PageSize = 20) -> Response[Envelope[Page[Genre]]]:
    with db.transaction() as session:
        return ok(listing.genres(session, page, page_size))


@router.get(
    "/authors",
    summary="Authors in the catalogue, with book counts",
    description="`search` matches part of the name, case-insensitively. `ordering`: `name` (default) or "
    "`-book_count` (most books first).",
    tags=TAGS,
)
def list_authors(
    search: Annotated[str | None, text_filter("Part of the author's name")] = None,
    ordering: Annotated[listing.AuthorOrdering, Query()] = "name",
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[Author]]]:
    with db.transaction() as session:
        return ok(listing.authors(session, search, ordering, page, page_size))
