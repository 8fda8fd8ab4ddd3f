"""The response envelope `{status, message, data}` of API.md: its OpenAPI models and the helpers routes return."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError, PydanticKnownError

from library_common.errors import LibraryError

JSON = "application/json"
T = TypeVar("T")

# Money travels as a decimal string with two places ("2.50"), never a float.
Money = Annotated[Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json")]


class Schema(BaseModel):
    """The base of every request and response model: its validator is built when first used, not at import (a
    function defines dozens of models and answers a cold start's request with one or two of them)."""

    model_config = ConfigDict(defer_build=True)


class Envelope(Schema, Generic[T]):
    status: int = Field(description="Equals the HTTP status code")
    message: str
    data: T


class Page(Schema, Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int
    pages: int


class FieldError(Schema):
    field: str
    message: str


class ErrorEnvelope(Schema):
    status: int
    message: str
    data: None = None
    code: str = Field(description="Stable UPPER_SNAKE identifier, e.g. BOOK_UNAVAILABLE")
    errors: list[FieldError] | None = Field(default=None, description="Present on validation errors")


def ok(data: Any, message: str = "OK", status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=JSON,
        body={"status": status, "message": message, "data": data},
        headers=headers,
    )


def created(data: Any, message: str = "Created") -> Response:
    return ok(data, message, status=201)


# Ids are PostgreSQL bigints: every id a route takes is bounded by this (beyond it: 422, never a database error).
MAX_ID = 2**63 - 1
# The page parameters of every list route. Bounded so that (page - 1) * page_size always fits an OFFSET.
MAX_PAGE = 1_000_000
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number; past the end: no items")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100)")]


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    if not isinstance(value, date) and not (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        raise ValueError("must be a date YYYY-MM-DD")
    return value


# A calendar day written YYYY-MM-DD and nothing else, in a body or a query: pydantic alone would also read `0`,
# "0" or `1700000000` as a Unix time, a date nobody meant.
CalendarDay = Annotated[date, BeforeValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})]


class TooLongAsSent(ValueError):
    def __init__(self, max_length: int):
        super().__init__(f"at most {max_length} characters")
        self.max_length = max_length


def stripped_within(value: str, max_length: int | None) -> str:
    """The rule for text wherever it arrives, a JSON body's field or a CSV cell: its length limit counts it as sent,
    its surrounding whitespace included (TooLongAsSent), and what is kept is it stripped."""
    if max_length is not None and len(value) > max_length:
        raise TooLongAsSent(max_length)
    return value.strip()


@dataclass(frozen=True)
class _DocumentedMaxLength:
    """The JSON Schema's maxLength of a text whose length `stripped_within` checks (pydantic does not see it)."""

    max_length: int

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return {**handler(schema), "maxLength": self.max_length}


def _trimmed_validator(max_length: int | None, *, blank_refused: bool) -> Any:
    def kept(value: str) -> str:
        try:
            trimmed = stripped_within(value, max_length)
        except TooLongAsSent:
            raise PydanticKnownError("string_too_long", {"max_length": max_length}) from None
        if blank_refused and not trimmed:
            raise PydanticCustomError("blank", "must not be empty or only whitespace")
        return trimmed

    return AfterValidator(kept)


def trimmed(*, min_length: int | None = None, max_length: int | None = None, pattern: str | None = None) -> Any:
    """Text whose documented limits hold for it as sent (the OpenAPI document's minLength, maxLength and pattern),
    then stripped of surrounding whitespace; when it must not be empty (min_length), whitespace alone is a 422 too.

    pydantic's own stripping (StringConstraints(strip_whitespace=True), str_strip_whitespace) strips first and
    counts after, so a value padded past its maxLength passed; and limits annotated around an AfterValidator count
    what it returns. Here the limits sit on the str itself, before the stripping, whatever surrounds the type; the
    maximum is `stripped_within`'s, the rule the CSV import follows too."""
    documented = () if max_length is None else (_DocumentedMaxLength(max_length),)
    return Annotated[
        str,
        StringConstraints(min_length=min_length, pattern=pattern),
        _trimmed_validator(max_length, blank_refused=bool(min_length)),
        *documented,
    ]


def page_of(items: list[Any], page: int, page_size: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "page_size": page_size, "total": total, "pages": math.ceil(total / page_size)}


def error_body(status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "message": message, "data": None, "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def error_response(error: LibraryError) -> Response:
    return Response(
        status_code=error.status,
        content_type=JSON,
        body=error_body(error.status, error.code, error.message, error.errors),
        headers=error.headers(),
    )
