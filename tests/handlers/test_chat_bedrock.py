"""The Bedrock path of the librarian chat, with botocore's Stubber scripting the model's side of the exchange.

The stub checks what the function sends back to the model: the tool results must be the database's facts
(read here with the ORM), so the model can only repeat what the tools returned.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from botocore.stub import ANY, Stubber
from sqlalchemy import select, update

from library_chat import answers as chat
from library_chat import assistant
from library_common import db
from library_common.models import Book, Hold, Loan, Policy

MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"
TODAY = datetime.now(UTC).date()


@pytest.fixture
def bedrock(monkeypatch):
    monkeypatch.setenv("BEDROCK_MODEL_ID", MODEL_ID)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assistant.bedrock_client.cache_clear()
    with Stubber(assistant.bedrock_client()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
    assistant.bedrock_client.cache_clear()


@pytest.fixture
def shelf(users):
    """Dune with both copies out (one with the caller), a member waiting for it; the caller's other loan."""
    member = users.create("member", name="Mina")["id"]
    other = users.create("member", name="Otto")["id"]
    with db.transaction() as session:
        dune = Book(title="Dune", author="Frank Herbert", genre="Science Fiction", quantity=2, copies_on_loan=2)
        dune.published_date = date(1965, 8, 1)
        hobbit = Book(title="The Hobbit", author="J. R. R. Tolkien", genre="Fantasy", quantity=1, copies_on_loan=1)
        session.add_all([dune, hobbit])
        session.flush()
        session.add_all(
            [
                Loan(user_id=member, book_id=dune.id, due_date=TODAY + timedelta(days=4)),
                Loan(user_id=other, book_id=dune.id, due_date=TODAY + timedelta(days=2)),
                Loan(user_id=other, book_id=hobbit.id, due_date=TODAY + timedelta(days=8)),
                Hold(user_id=other, book_id=hobbit.id),
            ]
        )
    return {"member": member, "other": other}


def reply(*content: dict, stop: str = "end_turn") -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": list(content)}},
        "stopReason": stop,
        "usage": {"inputTokens": 100, "outputTokens": 20, "totalTokens": 120},
        "metrics": {"latencyMs": 250},
    }


def converse_params(messages: list[dict]) -> dict:
    return {
        "modelId": MODEL_ID,
        "system": ANY,
        "messages": messages,
        "toolConfig": {"tools": assistant.TOOL_SPECS},
        "inferenceConfig": ANY,
    }


def dune_facts() -> dict:
    with db.transaction() as session:
        book = session.execute(select(Book).where(Book.title == "Dune")).scalar_one()
        due_dates = session.execute(
            select(Loan.due_date).where(Loan.book_id == book.id, Loan.returned_on.is_(None))
        ).scalars()
        return {
            "id": book.id,
            "title": "Dune",
            "author": "Frank Herbert",
            "genre": "Science Fiction",
            "published_date": "1965-08-01",
            "quantity": book.quantity,
            "copies_available": book.quantity - book.copies_on_loan - book.copies_on_hold_shelf,
            "on_loan": book.copies_on_loan,
            "on_hold_shelf": book.copies_on_hold_shelf,
            "holds_waiting": 0,
            "next_due_date": min(due_dates).isoformat(),
            "average_rating": None,
            "review_count": 0,
        }


def ask(user_id: int, message: str) -> chat.ChatAnswer:
    with db.reading() as connection:  # as the route runs it
        return chat.answer(connection, user_id, message)


def test_the_model_answers_from_the_availability_tool_it_called(bedrock, shelf):
    question = {"role": "user", "content": [{"text": "Is Dune available?"}]}
    asks_for_availability = {
        "role": "assistant",
        "content": [
            {"text": "Let me check the catalogue."},
            {"toolUse": {"toolUseId": "tool-1", "name": "book_availability", "input": {"title": "dune"}}},
        ],
    }
    facts = dune_facts()
    tool_result = {
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": "tool-1", "content": [{"json": {"books": [facts]}}], "status": "success"}}
        ],
    }
    answer_text = f"Both copies of Dune are out; the first is due back on {facts['next_due_date']}."
    bedrock.add_response(
        "converse", reply(*asks_for_availability["content"], stop="tool_use"), converse_params([question])
    )
    bedrock.add_response(
        "converse",
        reply({"text": answer_text}),
        converse_params([question, asks_for_availability, tool_result]),
    )

    answer = ask(shelf["member"], "Is Dune available?")

    assert answer.reply == answer_text
    assert answer.intent == "availability"
    assert [book.model_dump() for book in answer.books] == [
        {"id": facts["id"], "title": "Dune", "author": "Frank Herbert", "copies_available": 0}
    ]


