"""`make sam-local`: every event in events/ through `sam local start-lambda`, then a short real flow through
`sam local start-api`, each compared with the project's own stand-ins answering the same thing on a twin database.

The events run in the order of their file names, function by function, on two fresh databases with the same seed
(the first admin, the sample catalogue): one that SAM's containers use, one that the local API's workers use. Each
answer is checked for what its kind of event promises (an envelope whose status is the HTTP status and never a
5xx; the authorizer's Allow policy for the admin; a custom resource's SUCCESS sent to its ResponseURL; a scheduled
job's report) and must equal the local answer (status and body, ignoring ids and timestamps). Exits non-zero with
the list of what failed; stops what it started, by PID.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from devtools import database, template
from devtools.import_books import load_sample_if_empty
from devtools.local_api import LocalApi, Server
from devtools.sam_local import api_flow, env_json, stack
from devtools.sam_local.comparison import body_of, differences, normalised
from devtools.template import ROOT

LAMBDA_PORT = int(os.environ.get("SAM_LOCAL_LAMBDA_PORT", "31301"))
API_PORT = int(os.environ.get("SAM_LOCAL_API_PORT", "31302"))
LOCAL_API_PORT = int(os.environ.get("SAM_LOCAL_STAND_IN_PORT", "31303"))
RESPONSES_PORT = int(os.environ.get("SAM_LOCAL_RESPONSES_PORT", "31304"))
ADMIN_EMAIL = "admin@library.local"
ADMIN_PASSWORD = "sam-local-Admin-1"
EVENTS = ROOT / "events"
# Functions whose every event acts on AWS resources no local run has (the signing keys' Secrets Manager secrets):
# they must still answer, refusing with the setting that is missing, as the local run does, not crash or hang.
NEEDS_AWS = {"SigningKeysFunction"}
# API Gateway's own answers, which SAM's emulator gives with fixed bodies of its own (it does not apply the
# template's GatewayResponses): there each side must give its known answer, SAM's and the template's.
SAM_GATEWAY_ANSWERS = {
    "no token": ((401, {"message": "Unauthorized"}), "UNAUTHORIZED"),
    "no such route": ((403, {"message": "Missing Authentication Token"}), "MISSING_AUTHENTICATION_TOKEN"),
}


class Responses:
    """Stands in for CloudFormation's pre-signed ResponseURL: keeps each custom resource response PUT to it."""

    def __init__(self, host: str, port: int):
        received = self.received = {}

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                received[self.path] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def function_for(event: dict[str, Any], folder: str, api: template.Api) -> str:
    """The function that receives this event: an API event's route's, else the one function with that code folder
    (or, when functions share a folder, the one whose kind of trigger this event is)."""
    if "httpMethod" in event:
        for route in api.routes:
            if (route.method, route.path) == (event["httpMethod"], event["resource"]):
                return route.function
    candidates = [f for f in api.functions.values() if f.code_dir.name == folder]
    if not candidates:
        sys.exit(f"events/{folder}/ matches no function's CodeUri folder in template.yaml")
    triggered = [f for f in candidates if "Api" not in f.event_types] or candidates
    kind = "Schedule" if event.get("detail-type") == "Scheduled Event" else "EventBridgeRule"
    return ([f for f in triggered if kind in f.event_types] or triggered)[0].logical_id


def events_by_function() -> list[tuple[str, Path]]:
    """(function, event file) for every file under events/, in order: a new function's events are swept as soon
    as they exist."""
    api = template.load()
    return [
        (function_for(json.loads(path.read_text()), path.parent.name, api), path)
        for path in sorted(EVENTS.glob("*/*.json"))
    ]


def prepared(event: dict[str, Any], token: str, response_url: str) -> dict[str, Any]:
    """The stored event with what only a live run knows: a real token for the authorizer, a reachable ResponseURL."""
    if event.get("type") == "TOKEN":
        return {**event, "authorizationToken": f"Bearer {token}"}
    if "ResponseURL" in event:
        return {**event, "ResponseURL": response_url}
    return event


def _api_verdict(result: dict[str, Any]) -> list[str]:
    body = body_of(result.get("body")) if not result.get("isBase64Encoded") else None
    problems = []
    # A crash (500) or a broken proxy answer (502); 503 is the documented answer of a route whose AWS service is
    # not configured (the covers and imports buckets, locally).
    if result.get("statusCode", 502) in (500, 502):
        problems.append(f"status {result.get('statusCode')}")
    if isinstance(body, dict) and "status" in body and body["status"] != result["statusCode"]:
        problems.append(f"envelope status {body['status']} != HTTP {result['statusCode']}")
    return problems


def _refused_for_want_of_aws(result: Any, sent: dict[str, Any] | None) -> bool:
    if sent is not None:
        return sent["Status"] == "FAILED" and "SettingsError" in sent.get("Reason", "")
    return isinstance(result, dict) and "SettingsError" in str(result.get("errorType", "")) + str(result)


