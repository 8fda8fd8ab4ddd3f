"""Cold start of every function: a fresh interpreter imports its handler from the `sam build` output and
answers one event. Median of 9 runs of (interpreter start + import + first answer): the start is the median wall
time of an interpreter that does nothing; the rest is timed inside the process, so the interpreter's teardown
(tens of ms with hundreds of modules loaded, and never paid by Lambda) is not counted.

Targets (this machine): the authorizer under 80 ms, each API function under 350 ms.

The same measurement of the libraries the design fixes, before any of our code, shows how much of each figure
is ours: pyjwt for the authorizer; Powertools' REST resolver with validation and its Logger, SQLAlchemy's ORM and
the pg8000 dialect for every API function.
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

from bench.support import scratch_database
from devtools import build, template
from library_common import tokens

RUNS = 9
AUTHORIZER_TARGET_MS = 80
API_TARGET_MS = 350

STACK_IMPORTS = {
    "pyjwt (what the authorizer must import)": "import jwt",
    "http.client and ssl (what the authorizer's secret reader adds)": "import http.client",
    "boto3 and a Secrets Manager client (what reading the keys with the SDK would add)": (
        "import boto3\nboto3.session.Session().client('secretsmanager', region_name='us-east-1')"
    ),
    "Powertools resolver with validation, Logger, SQLAlchemy ORM, pg8000 (every API function)": (
        "from aws_lambda_powertools import Logger\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "import sqlalchemy.orm, sqlalchemy.dialects.postgresql.pg8000\n"
        "Logger()\n"
        "APIGatewayRestResolver(enable_validation=True)"
    ),
}
_STACK_RUNNER = """
import sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[3])  # what the Lambda runtime adds: boto3 and its dependencies
exec(sys.argv[2])
print(time.perf_counter() - started)
"""


def _stack_seconds(layer_dir: Path, runtime_dir: Path, code: str) -> float:
    command = [sys.executable, "-I", "-S", "-c", _STACK_RUNNER, str(layer_dir), code, str(runtime_dir)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(completed.stdout.strip().splitlines()[-1])


def _authorizer_key_sources(build_dir: Path, baseline: float, environment: dict) -> dict[str, float | bool]:
    """The authorizer's cold start with the public keys in its environment (your own key) and read from their secret
    (the full stack), run in alternation so the machine's load weighs on both alike. moto's server on loopback
    stands in for Secrets Manager (the round trip inside a Region, a few ms, is not counted)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        aws = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        client = boto3.client(
            "secretsmanager",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
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
            for _ in range(2 * RUNS)
        ]
    finally:
        server.stop()
    assert all(secret_run["result"].get("principalId") == "1" for _, secret_run in pairs), pairs[0]
    environment_ms = (baseline + statistics.median(a["total_s"] for a, _ in pairs)) * 1000
    secret_ms = (baseline + statistics.median(b["total_s"] for _, b in pairs)) * 1000
    return {
        "environment_ms": environment_ms,
        "secret_ms": secret_ms,
        "boto3": any(b["boto3_after_answer"] for _, b in pairs),
    }


def run() -> str:
    api = template.load()
    with tempfile.TemporaryDirectory() as tmp, scratch_database() as database_url:
        build_dir = build.sam_build(Path(tmp), native=True)
        key = tokens.signing_key()
        environment = {
            "DATABASE_URL": database_url,
            "LIBRARY_DATA_DIR": os.environ.get("LIBRARY_DATA_DIR", str(Path(".data").resolve())),
            # As deployed: the authorizer gets the public keys, never the signing key.
            "JWT_PUBLIC_KEYS": json.dumps({key.kid: key.public_pem}),
        }
        baseline = statistics.median(build.baseline_seconds() for _ in range(RUNS))
        rows = []
        for logical_id in sorted(api.functions):
            event = build.sample_event(logical_id)
            if event is not None and event.get("type") == "TOKEN":
                event["authorizationToken"] = "Bearer " + tokens.issue_access_token(1, "admin", [])
            reports = [build.invoke_fresh(build_dir, logical_id, event, environment) for _ in range(RUNS)]
            cold_ms = (baseline + statistics.median(r.get("total_s", r["import_s"]) for r in reports)) * 1000
            import_ms = statistics.median(r["import_s"] for r in reports) * 1000
            target = AUTHORIZER_TARGET_MS if logical_id == api.authorizer.function else API_TARGET_MS
            rows.append((logical_id, cold_ms, import_ms, target))
        key_sources = _authorizer_key_sources(build_dir, baseline, environment)
        layer_dir = build_dir / "CommonLayer" / "python"
        runtime_dir = build.runtime_packages(build_dir)
        floors = {
            label: (baseline + statistics.median(_stack_seconds(layer_dir, runtime_dir, code) for _ in range(RUNS)))
            * 1000
            for label, code in STACK_IMPORTS.items()
        }
    lines = [
        f"Interpreter start (`python -I -S -c pass`, wall): {baseline * 1000:.1f} ms, included. "
        f"{RUNS} runs each, median.",
        "",
        "Functions that only react to AWS events (S3) or back a custom resource are measured importing their handler "
        "alone.",
        "",
        "| function | cold start (ms) | of which handler import (ms) | target (ms) | met |",
        "|---|---:|---:|---:|---|",
    ]
    for logical_id, cold_ms, import_ms, target in rows:
        lines.append(
            f"| {logical_id} | {cold_ms:.0f} | {import_ms:.0f} | < {target} | {'yes' if cold_ms < target else 'NO'} |"
        )
    ratio = key_sources["secret_ms"] / key_sources["environment_ms"]
    lines += [
        "",
        f"The authorizer by where its public keys come from, {2 * RUNS} runs of each in alternation, median "
        "(moto's server on loopback stands in for Secrets Manager):",
        "",
        "| public keys | cold start (ms) | boto3 imported |",
        "|---|---:|---|",
        f"| in the environment (JwtPublicKeys, your own key) | {key_sources['environment_ms']:.0f} | no |",
        f"| read from their secret (the full stack) | {key_sources['secret_ms']:.0f} | "
        f"{'yes' if key_sources['boto3'] else 'no'} |",
        f"| ratio | {ratio:.2f} | |",
        "",
        "The fixed stack alone, measured the same way (interpreter start + import):",
        "",
        "| libraries | ms |",
        "|---|---:|",
    ]
    lines += [f"| {label} | {ms:.0f} |" for label, ms in floors.items()]
    return "\n".join(lines)
