"""POST /library/chat over HTTP: the local API's route from template.yaml, the authorizer, the envelope."""

import pytest
from sqlalchemy import text

from tests.http.client import call

pytestmark = pytest.mark.http


@pytest.fixture
def member(users, engine):
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO books (title, author, genre, quantity) VALUES ('Dune', 'Frank Herbert', 'SF', 3)")
        )
    return users.create("member")


def test_a_member_asks_and_gets_the_answer_from_the_catalogue(local_api, users, member):
    reply = call(
        local_api, "POST", "/library/chat", json_body={"message": "is dune available?"}, token=users.token(member)
    )
    assert reply.status == 200
    assert reply.body["status"] == 200
    assert reply.body["data"]["intent"] == "availability"
    assert reply.body["data"]["reply"].startswith("\u201cDune\u201d by Frank Herbert: yes, 3 copies of 3 available")


def test_without_a_token_the_gateway_answers_401(local_api, member):
    reply = call(local_api, "POST", "/library/chat", json_body={"message": "is dune available?"})
    assert reply.status == 401 and reply.body["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("message", ["", "   ", "x" * 5000], ids=["empty", "blank", "5000 characters"])
def test_an_empty_or_5000_character_message_is_a_422_envelope(local_api, users, member, message):
    reply = call(local_api, "POST", "/library/chat", json_body={"message": message}, token=users.token(member))
    assert reply.status == 422
    assert reply.body["status"] == 422 and reply.body["data"] is None
    assert reply.body["code"] == "VALIDATION_ERROR"
    assert reply.body["errors"][0]["field"] == "message"