def test_account_tools_return_only_the_callers_own_rows(bedrock, shelf):
    question = {"role": "user", "content": [{"text": "What do I have out?"}]}
    asks_for_loans = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "tool-7", "name": "my_loans", "input": {}}}],
    }
    with db.transaction() as session:
        mine = session.execute(
            select(Loan.id, Loan.book_id, Loan.due_date).where(Loan.user_id == shelf["member"])
        ).one()
    own_loans = {
        "loans": [
            {
                "loan_id": mine.id,
                "book_id": mine.book_id,
                "title": "Dune",
                "author": "Frank Herbert",
                "copies_available": 0,
                "due_date": mine.due_date.isoformat(),
                "overdue": False,
                "renewals": 0,
            }
        ]
    }
    tool_result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "tool-7", "content": [{"json": own_loans}], "status": "success"}}],
    }
    bedrock.add_response("converse", reply(*asks_for_loans["content"], stop="tool_use"), converse_params([question]))
    bedrock.add_response(
        "converse",
        reply({"text": f"You have Dune, due {mine.due_date.isoformat()}."}),
        converse_params([question, asks_for_loans, tool_result]),
    )

    answer = ask(shelf["member"], "What do I have out?")

    assert answer.intent == "my_loans"
    assert [book.title for book in answer.books] == ["Dune"], "the other member's Hobbit loan is not in the result"


def test_the_rules_tool_gives_the_model_each_amount_in_the_librarys_currency(bedrock, shelf, library_setting):
    library_setting("LIBRARY_CURRENCY", "JPY")
    with db.transaction() as session:
        session.execute(update(Policy).values(fine_per_day=Decimal("20"), fine_cap=Decimal("500"), block_threshold=0))
    question = {"role": "user", "content": [{"text": "What's the late fee?"}]}
    asks_for_rules = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "tool-3", "name": "lending_rules", "input": {}}}],
    }
    rules = {
        "loan_period_days": 14,
        "max_loans": 3,
        "max_renewals": 2,
        "fine_per_day": "JPY 20",
        "fine_cap": "JPY 500",
        "hold_pickup_days": 3,
        "block_threshold": "JPY 0",
    }
    tool_result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "tool-3", "content": [{"json": rules}], "status": "success"}}],
    }
    bedrock.add_response("converse", reply(*asks_for_rules["content"], stop="tool_use"), converse_params([question]))
    bedrock.add_response(
        "converse",
        reply({"text": "JPY 20 a day, at most JPY 500."}),
        converse_params([question, asks_for_rules, tool_result]),
    )

    assert ask(shelf["member"], "What's the late fee?").intent == "rules"


def test_a_malformed_tool_request_is_reported_back_to_the_model_as_an_error(bedrock, shelf):
    question = {"role": "user", "content": [{"text": "books by herbert"}]}
    bad_request = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "tool-2", "name": "search_catalogue", "input": {"by": "author"}}}],
    }
    error_result = {
        "role": "user",
        "content": [
            {
                "toolResult": {
                    "toolUseId": "tool-2",
                    "content": [{"text": "`words` must be a non-empty string"}],
                    "status": "error",
                }
            }
        ],
    }
    bedrock.add_response("converse", reply(*bad_request["content"], stop="tool_use"), converse_params([question]))
    bedrock.add_response(
        "converse", reply({"text": "Which author do you mean?"}), converse_params([question, bad_request, error_result])
    )

    answer = ask(shelf["member"], "books by herbert")

    assert answer.reply == "Which author do you mean?"
    assert answer.intent == "help" and answer.books == []


def test_when_bedrock_fails_the_rule_based_librarian_answers(bedrock, shelf):
    bedrock.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)

    answer = ask(shelf["member"], "Is Dune available?")

    assert answer.intent == "availability"
    assert answer.reply.startswith("\u201cDune\u201d by Frank Herbert: no copy is free right now")


def test_without_a_model_id_bedrock_is_never_called(monkeypatch, shelf):
    monkeypatch.delenv("BEDROCK_MODEL_ID", raising=False)
    assistant.bedrock_client.cache_clear()

    answer = ask(shelf["member"], "Is Dune available?")

    assert answer.intent == "availability"
    assert assistant.bedrock_client.cache_info().currsize == 0
