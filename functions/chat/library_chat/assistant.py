"""The Bedrock path of the librarian chat: a model that can only answer through tools over `queries`.

The model sees the member's question and a set of tools (catalogue search, a title's availability, the
lending rules, the caller's own loans, holds and fines). Each tool runs the same query function the
rule-based librarian uses, with the caller's user id bound here, never taken from the model, so no tool
can reach another member's rows. The Converse loop runs until the model stops asking for tools.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from library_chat import queries
from library_chat.queries import BookStatus
from library_chat.schemas import ChatAnswer, ChatBook, Intent
from library_common.money import money
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

MAX_TOOL_ROUNDS = 4
# Keeps the whole exchange inside the function's 15-second timeout, with room for the fallback answer.
TIME_BUDGET_SECONDS = 10.0
LIST_LENGTH = 5

SYSTEM_PROMPT = (
    "You are the librarian of a public library, answering a signed-in member in a chat. "
    "Answer only with facts returned by your tools: never invent books, authors, dates, numbers or rules. "
    "If the tools do not give the answer, say so briefly and mention what you can help with: book "
    "availability, an author's or a genre's books, the lending rules, and the member's own loans, holds and "
    "fines. The my_* tools return only this member's own account; you cannot see other members' data. "
    "Reply in one to three short sentences of plain text, dates as YYYY-MM-DD, amounts of money as the tools write "
    "them, currency code included."
)


class AssistantUnavailable(Exception):
    """Bedrock failed or gave no usable answer; the caller falls back to the rule-based librarian."""


def _object(properties: dict[str, Any] | None = None, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"json": {"type": "object", "properties": properties or {}, "required": list(required)}}


ORDER = {"type": "string", "enum": ["newest", "best_rated"], "description": "Newest or best rated first"}
TOOL_SPECS = [
    {
        "toolSpec": {
            "name": "search_catalogue",
            "description": "Books whose title, author or genre best matches the words (typos tolerated), with "
            "the number of matching books and each book's copies available.",
            "inputSchema": _object(
                {
                    "words": {"type": "string", "description": "The title, author or genre as the member wrote it"},
                    "by": {"type": "string", "enum": ["title", "author", "genre"]},
                    "order": ORDER,
                },
                required=("words", "by"),
            ),
        }
    },
    {
        "toolSpec": {
            "name": "book_availability",
            "description": "The books best matching a title, each with copies owned, available, on loan and on "
            "the hold shelf, the hold queue length and the earliest due date of a copy on loan.",
            "inputSchema": _object({"title": {"type": "string"}}, required=("title",)),
        }
    },
    {
        "toolSpec": {
            "name": "lending_rules",
            "description": "The current lending rules: loan period in days, maximum open loans, maximum "
            "renewals, late fee per day and its cap per loan, days a hold waits on the hold shelf, and the "
            "unpaid fines at which borrowing is blocked.",
            "inputSchema": _object(),
        }
    },
    {
        "toolSpec": {
            "name": "my_loans",
            "description": "The member's own open loans with due dates and whether each is overdue.",
            "inputSchema": _object(),
        }
    },
    {
        "toolSpec": {
            "name": "my_holds",
            "description": "The member's own holds: waiting (with their place in the queue) or ready to collect.",
            "inputSchema": _object(),
        }
    },
    {
        "toolSpec": {
            "name": "my_fines",
            "description": "The member's own unpaid fines, each with its book and the loan's due date.",
            "inputSchema": _object(),
        }
    },
]
TOOL_INTENTS: dict[str, Intent] = {
    "book_availability": "availability",
    "lending_rules": "rules",
    "my_loans": "my_loans",
    "my_holds": "my_holds",
    "my_fines": "my_fines",
}
SEARCH_INTENTS: dict[str, Intent] = {"title": "availability", "author": "books_by_author", "genre": "books_in_genre"}


@lru_cache(maxsize=1)
def bedrock_client() -> Any:
    """Created on first use, never at import: the rule-based deployments never load boto3."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime", config=Config(connect_timeout=2, read_timeout=8, retries={"max_attempts": 2})
    )


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.asdict(value)
        fields.pop("title_match", None)  # how well a row fitted the question: not a fact about the library
        return _jsonable(fields)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Every amount a tool returns is money: the model repeats it as written, currency and all.
        return money(value, get_settings().library_currency)
    return value


