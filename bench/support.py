"""Helpers the benchmarks share: a scratch database and percentile figures."""

from __future__ import annotations

import os
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools import database
from library_common import db, tokens

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_database() -> Iterator[str]:
    """A fresh migrated database (embedded unless DATABASE_URL is set), wired into the layer's settings."""
    server = database.server_url(Path(os.environ.get("LIBRARY_DATA_DIR", ROOT / ".data")))
    url = database.ensure_database(server, f"library_bench_{uuid.uuid4().hex[:8]}")
    database.migrate_database(url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database.as_environment_value(url)
    db.reset()
    tokens.clear_caches()
    try:
        yield os.environ["DATABASE_URL"]
    finally:
        db.reset()
        database.drop_database(url)
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary_ms(samples_seconds: list[float]) -> tuple[float, float]:
    """(median, p99) in milliseconds."""
    ms = [s * 1000 for s in samples_seconds]
    return statistics.median(ms), percentile(ms, 0.99)
