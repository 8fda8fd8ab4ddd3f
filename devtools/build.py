"""`sam build` output, and running one of its handlers in a fresh interpreter exactly as Lambda would.

The interpreter runs with `-I -S`: no site-packages, no PYTHONPATH; on sys.path only the function's folder and
the layer's `python/` folder (Lambda's /var/task and /opt/python), then boto3 and its dependencies alone, as the
Lambda runtime provides them. Anything a handler imports that the layer does not ship fails here. The report
gives wall and CPU seconds (the process's own, which a busy machine inflates far less) of the import and of the
import and first answer, and says whether importing the handler already imported boto3 (it should not: the cold
start would pay for it).
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

# What the Lambda Python runtime ships besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")

_RUNNER = """
import json, sys, time
started, cpu_started = time.perf_counter(), time.process_time()
function_dir, layer_dir, runtime_dir, handler, event_json = sys.argv[1:6]
sys.path[:0] = [function_dir, layer_dir]
sys.path.append(runtime_dir)
module_name, attribute = handler.rsplit(".", 1)
module = __import__(module_name, fromlist=[attribute])
imported, cpu_imported = time.perf_counter(), time.process_time()
boto3_at_import = "boto3" in sys.modules
event = json.loads(event_json)
if event is None:
    print(json.dumps({"import_s": imported - started, "import_cpu_s": cpu_imported - cpu_started,
                      "boto3_at_import": boto3_at_import}))
    sys.exit(0)
class Context:
    function_name, function_version, memory_limit_in_mb = handler, "1", 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cold-start"
    aws_request_id = "cold-start"
    def get_remaining_time_in_millis(self):
        return 15000
try:
    result = getattr(module, attribute)(event, Context())
except Exception as error:
    result = {"exception": str(error)}
done, cpu_done = time.perf_counter(), time.process_time()
print(json.dumps({"import_s": imported - started, "total_s": done - started, "result": result,
                  "import_cpu_s": cpu_imported - cpu_started, "total_cpu_s": cpu_done - cpu_started,
                  "boto3_at_import": boto3_at_import, "boto3_after_answer": "boto3" in sys.modules}))
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


def sample_event(logical_id: str) -> dict[str, Any] | None:
    """An event the function can answer without AWS: its first GET route's event in events/<its folder>/ (its
    first route's, for a function with no GET route: the chat), the authorizer's token event, or a scheduled event;
    None for functions that only react to AWS (e.g. S3) or that back a custom resource (their work is on AWS
    resources: the migrations, the signing keys' secrets)."""
    api = template.load()
    function = api.functions[logical_id]
    routes = [route for route in api.routes if route.function == logical_id]
    method = "GET" if any(route.method == "GET" for route in routes) else next((r.method for r in routes), "GET")
    resources = {route.path for route in routes if route.method == method}
    events = [json.loads(path.read_text()) for path in sorted((EVENTS / function.code_dir.name).glob("*.json"))]
    if any("RequestType" in event for event in events):
        return None
    for event in events:
        if event.get("type") == "TOKEN" and api.authorizer and api.authorizer.function == logical_id:
            return event
        if event.get("httpMethod") == method and event.get("resource") in resources:
            return event
        if event.get("detail-type") == "Scheduled Event" and "Schedule" in function.event_types:
            return event
    return None


def runtime_packages(build_dir: Path) -> Path:
    """A folder with only what the Lambda runtime adds (boto3 and its dependencies), linked from this venv."""
    folder = build_dir / ".lambda-runtime"
    if not folder.exists():
        folder.mkdir()
        site_packages = Path(next(p for p in sys.path if p.endswith("site-packages")))
        for name in RUNTIME_PACKAGES:
            (folder / name).symlink_to(site_packages / name)
    return folder


def invoke_fresh(build_dir: Path, logical_id: str, event: dict[str, Any] | None, environment: dict[str, str]) -> dict:
    """One cold start: a new interpreter imports the built handler and answers `event` (None: import only)."""
    function = template.load().functions[logical_id]
    arguments = [
        str(build_dir / logical_id),
        str(build_dir / "CommonLayer" / "python"),
        str(runtime_packages(build_dir)),
        function.handler,
        json.dumps(event),
    ]
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _RUNNER, *arguments],
        capture_output=True,
        text=True,
        env={**function.environment, **environment},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{logical_id} failed in a fresh interpreter:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def baseline_seconds() -> float:
    """Wall time of an interpreter that does nothing (`python -I -S -c pass`)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
    return time.perf_counter() - started
