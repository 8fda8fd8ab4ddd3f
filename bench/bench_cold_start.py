"""Cold start of every function: a fresh interpreter imports its handler from the `sam build` output and
answers one event. Median of 9 runs of (interpreter start + import + first answer): the start is the median wall
time of an interpreter that does nothing; the rest is timed inside the process, so the interpreter's teardown
(tens of ms with hundreds of modules loaded, and never paid by Lambda) is not counted.

Targets (this machine): the authorizer under 80 ms, each API function under 350 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

from bench.support import scratch_database
from devtools import build, template
from library_common import tokens

RUNS = 9
AUTHORIZER_TARGET_MS = 80
API_TARGET_MS = 350


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
    lines = [
        f"Interpreter start (`python -I -S -c pass`, wall): {baseline * 1000:.1f} ms, included. "
        f"{RUNS} runs each, median.",
        "",
        "Functions that only react to AWS events (S3) are measured importing their handler alone.",
        "",
        "| function | cold start (ms) | of which handler import (ms) | target (ms) | met |",
        "|---|---:|---:|---:|---|",
    ]
    for logical_id, cold_ms, import_ms, target in rows:
        lines.append(
            f"| {logical_id} | {cold_ms:.0f} | {import_ms:.0f} | < {target} | {'yes' if cold_ms < target else 'NO'} |"
        )
    return "\n".join(lines)
