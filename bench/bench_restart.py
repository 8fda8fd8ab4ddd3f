"""A database restart under load: 8 members loop borrow + return through the local API while its PostgreSQL
server (the drill's own, embedded) is stopped for 5 seconds and started again (issue 16, item 10).

Reports what the clients were answered during the outage, the slowest answer (a hang would show here), and how
long after the server was back each client waited for its first success; then checks the invariants.
"""

from __future__ import annotations

import os
import shutil
import statistics
import uuid
from collections import Counter

from sqlalchemy import create_engine

from bench.support import ROOT
from devtools import database, restart_drill
from devtools.local_api import Server

CLIENTS = 8
OUTAGE_SECONDS = 5.0
RECOVERY_TARGET_SECONDS = 5.0


def run() -> str:
    directory = ROOT / ".data" / f"restart-bench-{uuid.uuid4().hex[:8]}"
    server = restart_drill.EmbeddedServer(directory)
    try:
        url = database.ensure_database(server.url, "library_restart")
        database.migrate_database(url)
        environment = {
            **os.environ,
            "DATABASE_URL": database.as_environment_value(url),
            "LOCAL_API_QUIET": "1",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
        api = Server(environment, port=0, concurrency=CLIENTS).start()
        try:
            report = restart_drill.run(
                api.url, server, restart_drill.members_and_books(url, CLIENTS), outage=OUTAGE_SECONDS
            )
        finally:
            api.stop()
        engine = create_engine(url)
        broken = restart_drill.broken_invariants(engine)
        lost = restart_drill.lost_loans(engine, report.acknowledged_loans)
        engine.dispose()
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
    return _report(report, broken, lost)


def _report(report: restart_drill.DrillReport, broken: list[str], lost: set[int]) -> str:
    outage = report.during_outage()
    answered = Counter((a.status, a.code or "") for a in report.answers)
    recovery = report.recovery_seconds(CLIENTS)
    slowest = max(a.seconds for a in report.answers)
    outage_latency = statistics.median(a.seconds for a in outage) * 1000 if outage else float("nan")
    lines = [
        f"{CLIENTS} clients loop borrow + return through the local API; the server is stopped "
        f"(`pg_ctl stop -m fast`) for {OUTAGE_SECONDS:.0f} s and started again.",
        "",
        "| answer | count |",
        "|---|---:|",
        *(f"| {status} {code} | {count} |" for (status, code), count in sorted(answered.items())),
        "",
        f"- answers to requests sent during the outage: {len(outage)}, all 503 DATABASE_UNAVAILABLE: "
        f"{all(a.status == 503 and a.code == 'DATABASE_UNAVAILABLE' for a in outage)}; median {outage_latency:.0f} ms",
        f"- slowest answer of the run: {slowest:.2f} s (a hang would show here)",
        f"- recovery: the last client's first success came {recovery:.2f} s after the server was up again "
        f"(target {RECOVERY_TARGET_SECONDS:.0f} s: **{'met' if recovery <= RECOVERY_TARGET_SECONDS else 'NOT met'}**)",
        f"- invariants broken afterwards: {', '.join(broken) or 'none'}; acknowledged loans lost: {len(lost)}",
    ]
    return "\n".join(lines)
