"""Arranging catalogue tests: invoking the books function as a given user, and books, loans and holds set up
straight in the database (the circulation code that normally moves copies is not under test here)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from library_books.app import lambda_handler
from library_common import db, tokens
from library_common.models import Book
from tests.conftest import LambdaContext, api_event


def authorizer(users, user: dict[str, Any]) -> dict[str, str]:
    """The context the API's authorizer passes for this user (their real role and group permissions)."""
    claims = tokens.verify_access_token(users.token(user))
    return {
        "principalId": str(user["id"]),
        "user_id": str(user["id"]),
        "role": claims["role"],
        "permissions": ",".join(claims.get("perms", [])),
    }


def _event(event_name: str, path: str | None, changes: dict[str, Any]) -> dict[str, Any]:
    headers = changes.pop("headers", {})
    is_base64 = changes.pop("is_base64", False)
    event = api_event(f"books/{event_name}.json", **changes)
    event["isBase64Encoded"] = is_base64
    for name, value in headers.items():
        for key in [key for key in event["headers"] if key.lower() == name.lower()]:
            del event["headers"][key]
            event["multiValueHeaders"].pop(key, None)
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    if "query" in changes:
        query = changes["query"] or {}
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()} or None
    if path is not None:
        event["path"] = path
    elif changes.get("path_parameters"):
        # The resolver routes on the path: rebuild it from the resource and the new parameters.
        event["path"] = event["resource"].format(**changes["path_parameters"])
    return event


def invoke(
    event_name: str, *, users=None, user: dict[str, Any] | None = None, path: str | None = None, **changes: Any
) -> tuple[int, Any]:
    """Invokes the books function with events/books/<event_name>.json; `user` replaces the event's caller."""
    if user is not None:
        changes["authorizer"] = authorizer(users, user)
    response = lambda_handler(_event(event_name, path, changes), LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def anonymous(event_name: str, *, path: str | None = None, **changes: Any) -> tuple[int, Any]:
    event = _event(event_name, path, changes)
    event["requestContext"].pop("authorizer", None)
    response = lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def add_book(**fields: Any) -> int:
    values = {"title": "Dune", "author": "Frank Herbert", "quantity": 1, **fields}
    with db.transaction() as session:
        book = Book(**values)
        session.add(book)
        session.flush()
        return book.id


def lend(engine, book_id: int, user_id: int, *, returned: bool = False) -> None:
    """A loan as the circulation code records it: the loan row and, while it is open, the book's counter."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO loans (user_id, book_id, due_date, returned_on) "
                "VALUES (:user, :book, current_date + 14, CASE WHEN :returned THEN now() END)"
            ),
            {"user": user_id, "book": book_id, "returned": returned},
        )
        if not returned:
            connection.execute(
                text("UPDATE books SET copies_on_loan = copies_on_loan + 1 WHERE id = :b"), {"b": book_id}
            )


def queue_hold(engine, book_id: int, user_id: int, status: str = "waiting") -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO holds (user_id, book_id, status) VALUES (:user, :book, :status)"),
            {"user": user_id, "book": book_id, "status": status},
        )
        if status == "ready":
            connection.execute(
                text("UPDATE books SET copies_on_hold_shelf = copies_on_hold_shelf + 1 WHERE id = :b"), {"b": book_id}
            )


def live_book_count(engine) -> tuple[int, int]:
    """(the trigger-kept counter, a real count) of books not archived."""
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT coalesce(sum(live_books), 0) FROM catalogue_counts")).scalar()
        real = connection.execute(text("SELECT count(*) FROM books WHERE archived_on IS NULL")).scalar()
    return kept, real
