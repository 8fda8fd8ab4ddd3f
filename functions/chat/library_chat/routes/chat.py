"""The librarian chat: /library/chat."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_chat import answers
from library_chat.schemas import MAX_MESSAGE_CHARACTERS, ChatAnswer, ChatRequest
from library_common import db
from library_common.api import SECURED, caller
from library_common.envelope import Envelope, ok

router = APIGatewayRouter()


@router.post(
    "/library/chat",
    summary="Ask the librarian a question in plain language",
    description=(
        "Answers from the library's live data: whether a book is available (copies free, or the hold queue and "
        "the earliest due date), an author's or a genre's books (newest or best rated first), the current "
        "lending rules, and the caller's own loans, holds and fines (never another member's). Titles, authors "
        "and genres are matched tolerantly (case, articles, punctuation, small typos). A question it cannot "
        f"place gets a reply listing what it can help with, with intent `help`. `message`: 1 to "
        f"{MAX_MESSAGE_CHARACTERS} characters, else 422."
    ),
    tags=["Librarian chat"],
    security=SECURED,
)
def ask_the_librarian(question: ChatRequest) -> Response[Envelope[ChatAnswer]]:
    user_id = caller().require_login()
    with db.reading() as connection:
        return ok(answers.answer(connection, user_id, question.message).model_dump())
