"""`make bench`: runs every bench/bench_*.py (or those named in BENCH=a,b, or as arguments:
`python -m bench.run_all cold_start own_time`) and writes bench/results/<name>.md.

Each benchmark module exposes `run() -> str`, returning a Markdown report with its figures and the
targets they are measured against.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    wanted = [name for name in (sys.argv[1:] or os.environ.get("BENCH", "").split(",")) if name]
    names = sorted(path.stem.removeprefix("bench_") for path in BENCH.glob("bench_*.py"))
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        sys.exit(f"no such benchmark: {', '.join(unknown)} (there are: {', '.join(names)})")
    failed = []
    for name in names:
        if wanted and name not in wanted:
            continue
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            report = importlib.import_module(f"bench.bench_{name}").run()
        except Exception as error:  # keep going: one broken benchmark must not hide the others' figures
            print(f"   FAILED: {error!r}", flush=True)
            failed.append(name)
            continue
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        header = (
            f"# {name}\n\nMeasured {stamp} on {machine()} by `make bench` ({time.perf_counter() - started:.0f} s).\n\n"
        )
        (RESULTS / f"{name}.md").write_text(header + report.rstrip() + "\n")
        print(report, flush=True)
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
