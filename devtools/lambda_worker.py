"""One local "Lambda container": imports one handler and answers events one at a time.

Run by the local API as `python -c <this file's source> <handler>` with the function's folder as the working
directory and only the layer on PYTHONPATH, which is what Lambda gives a function (/var/task + /opt/python).
Events arrive as JSON lines on stdin; answers leave as JSON lines on the original stdout (a result's string body
as raw bytes after its line), while anything the handler prints goes to stderr, as it would go to CloudWatch.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid

import orjson

answers = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)
sys.stdout = sys.stderr

module_name, function_name = sys.argv[1].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), function_name)


class Context:
    def __init__(self, timeout_seconds: float):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", module_name)
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# What orjson would write but Lambda's json module refuses (datetimes, dataclasses) goes to the standard library,
# which raises for them as Lambda does.
PASSED_THROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encoded(reply: dict) -> bytes:
    try:
        return orjson.dumps(reply, option=PASSED_THROUGH)
    except orjson.JSONEncodeError:
        return json.dumps(reply).encode()


def body_apart(reply: dict) -> bytes | None:
    """The answer's line without its body, the body's UTF-8 bytes after it ("bodyBytes" long): escaping a JSON
    text into a JSON string here and back in the gateway cost more than the rest of the hand-off."""
    result = reply.get("result")
    body = result.get("body") if isinstance(result, dict) else None
    if not isinstance(body, str):
        return None
    try:
        raw = body.encode()
    except UnicodeEncodeError:  # a lone surrogate, which JSON carries escaped and UTF-8 cannot
        return None
    return encoded({"result": {**result, "body": None}, "bodyBytes": len(raw)}) + b"\n" + raw


def framed(reply: dict) -> bytes:
    try:
        return body_apart(reply) or encoded(reply) + b"\n"
    except (TypeError, ValueError) as error:
        failure = {"errorType": "Runtime.MarshalError", "errorMessage": f"Unable to marshal response: {error}"}
        return orjson.dumps(failure) + b"\n"


answers.write(b'{"ready":true}\n')
answers.flush()
for line in sys.stdin.buffer:
    request = orjson.loads(line)
    try:
        reply = {"result": handler(request["event"], Context(request["timeout"]))}
    except Exception as error:  # noqa: BLE001 - reported to the caller as Lambda reports a function error
        reply = {"errorType": type(error).__name__, "errorMessage": str(error), "trace": traceback.format_exc()}
        traceback.print_exc()
    answers.write(framed(reply))
    answers.flush()
