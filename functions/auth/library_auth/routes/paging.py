"""The page parameters every list route of this function takes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

# Bounded so that (page - 1) * page_size always fits the database's OFFSET.
MAX_PAGE = 1_000_000
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number; past the end: no items")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100)")]