def verdict(
    function: str, event: dict[str, Any], result: Any, responses: dict[str, Any], response_path: str
) -> list[str]:
    """What this kind of event promises, whatever the local answer was."""
    if function in NEEDS_AWS:
        sent = responses.get(response_path) if "ResponseURL" in event else None
        return [] if _refused_for_want_of_aws(result, sent) else [f"expected a refusal naming the setting: {result}"]
    if isinstance(result, dict) and "errorType" in result:
        return [f"function error {result['errorType']}: {result.get('errorMessage')}"]
    if "httpMethod" in event:
        return _api_verdict(result)
    if event.get("type") == "TOKEN":
        statement = result["policyDocument"]["Statement"][0]
        return [] if (statement["Effect"], result["principalId"]) == ("Allow", "1") else [f"policy {result}"]
    if "ResponseURL" in event:
        sent = responses.get(response_path)
        return [] if sent and sent["Status"] == "SUCCESS" else [f"custom resource response {sent}"]
    return []


def comparable(event: dict[str, Any], result: Any, responses: dict[str, Any], response_path: str) -> Any:
    if "httpMethod" in event and isinstance(result, dict) and "statusCode" in result:
        body = None if result.get("isBase64Encoded") else body_of(result.get("body"))
        return {"status": result["statusCode"], "body": normalised(body)}
    if "ResponseURL" in event:
        sent = responses.get(response_path) or {}
        return normalised({key: sent.get(key) for key in ("Status", "Data", "PhysicalResourceId")})
    if isinstance(result, dict) and "errorType" in result:
        return {key: result.get(key) for key in ("errorType", "errorMessage")}
    return normalised(result)


class Sweep:
    def __init__(self, lambda_client, local: LocalApi, responses: Responses, gateway: str, token: str):
        self.lambda_client, self.local, self.responses = lambda_client, local, responses
        self.gateway, self.token = gateway, token
        self.failures: list[str] = []
        self.checked: dict[str, bool] = {}  # event file: whether it passed

    def _sam(self, function: str, event: dict[str, Any]) -> Any:
        reply = self.lambda_client.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(reply["Payload"].read() or "null")
        if reply.get("FunctionError") and not (isinstance(payload, dict) and "errorType" in payload):
            payload = {"errorType": reply["FunctionError"], "errorMessage": str(payload)}
        return payload

    def _local(self, function: str, event: dict[str, Any]) -> Any:
        try:
            return self.local.pools[function].invoke(event)
        except Exception as error:  # noqa: BLE001 - a function error is an answer to compare, as SAM reports one
            # The local workers report "ErrorType: message", as Lambda's errorType and errorMessage.
            error_type, _, message = str(error).partition(": ")
            return {"errorType": error_type, "errorMessage": message}

    def run(self, function: str, path: Path) -> None:
        name = str(path.relative_to(ROOT))
        stored = json.loads(path.read_text())
        answers = {}
        for side, invoke in (("local", self._local), ("SAM", self._sam)):
            response_path = f"/{side}/{name}"
            event = prepared(stored, self.token, f"http://{self.gateway}:{RESPONSES_PORT}{response_path}")
            started = time.monotonic()
            result = invoke(function, event)
            elapsed = time.monotonic() - started
            problems = verdict(function, event, result, self.responses.received, response_path)
            answers[side] = comparable(event, result, self.responses.received, response_path)
            if problems:
                self.failures.append(f"{name} ({function}, {side}): {'; '.join(problems)}")
        mismatch = differences(answers["local"], answers["SAM"])
        if mismatch:
            self.failures.append(f"{name} ({function}): SAM and the local run differ: {'; '.join(mismatch[:5])}")
        status = answers["SAM"].get("status", "") if isinstance(answers["SAM"], dict) else ""
        self.checked[name] = not (mismatch or any(f.startswith(f"{name} ") for f in self.failures))
        mark = "ok  " if self.checked[name] else "FAIL"
        print(f"   {mark} {name:45} {function:20} {status} ({elapsed:.1f} s in SAM)", flush=True)


