"""POST /library/chat through the chat function's Lambda handler, with the event in events/chat/."""

import json

import pytest

from library_chat.app import lambda_handler
from library_chat.schemas import MAX_MESSAGE_CHARACTERS
from library_common import db
from library_common.models import Book
from tests.conftest import api_event, load_event


def member_context(user: dict) -> dict:
    return {"user_id": str(user["id"]), "role": "member", "permissions": "", "principalId": str(user["id"])}


def chat(lambda_context, user: dict, body) -> tuple[int, dict]:
    event = api_event("chat/post_chat.json", body=body, authorizer=member_context(user))
    response = lambda_handler(event, lambda_context)
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def dune():
    with db.transaction() as session:
        book = Book(title="Dune", author="Frank Herbert", genre="Science Fiction", quantity=2)
        session.add(book)
        session.flush()
        return book.id


def test_the_sample_event_gets_the_answer_in_the_envelope(users, dune, lambda_context):
    users.create("admin")  # user 1, whose authorizer context the sample event carries
    response = lambda_handler(load_event("chat/post_chat.json"), lambda_context)
    body = json.loads(response["body"])
    assert response["statusCode"] == 200 and body["status"] == 200
    assert body["data"] == {
        "reply": "\u201cDune\u201d by Frank Herbert: yes, 2 copies of 2 available right now.",
        "intent": "availability",
        "books": [{"id": dune, "title": "Dune", "author": "Frank Herbert", "copies_available": 2}],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"message": ""},
        {"message": "   \n\t "},
        {"message": "x" * 5000},
        {"message": "x" * (MAX_MESSAGE_CHARACTERS + 1)},
        {"message": "is dune available?" + "\n" * MAX_MESSAGE_CHARACTERS},
        {"message": None},
        {"message": ["is dune available?"]},
        {},
    ],
    ids=[
        "empty",
        "blank",
        "5000 characters",
        "one over the limit",
        "over the limit with whitespace",
        "null",
        "a list",
        "missing",
    ],
)
def test_an_empty_missing_or_too_long_message_is_a_422_envelope(users, lambda_context, body):
    status, envelope = chat(lambda_context, users.create("member"), body)
    assert status == 422
    assert envelope["status"] == 422 and envelope["data"] is None and envelope["code"] == "VALIDATION_ERROR"
    assert [error["field"] for error in envelope["errors"]] == ["message"]


def test_unknown_fields_are_refused(users, lambda_context):
    status, envelope = chat(lambda_context, users.create("member"), {"message": "hi", "user_id": 2})
    assert status == 422 and [error["field"] for error in envelope["errors"]] == ["user_id"]


def test_a_message_of_exactly_the_limit_is_answered(users, lambda_context):
    status, envelope = chat(lambda_context, users.create("member"), {"message": "a" * MAX_MESSAGE_CHARACTERS})
    assert status == 200 and envelope["data"]["intent"] == "help"


def test_malformed_json_is_a_400(users, lambda_context):
    status, envelope = chat(lambda_context, users.create("member"), '{"message": ')
    assert status == 400 and envelope["status"] == 400


def test_without_a_caller_it_is_401(users, lambda_context):
    event = api_event("chat/post_chat.json")
    event["requestContext"].pop("authorizer")
    response = lambda_handler(event, lambda_context)
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "message",
    [
        "'; DROP TABLE books; --",
        "100% of _everything_ \\ %%",
        "???!!!",
        "\U0001f4da\U0001f914",
        "\u00bfTienen \u00d1and\u00fa?",
        "1984",
        "by",
        "books by",
        "where am I in the queue for",
        "what's new in",
        "\x00 null byte",
    ],
)
def test_odd_messages_get_an_answer_never_a_500(users, dune, lambda_context, message):
    status, envelope = chat(lambda_context, users.create("member"), {"message": message})
    assert status == 200, envelope
    assert envelope["data"]["intent"] in {
        "availability",
        "books_by_author",
        "books_in_genre",
        "rules",
        "my_loans",
        "my_holds",
        "my_fines",
        "help",
    }
    assert envelope["data"]["reply"]


def test_a_caller_whose_account_row_is_gone_is_401_not_an_answer_about_nobody(users, lambda_context):
    ghost = {"id": 999_999}
    status, envelope = chat(lambda_context, ghost, {"message": "do I owe anything?"})
    assert (status, envelope["code"]) == (401, "TOKEN_REVOKED")


def test_surrounding_whitespace_is_removed_within_the_limit(users, lambda_context):
    message = "  Is Dune available?\n" + " " * (MAX_MESSAGE_CHARACTERS - 30)
    status, envelope = chat(lambda_context, users.create("member"), {"message": message})
    assert status == 200 and envelope["data"]["intent"] == "availability"


def test_a_question_on_the_lending_rules_is_answered_from_the_policy(users, lambda_context):
    status, envelope = chat(lambda_context, users.create("member"), {"message": "how many books can I borrow?"})
    assert status == 200, envelope
    assert envelope["data"]["intent"] == "rules"
    assert envelope["data"]["reply"] == "You can have up to 3 books on loan at a time."
