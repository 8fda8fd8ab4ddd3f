"""`make remind`: the reminders function's two scheduled jobs, run once against the local database.

It uses the database `make run` uses (the embedded PostgreSQL in LIBRARY_DATA_DIR, or DATABASE_URL) and runs
the function the way the local API runs functions: in its own process, with the template's environment, given
the scheduled events from events/reminders/. With NOTICES_SENDER unset, each delivered email is written to
LIBRARY_DATA_DIR/outbox/ as an .eml file instead of going through SES.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from devtools import database, template
from devtools.local_api import FunctionPool

EVENTS = Path(__file__).resolve().parent.parent / "events" / "reminders"
JOBS = ("daily_job.json", "deliver_notices.json")


def main() -> None:
    data_dir = Path(os.environ.get("LIBRARY_DATA_DIR", ".data")).resolve()
    url = database.ensure_database(database.server_url(data_dir), os.environ.get("DATABASE_NAME", "library"))
    database.migrate_database(url)
    developer = {
        **os.environ,
        "DATABASE_URL": database.as_environment_value(url),
        "LIBRARY_DATA_DIR": str(data_dir),
        # The summaries below say what happened; the function's own INFO logs would say it twice.
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }
    function = template.load().functions["RemindersFunction"]
    # As `sam local --env-vars`: a variable the template declares takes the developer's value when set.
    environment = {
        **developer,
        **function.environment,
        **{k: developer[k] for k in function.environment if k in developer},
    }
    pool = FunctionPool(function, environment, concurrency=1)
    try:
        for name in JOBS:
            event = json.loads((EVENTS / name).read_text())
            event["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            report = pool.invoke(event)
            job = report.pop("job")
            print(
                f"{job}: " + ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in report.items()), flush=True
            )
    finally:
        pool.stop()
    if not environment.get("NOTICES_SENDER"):
        print(f"Without NOTICES_SENDER, delivered email is written to {data_dir / 'outbox'}/ instead of SES.")


if __name__ == "__main__":
    main()
