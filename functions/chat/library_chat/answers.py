"""The chat's one entry point: a question answered by the engine the deployment chose (see the package's docstring)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from library_chat import librarian
from library_chat.schemas import ChatAnswer
from library_common import metrics
from library_common.api import logger

if TYPE_CHECKING:
    from sqlalchemy import Connection


def bedrock_model_id() -> str | None:
    """The Bedrock model to answer with; unset or empty (SAM's unset parameter) means the rule-based librarian."""
    return os.environ.get("BEDROCK_MODEL_ID") or None


def answer(connection: Connection, user_id: int, message: str) -> ChatAnswer:
    """Answers the caller's question; account questions only ever read `user_id`'s own rows."""
    started = time.perf_counter()
    engine = "rules"
    model_id = bedrock_model_id()
    if model_id:
        from library_chat import assistant  # boto3 only for deployments that use Bedrock

        try:
            result = assistant.answer(connection, user_id, message, model_id)
            engine = "bedrock"
        except assistant.AssistantUnavailable as error:
            logger.warning("Bedrock did not answer; the rule-based librarian does", extra={"reason": str(error)})
            result = librarian.answer(connection, user_id, message)
    else:
        result = librarian.answer(connection, user_id, message)
    metrics.count_chat_question(result.intent)
    # The question itself is not logged: members may write personal details into it.
    logger.info(
        "chat question answered",
        extra={
            "intent": result.intent,
            "engine": engine,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "message_length": len(message),
            "books": len(result.books),
        },
    )
    return result