class _Tools:
    """The tools of one question, bound to the caller; remembers the books they returned and the first intent."""

    def __init__(self, connection: Connection, user_id: int):
        self.connection = connection
        self.user_id = user_id
        self.books: dict[int, ChatBook] = {}
        self.intent: Intent | None = None

    def run(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "search_catalogue": self._search,
            "book_availability": self._availability,
            "lending_rules": lambda _: queries.lending_rules(self.connection),
            "my_loans": lambda _: {"loans": self._remember(queries.my_loans(self.connection, self.user_id))},
            "my_holds": lambda _: {"holds": self._remember(queries.my_holds(self.connection, self.user_id))},
            "my_fines": lambda _: {"fines": self._remember(queries.my_fines(self.connection, self.user_id))},
        }
        if name not in handlers:
            raise ValueError(f"no tool named {name!r}")
        result = handlers[name](arguments)
        self.intent = self.intent or TOOL_INTENTS.get(name) or SEARCH_INTENTS.get(arguments.get("by", ""))
        return _jsonable(result)

    def _remember(self, rows: list[Any]) -> list[Any]:
        for row in rows:
            book_id = row.id if isinstance(row, BookStatus) else row.book_id
            self.books.setdefault(
                book_id,
                ChatBook(id=book_id, title=row.title, author=row.author, copies_available=row.copies_available),
            )
        return rows

    def _search(self, arguments: dict[str, Any]) -> dict[str, Any]:
        words = _text_argument(arguments, "words")
        by = arguments.get("by")
        order = "best_rated" if arguments.get("order") == "best_rated" else "newest"
        if by == "title":
            return {"books": self._remember([book for book, _ in queries.find_titles(self.connection, words)])}
        if by not in ("author", "genre"):
            raise ValueError("`by` must be title, author or genre")
        finder, lister = (
            (queries.find_author, queries.books_by_author)
            if by == "author"
            else (queries.find_genre, queries.books_in_genre)
        )
        match = finder(self.connection, words)
        if match is None:
            return {"matched": None, "total": 0, "books": []}
        listing = lister(self.connection, match.name, order, LIST_LENGTH)
        return {"matched": listing.name, "total": listing.total, "books": self._remember(listing.books)}

    def _availability(self, arguments: dict[str, Any]) -> dict[str, Any]:
        title = _text_argument(arguments, "title")
        return {"books": self._remember([book for book, _ in queries.find_titles(self.connection, title)])}


def _text_argument(arguments: dict[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{name}` must be a non-empty string")
    return value.strip()[:200]


def _converse(model_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return bedrock_client().converse(
            modelId=model_id,
            system=[{"text": SYSTEM_PROMPT}],
            messages=messages,
            toolConfig={"tools": TOOL_SPECS},
            inferenceConfig={"maxTokens": 400, "temperature": 0},
        )
    except (BotoCoreError, ClientError) as error:
        raise AssistantUnavailable(f"Bedrock call failed: {error}") from error


def answer(connection: Connection, user_id: int, message: str, model_id: str) -> ChatAnswer:
    tools = _Tools(connection, user_id)
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": message}]}]
    started = time.monotonic()
    for _ in range(MAX_TOOL_ROUNDS + 1):
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            break
        response = _converse(model_id, messages)
        reply = response.get("output", {}).get("message")
        if not reply:
            raise AssistantUnavailable("Bedrock answered without a message")
        messages.append(reply)
        uses = [block["toolUse"] for block in reply.get("content", []) if "toolUse" in block]
        if response.get("stopReason") != "tool_use" or not uses:
            text = " ".join(block["text"].strip() for block in reply.get("content", []) if block.get("text"))
            if not text:
                raise AssistantUnavailable("Bedrock answered with no text")
            return ChatAnswer(reply=text, intent=tools.intent or "help", books=list(tools.books.values()))
        messages.append({"role": "user", "content": [_tool_result(tools, use) for use in uses]})
    raise AssistantUnavailable("Bedrock kept asking for tools")


def _tool_result(tools: _Tools, use: dict[str, Any]) -> dict[str, Any]:
    try:
        content, status = {"json": tools.run(use["name"], use.get("input") or {})}, "success"
    except ValueError as error:  # a malformed request from the model: tell it, so it can ask again
        content, status = {"text": str(error)}, "error"
    return {"toolResult": {"toolUseId": use["toolUseId"], "content": [content], "status": status}}
