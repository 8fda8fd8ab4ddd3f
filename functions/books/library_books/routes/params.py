"""Path and query parameters the books routes share."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from library_common.envelope import MAX_ID

# NUL cannot be stored or compared in PostgreSQL text.
NO_NUL = r"^[^\x00]*$"

BookId = Annotated[int, Path(ge=1, le=MAX_ID)]


def text_filter(description: str) -> Query:
    return Query(min_length=1, max_length=200, pattern=NO_NUL, description=description)
