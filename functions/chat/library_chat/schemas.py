"""Request and answer of POST /library/chat."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from library_common.envelope import Schema, trimmed

# A question, not a document: long enough for any real question, short enough to keep matching cheap.
MAX_MESSAGE_CHARACTERS = 2000
Message = trimmed(min_length=1, max_length=MAX_MESSAGE_CHARACTERS)

Intent = Literal[
    "availability", "books_by_author", "books_in_genre", "rules", "my_loans", "my_holds", "my_fines", "help"
]


class ChatRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    message: Message = Field(
        description=f"The member's question in plain language, 1 to {MAX_MESSAGE_CHARACTERS} characters; "
        "surrounding whitespace is removed, and anything longer, empty or only whitespace is a 422.",
        examples=["Is Dune available?"],
    )


class ChatBook(Schema):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    author: str
    copies_available: int = Field(description="Copies on the shelf now (owned minus on loan minus on the hold shelf)")


class ChatAnswer(Schema):
    reply: str = Field(description="A short answer in plain language, stated only from the library's live data")
    intent: Intent = Field(
        description="What the question was understood to ask: a book's availability, an author's or a genre's "
        "books, the lending rules, the caller's own loans, holds or fines, or `help` when it is none of these"
    )
    books: list[ChatBook] = Field(description="The catalogue entries the reply is about, for a client to render")
