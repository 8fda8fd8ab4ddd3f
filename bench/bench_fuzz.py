"""The bigger schemathesis pass: tests/http/test_schemathesis.py with many more examples per operation and role, and
many more sequences of linked calls (CI runs a bounded number of both). Reports the cases run and whether any failed
(a 5xx, an undocumented status, a response off its schema or its documented headers, a request the document
refuses that was accepted, copies that no longer add up)."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from bench.support import ROOT

EXAMPLES = 100
SEQUENCES = 150
# Hypothesis's statistics per test, which its pytest plugin records base64-encoded in the JUnit XML:
# "- 12 passing, 0 failing, and 3 invalid test cases".
CASES_LINE = re.compile(r"(\d+) passing, (\d+) failing")


def run() -> str:
    environment = {**os.environ, "FUZZ_EXAMPLES": str(EXAMPLES), "FUZZ_SEQUENCES": str(SEQUENCES)}
    with tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch) / "fuzz.xml"
        started = time.perf_counter()
        finished = subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics"),
                *(f"--junitxml={junit}", "tests/http/test_schemathesis.py"),
            ],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        tallies = _tallies(junit)
    return _report(finished, seconds, tallies)


def _tallies(junit: Path) -> dict[str, int]:
    """Cases per (operation, role) test and calls in sequences of linked calls, from the tests' JUnit properties."""
    tallies = {"operation_tests": 0, "cases": 0, "linked_sequence_calls": 0, "calls_that_followed_a_link": 0}
    if not junit.exists():
        return tallies
    for prop in ElementTree.parse(junit).iter("property"):
        name, value = prop.get("name", ""), prop.get("value", "")
        if name in tallies:
            tallies[name] += int(value)
        elif name.startswith("hypothesis-statistics-") and "test_no_server_errors" in name:
            statistics = base64.b64decode(value).decode()
            tallies["operation_tests"] += 1
            tallies["cases"] += sum(int(passing) + int(failing) for passing, failing in CASES_LINE.findall(statistics))
    return tallies


def _report(finished: subprocess.CompletedProcess, seconds: float, tallies: dict[str, int]) -> str:
    tail = finished.stdout.strip().splitlines()[-1] if finished.stdout.strip() else finished.stderr[-500:]
    from tests.http.test_schemathesis import CHECKS, EXCLUDED_CHECKS

    lines = [
        f"`FUZZ_EXAMPLES={EXAMPLES}` per operation and role (member, librarian, admin) and "
        f"`FUZZ_SEQUENCES={SEQUENCES}` sequences of linked calls per role, against the local API: {seconds:.0f} s.",
        "Cases valid and invalid by the document (schemathesis's positive and negative modes), each response put "
        f"through every check schemathesis has but {len(EXCLUDED_CHECKS)} (why: tests/http/test_schemathesis.py):",
        "",
        f"- checks run: {', '.join(f'`{check.__name__}`' for check in CHECKS)}",
        f"- checks left out: {', '.join(sorted(f'`{check.__name__}`' for check in EXCLUDED_CHECKS))}",
        f"- single operations: {tallies['cases']} cases over {tallies['operation_tests']} (operation, role) pairs",
        f"- sequences of linked calls: {tallies['linked_sequence_calls']} calls, "
        f"{tallies['calls_that_followed_a_link']} of them following one of the document's links",
        f"- pytest: {tail}",
        f"- result: **{'no failure' if finished.returncode == 0 else 'FAILURES (see the pytest output)'}**",
    ]
    if finished.returncode != 0:
        failures = [line for line in finished.stdout.splitlines() if line.startswith(("FAILED", "E "))][:20]
        lines += ["", "```", *failures, "```"]
    return "\n".join(lines)
