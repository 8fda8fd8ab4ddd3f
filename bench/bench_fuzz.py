"""The bigger schemathesis pass: tests/http/test_schemathesis.py with many more examples per operation and role
(CI runs a bounded number). Reports the cases run and whether any failed (a 5xx, an undocumented status, a
response off its schema)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.support import ROOT

EXAMPLES = 150


def run() -> str:
    environment = {**os.environ, "FUZZ_EXAMPLES": str(EXAMPLES)}
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/http/test_schemathesis.py"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    tail = finished.stdout.strip().splitlines()[-1] if finished.stdout.strip() else finished.stderr[-500:]
    lines = [
        f"`FUZZ_EXAMPLES={EXAMPLES}` per operation and role (member, librarian, admin), against the local API: "
        f"{seconds:.0f} s.",
        "",
        f"- pytest: {tail}",
        f"- result: **{'no failure' if finished.returncode == 0 else 'FAILURES (see the pytest output)'}**",
    ]
    if finished.returncode != 0:
        failures = [line for line in finished.stdout.splitlines() if line.startswith(("FAILED", "E "))][:20]
        lines += ["", "```", *failures, "```"]
    return "\n".join(lines)