def _seeded_database(server: str, name: str) -> str:
    url = make_url(server).set(drivername="postgresql+pg8000", database="postgres")
    database.drop_database(url.set(database=name))
    seeded = database.ensure_database(url, name)
    database.migrate_database(seeded)
    database.ensure_admin(seeded, ADMIN_EMAIL, ADMIN_PASSWORD)
    load_sample_if_empty(seeded)
    return database.as_environment_value(seeded)


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def start_sam(command: str, port: int, env_file: Path, log: Path) -> subprocess.Popen:
    """`sam local start-lambda|start-api` with warm containers (options from samconfig.toml), in its own process
    group so that stopping it by PID also stops its helpers. EAGER: every function's container starts at once,
    sharing one build of the image with the layer (SAM rebuilds it for a local layer in each process), instead
    of one build per function on its first call."""
    arguments = [
        stack.sam_binary(),
        "local",
        command,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--warm-containers",
        "EAGER",
        "--env-vars",
        str(env_file),
    ]
    process = subprocess.Popen(
        arguments, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    _wait_for_port(port, process, f"sam local {command} (log {log})")
    return process


def stop_sam(process: subprocess.Popen) -> None:
    """SIGTERM to its PID: SAM stops and removes its warm containers on the way out."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def admin_token(pem: str) -> str:
    """An access token for the first admin (user 1), signed with the local key the functions are given."""
    from library_common import tokens
    from library_common.settings import get_settings

    os.environ["JWT_SIGNING_KEY"] = pem
    get_settings.cache_clear()
    tokens.clear_caches()
    return tokens.issue_access_token(1, "admin", [])


def sweep_events(up: stack.Stack, local_environment: dict[str, str], sam_env: Path, token: str) -> Sweep:
    import boto3
    from botocore.config import Config

    print(f"== sam local start-lambda on 127.0.0.1:{LAMBDA_PORT}: every event in events/", flush=True)
    responses = Responses(up.gateway, RESPONSES_PORT)
    local = LocalApi(template.load(), local_environment, concurrency=1)
    sam = start_sam("start-lambda", LAMBDA_PORT, sam_env, up.state_dir / "start-lambda.log")
    try:
        client = boto3.client(
            "lambda",
            endpoint_url=f"http://127.0.0.1:{LAMBDA_PORT}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(read_timeout=120, retries={"max_attempts": 0}),
        )
        sweep = Sweep(client, local, responses, up.gateway, token)
        for function, path in events_by_function():
            sweep.run(function, path)
        return sweep
    finally:
        stop_sam(sam)
        local.stop()
        responses.stop()


def compare_flow(up: stack.Stack, local_environment: dict[str, str], sam_env: Path) -> tuple[int, list[str]]:
    """(steps compared, what failed: one line per failed step)."""
    print(f"== sam local start-api on 127.0.0.1:{API_PORT} and the local API on :{LOCAL_API_PORT}: a flow", flush=True)
    sam = start_sam("start-api", API_PORT, sam_env, up.state_dir / "start-api.log")
    local = Server({**local_environment, "LOCAL_API_QUIET": "1"}, port=LOCAL_API_PORT).start()
    try:
        through_sam = api_flow.run(f"http://127.0.0.1:{API_PORT}", ADMIN_EMAIL, ADMIN_PASSWORD)
        through_local = api_flow.run(local.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    finally:
        local.stop()
        stop_sam(sam)
    failures = []
    gateway = template.load().gateway_responses
    for (name, sam_status, sam_body), (_, local_status, local_body) in zip(through_sam, through_local, strict=True):
        if name in SAM_GATEWAY_ANSWERS:
            sam_answer, response_type = SAM_GATEWAY_ANSWERS[name]
            template_answer = (gateway[response_type].status, json.loads(gateway[response_type].body))
            agree = (sam_status, sam_body) == sam_answer and (local_status, local_body) == template_answer
            mark = "ok  " if agree else "FAIL"
            print(f"   {mark} {name:20} SAM {sam_status} (its emulator's own answer) / local {local_status}")
            if not agree:
                failures.append(f"flow step {name!r}: SAM {sam_status} {sam_body}, local {local_status} {local_body}")
            continue
        mismatch = differences(
            {"status": local_status, "body": normalised(local_body)},
            {"status": sam_status, "body": normalised(sam_body)},
        )
        print(f"   {'FAIL' if mismatch else 'ok  '} {name:20} SAM {sam_status} / local {local_status}", flush=True)
        if mismatch:
            failures.append(f"flow step {name!r}: {'; '.join(mismatch[:5])}")
    return len(through_sam), failures


def main() -> int:
    started = time.monotonic()
    already_running = stack.running()
    up = stack.up()
    try:
        data_dir = Path(os.environ.get("LIBRARY_DATA_DIR", ROOT / ".data"))
        server = up.host_database_url.rsplit("/", 1)[0] + "/postgres"
        sam_url = _seeded_database(server, "library_sam_check")
        local_url = _seeded_database(server, "library_sam_check_local")
        container_url = make_url(up.container_database_url).set(database=make_url(sam_url).database)
        sam_env = up.state_dir / "check-env.json"
        env_json.write(sam_env, database.as_environment_value(container_url), data_dir, ADMIN_EMAIL)
        pem, _ = env_json.local_signing_key(data_dir)
        token = admin_token(pem)
        local_environment = {
            **os.environ,
            "DATABASE_URL": local_url,
            "LIBRARY_DATA_DIR": str(data_dir.resolve()),
            "ADMIN_EMAIL": ADMIN_EMAIL,
        }
        sweep = sweep_events(up, local_environment, sam_env, token)
        flow_steps, flow_failures = compare_flow(up, local_environment, sam_env)
        failures = sweep.failures + flow_failures
    finally:
        stack.down(keep=already_running)
    print(f"== make sam-local: {time.monotonic() - started:.0f} s", flush=True)
    if failures:
        print("what failed:", *failures, sep="\n  ", file=sys.stderr)
    else:
        print("sam local: every event and the flow agree with the local runs")
    # Events and flow steps, each counted once, in the plain form CI reads.
    failed = sum(not ok for ok in sweep.checked.values()) + len(flow_failures)
    passed = len(sweep.checked) + flow_steps - failed
    print(f"sam-local: {passed} passed, {failed} failed", flush=True)
    return 1 if failures else 0
