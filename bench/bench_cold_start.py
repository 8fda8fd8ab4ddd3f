"""Cold start as a ratio: each function against the bare libraries the design fixes for it, in one run.

A cold start is a fresh interpreter importing the handler from the `sam build` output and answering one event
(`devtools.build.invoke_fresh`: the function's folder, the layer and the Lambda runtime's boto3 on sys.path,
nothing else). Its floor is the same kind of interpreter importing only the fixed stack:

- every API function: Powertools' REST resolver with validation and its Logger (built as create_app builds them),
  SQLAlchemy's ORM with the pg8000 dialect and the pg8000 driver, pydantic;
- the authorizer: pyjwt with cryptography.

Functions and floors run in rounds, each round every one of them once in a rotating order, so the machine's
drift weighs on all alike; figures are medians over the rounds, timed inside the process from its first line
(the interpreter's own start, the same for all, is reported apart and counted in neither side). The first
answer includes connecting to PostgreSQL and the request's statements. CPU time (the process's own, the
operating system's accounting) is shown beside wall time: a busy machine inflates it far less.

Target (issue 17, goal 4): each API function and the authorizer at most 1.10 times its floor (wall).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
from sqlalchemy import text

from bench.support import scratch_database
from devtools import build, template
from library_common import db, tokens

ROUNDS = 9
TARGET_RATIO = 1.10
API_STACK = "the API stack"
JWT_STACK = "pyjwt"
FLOOR_NAMES = {
    API_STACK: "the API stack: Powertools' REST resolver with validation, Logger, SQLAlchemy's ORM, the pg8000 "
    "dialect and driver, pydantic",
    JWT_STACK: "pyjwt with cryptography",
}
FLOORS = {
    API_STACK: (
        "from aws_lambda_powertools import Logger\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "import pydantic, pg8000, sqlalchemy.orm, sqlalchemy.dialects.postgresql.pg8000\n"
        "Logger()\n"
        "APIGatewayRestResolver(enable_validation=True)"
    ),
    JWT_STACK: "import jwt, jwt.algorithms\nassert jwt.algorithms.has_crypto",
}
# The request each API function answers first: one that reads the database the way its users' requests do (the
# others' first route's event, see `devtools.build.sample_event`). The seeded admin is the events' caller.
FIRST_REQUESTS = {
    "AuthFunction": "auth/get_profile.json",
    "BooksFunction": "books/list_books.json",
    "LoansFunction": "loans/list_loans.json",
}
CALLER = text(
    "INSERT INTO users (id, name, email, password_hash, role, is_active) "
    "VALUES (1, 'Admin', 'admin@bench.example', 'x', 'admin', true)"
)
_FLOOR_RUNNER = """
import json, sys, time
started, cpu_started = time.perf_counter(), time.process_time()
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[3])  # what the Lambda runtime adds: boto3 and its dependencies
exec(sys.argv[2])
print(json.dumps({"total_s": time.perf_counter() - started, "total_cpu_s": time.process_time() - cpu_started}))
"""


def _floor_run(build_dir: Path, code: str) -> dict[str, float]:
    layer_dir, runtime_dir = build_dir / "CommonLayer" / "python", build.runtime_packages(build_dir)
    command = [sys.executable, "-I", "-S", "-c", _FLOOR_RUNNER, str(layer_dir), code, str(runtime_dir)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _subjects() -> dict[str, tuple[str, dict | None]]:
    """Every function with the event it answers (None: import only), keyed by logical id."""
    api = template.load()
    subjects = {}
    for logical_id in sorted(api.functions):
        first = FIRST_REQUESTS.get(logical_id)
        event = json.loads((build.EVENTS / first).read_text()) if first else build.sample_event(logical_id)
        if event is not None and event.get("type") == "TOKEN":
            event["authorizationToken"] = "Bearer " + tokens.issue_access_token(1, "admin", [])
        subjects[logical_id] = (logical_id, event)
    return subjects


def _rounds(build_dir: Path, environment: dict[str, str]) -> dict[str, list[dict]]:
    """ROUNDS rounds of every function and floor once each, the order rotated by one every round."""
    subjects = _subjects()
    names = [*FLOORS, *subjects]
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for round_number in range(ROUNDS):
        for name in names[round_number % len(names) :] + names[: round_number % len(names)]:
            if name in FLOORS:
                runs[name].append(_floor_run(build_dir, FLOORS[name]))
            else:
                logical_id, event = subjects[name]
                report = build.invoke_fresh(build_dir, logical_id, event, environment)
                result = report.get("result") or {}
                if "exception" in result or result.get("statusCode", 200) != 200:
                    raise RuntimeError(f"{logical_id} failed its first answer: {str(result)[:500]}")
                runs[name].append(report)
    return runs


def _wall_and_cpu(reports: list[dict]) -> str:
    return f"{_median_ms(reports, 'total_s'):.0f} ({_median_ms(reports, 'total_cpu_s'):.0f})"


def _median_ms(reports: list[dict], key: str) -> float:
    return statistics.median(r.get(key, r.get(key.replace("total", "import"))) for r in reports) * 1000


def _authorizer_key_sources(build_dir: Path, environment: dict) -> dict[str, float | bool]:
    """The authorizer's cold start with the public keys in its environment (your own key) and read from their secret
    (the full stack), in alternation. moto's server on loopback stands in for Secrets Manager (the round trip
    inside a Region, a few ms, is not counted)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        aws = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        client = boto3.client("secretsmanager", endpoint_url=endpoint, **_client_arguments(aws))
        secret = client.create_secret(Name="bench-public-keys", SecretString=environment["JWT_PUBLIC_KEYS"])
        full_stack = {k: v for k, v in environment.items() if k != "JWT_PUBLIC_KEYS"}
        full_stack |= {**aws, "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint, "JWT_PUBLIC_KEYS_SECRET_ARN": secret["ARN"]}
        event = build.sample_event("AuthorizerFunction")
        event["authorizationToken"] = "Bearer " + tokens.issue_access_token(1, "admin", [])
        pairs = [
            (
                build.invoke_fresh(build_dir, "AuthorizerFunction", event, environment),
                build.invoke_fresh(build_dir, "AuthorizerFunction", event, full_stack),
            )
            for _ in range(ROUNDS)
        ]
    finally:
        server.stop()
    assert all(secret_run["result"].get("principalId") == "1" for _, secret_run in pairs), pairs[0]
    return {
        "environment_ms": _median_ms([a for a, _ in pairs], "total_s"),
        "secret_ms": _median_ms([b for _, b in pairs], "total_s"),
        "boto3": any(b["boto3_after_answer"] for _, b in pairs),
    }


def _client_arguments(aws: dict[str, str]) -> dict[str, str]:
    return {
        "region_name": aws["AWS_REGION"],
        "aws_access_key_id": aws["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": aws["AWS_SECRET_ACCESS_KEY"],
    }


def _function_rows(runs: dict[str, list[dict]]) -> list[str]:
    api = template.load()
    api_functions = {route.function for route in api.routes}
    floor = {name: (_median_ms(runs[name], "total_s"), _median_ms(runs[name], "total_cpu_s")) for name in FLOORS}
    rows = []
    for logical_id in (name for name in runs if name not in FLOORS):
        stack = JWT_STACK if api.authorizer and logical_id == api.authorizer.function else API_STACK
        wall, cpu = _median_ms(runs[logical_id], "total_s"), _median_ms(runs[logical_id], "total_cpu_s")
        ratio, cpu_ratio = wall / floor[stack][0], cpu / floor[stack][1]
        answers = runs[logical_id][0].get("total_s") is not None
        if stack == JWT_STACK or logical_id in api_functions:
            verdict = f"at most {TARGET_RATIO:.2f}x: **{'met' if ratio <= TARGET_RATIO else 'NOT met'}**"
        else:
            verdict = "- (not behind the API)"
        measured = "import + first answer" if answers else "import only"
        imported = _median_ms(runs[logical_id], "import_s")
        rows.append(
            f"| {logical_id} | {measured} | {wall:.0f} ({cpu:.0f}) | {imported:.0f} | {stack} "
            f"| {ratio:.2f}x ({cpu_ratio:.2f}x) | {verdict} |"
        )
    return rows


def _report(runs: dict[str, list[dict]], interpreter_ms: float, key_sources: dict) -> str:
    lines = [
        f"{ROUNDS} rounds, every function and floor once a round in a rotating order; medians. Timed inside each "
        f"process; the interpreter's own start ({interpreter_ms:.0f} ms here, `python -I -S -c pass`) is counted "
        "on neither side.",
        "",
        "| floor | wall ms (CPU ms) |",
        "|---|---:|",
        *(f"| {FLOOR_NAMES[name]} | {_wall_and_cpu(runs[name])} |" for name in FLOORS),
        "",
        "| function | measured | cold start, wall ms (CPU ms) | of which import, wall ms | floor "
        "| ratio, wall (CPU) | target |",
        "|---|---|---:|---:|---|---:|---|",
        *_function_rows(runs),
        "",
        "Functions that only react to AWS events (S3) or back a custom resource are measured importing their handler "
        "alone.",
        "",
        f"The authorizer by where its public keys come from, {ROUNDS} runs of each in alternation, median (moto's "
        "server on loopback stands in for Secrets Manager):",
        "",
        "| public keys | cold start, wall ms | boto3 imported |",
        "|---|---:|---|",
        f"| in the environment (JwtPublicKeys, your own key) | {key_sources['environment_ms']:.0f} | no |",
        f"| read from their secret (the full stack) | {key_sources['secret_ms']:.0f} | "
        f"{'yes' if key_sources['boto3'] else 'no'} |",
        f"| ratio | {key_sources['secret_ms'] / key_sources['environment_ms']:.2f} | |",
    ]
    return "\n".join(lines)


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp, scratch_database() as database_url:
        build_dir = build.sam_build(Path(tmp), native=True)
        with db.get_engine().begin() as connection:
            connection.execute(CALLER)
        key = tokens.signing_key()
        environment = {
            "DATABASE_URL": database_url,
            "LIBRARY_DATA_DIR": os.environ.get("LIBRARY_DATA_DIR", str(Path(".data").resolve())),
            # As deployed: the authorizer gets the public keys, never the signing key.
            "JWT_PUBLIC_KEYS": json.dumps({key.kid: key.public_pem}),
        }
        interpreter_ms = statistics.median(build.baseline_seconds() for _ in range(ROUNDS)) * 1000
        runs = _rounds(build_dir, environment)
        key_sources = _authorizer_key_sources(build_dir, environment)
    return _report(runs, interpreter_ms, key_sources)
