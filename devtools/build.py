"""`sam build` output, and running one of its handlers in a fresh interpreter exactly as Lambda would.

The interpreter runs with `-I -S`: no site-packages, no PYTHONPATH, only the function's folder and the
layer's `python/` folder on sys.path (Lambda's /var/task and /opt/python). Anything a handler imports that
the layer does not ship fails here, and so does boto3 imported at module level (the Lambda runtime has it,
but the cold start pays for it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from devtools import template

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

_RUNNER = """
import json, sys, time
started = time.perf_counter()
function_dir, layer_dir, handler, event_json = sys.argv[1:5]
sys.path[:0] = [function_dir, layer_dir]
module_name, attribute = handler.rsplit(".", 1)
module = __import__(module_name, fromlist=[attribute])
imported = time.perf_counter()
class Context:
    function_name, function_version, memory_limit_in_mb = handler, "1", 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cold-start"
    aws_request_id = "cold-start"
    def get_remaining_time_in_millis(self):
        return 15000
try:
    result = getattr(module, attribute)(json.loads(event_json), Context())
except Exception as error:
    result = {"exception": str(error)}
done = time.perf_counter()
print(json.dumps({"import_s": imported - started, "total_s": done - started, "result": result}))
"""


def sam_build(build_dir: Path, *, native: bool) -> Path:
    """Runs `sam build` into build_dir; native=True builds the layer for this machine instead of arm64."""
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    if native:
        environment["LAYER_PLATFORM"] = "native"
    environment["PATH"] = f"{Path(sys.executable).parent}:{environment.get('PATH', '')}"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "sam"),
            "build",
            "--build-dir",
            str(build_dir),
            "--template",
            str(template.TEMPLATE),
        ],
        check=True,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    return build_dir


def handler_of(logical_id: str) -> str:
    return template.load().functions[logical_id].handler


def sample_event(logical_id: str) -> dict[str, Any]:
    """The function's first GET event in events/<its folder>/ (the authorizer's token event for it)."""
    function = template.load().functions[logical_id]
    candidates = sorted((EVENTS / function.code_dir.name).glob("*.json"))
    for path in candidates:
        event = json.loads(path.read_text())
        if event.get("type") == "TOKEN" or event.get("httpMethod") == "GET":
            return event
    raise LookupError(f"no GET event for {logical_id} in events/{function.code_dir.name}/")


def invoke_fresh(build_dir: Path, logical_id: str, event: dict[str, Any], environment: dict[str, str]) -> dict:
    """One cold start: a new interpreter imports the built handler and answers `event`."""
    function = template.load().functions[logical_id]
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _RUNNER,
            str(build_dir / logical_id),
            str(build_dir / "CommonLayer" / "python"),
            function.handler,
            json.dumps(event),
        ],
        capture_output=True,
        text=True,
        env={**function.environment, **environment},
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{logical_id} failed in a fresh interpreter:\n{completed.stderr[-3000:]}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    report["wall_s"] = wall
    return report


def baseline_seconds() -> float:
    """Wall time of an interpreter that does nothing (`python -I -S -c pass`)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
    return time.perf_counter() - started
