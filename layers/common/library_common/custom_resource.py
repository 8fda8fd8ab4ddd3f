"""The CloudFormation custom-resource protocol, with the standard library only (the migrations and signing-keys
functions back the template's custom resources).

CloudFormation waits for one JSON document PUT to the request's pre-signed S3 `ResponseURL`. Without it the
stack sits in progress for an hour, so every way out of a request answers: the outcome, FAILED with a short
reason when the work raises, and FAILED shortly before Lambda would stop a run that takes too long.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(child=True)

SUCCESS = "SUCCESS"
FAILED = "FAILED"
# The deadline answer goes this long before the function's timeout, leaving time for the PUT itself.
DEADLINE_MARGIN_SECONDS = 10
PUT_TIMEOUT_SECONDS = 30
# CloudFormation shows the reason in the stack events; the traceback is in the function's log.
REASON_LENGTH = 300


def put_response(url: str, body: Mapping[str, Any]) -> None:
    """PUTs the response; an error propagates, so the asynchronous invocation is retried and answers again."""
    document = json.dumps(body).encode()
    # The pre-signed URL was signed without a content type: send an empty one, not urllib's form default.
    request = urllib.request.Request(url, data=document, method="PUT", headers={"Content-Type": ""})  # noqa: S310
    with urllib.request.urlopen(request, timeout=PUT_TIMEOUT_SECONDS) as reply:  # noqa: S310
        reply.read()


class _Response:
    """Sends at most one response per request, whichever comes first: the outcome or the deadline."""

    def __init__(self, event: Mapping[str, Any], physical_resource_id: str):
        self._event = event
        self._physical_resource_id = physical_resource_id
        self._sent = False
        self._lock = threading.Lock()

    def send(self, status: str, reason: str, data: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            if self._sent:
                return
            self._sent = True
        logger.info("answering CloudFormation", extra={"status": status, "reason": reason})
        put_response(
            self._event["ResponseURL"],
            {
                "Status": status,
                "Reason": reason,
                "PhysicalResourceId": self._physical_resource_id,
                "StackId": self._event["StackId"],
                "RequestId": self._event["RequestId"],
                "LogicalResourceId": self._event["LogicalResourceId"],
                "Data": dict(data or {}),
            },
        )


def short_reason(error: BaseException, context: LambdaContext) -> str:
    # The first line only: database errors go on with the statement and its parameters (e.g. a password hash).
    lines = str(error).strip().splitlines()
    summary = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return f"{summary[:REASON_LENGTH]} (log stream {context.log_stream_name})"


def handle(
    event: Mapping[str, Any],
    context: LambdaContext,
    physical_resource_id: str,
    work: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> None:
    """Runs `work(event)` and answers CloudFormation with the Data it returns, or FAILED when it raises.

    The physical id is always `physical_resource_id`: a different one on Update would make CloudFormation
    delete the "old" resource, and a FAILED Create is cleaned up with a Delete of that same id.
    """
    response = _Response(event, physical_resource_id)
    wait = max(0.0, context.get_remaining_time_in_millis() / 1000 - DEADLINE_MARGIN_SECONDS)
    deadline = threading.Timer(
        wait,
        response.send,
        args=(FAILED, f"Timed out: no outcome after {wait:.0f} s (log stream {context.log_stream_name})"),
    )
    deadline.daemon = True
    deadline.start()
    try:
        data = work(event)
    except Exception as error:
        logger.exception("custom resource request failed", extra={"request_type": event.get("RequestType")})
        response.send(FAILED, short_reason(error, context))
    else:
        response.send(SUCCESS, "", data)
    finally:
        deadline.cancel()
        # A deadline answer already under way must reach CloudFormation before Lambda freezes this process.
        deadline.join()
