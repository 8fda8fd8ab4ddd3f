"""The connection a function keeps open from one Core unit of work (`db.reading()`, `db.writing()`) to the next.

A function's container serves one request at a time, so the connection a unit of work used is what the next one
would check out again. Checking it out from SQLAlchemy's pool and back in costs every request ~90,000
instructions (the pool's queue, a connection fairy and its finalizer, the reset on return), about a tenth of a
borrow's own work. The connection is kept instead, while:

- it is no older than the pool would let it be before replacing it (`RECYCLE_SECONDS` out of the pool), and it
  belongs to the engine asked for;
- its unit of work ended cleanly or with a domain refusal (a `LibraryError`); after any other error it goes back to
  the pool, which deals with it as it always has (an invalidated connection replaced);
- no thread is waiting for a connection from the pool: one that is gets it there.

Whatever else checks out from the pool (an ORM session, the health check, migrations, a test's own connection)
takes the kept connection back into the pool first (`ReclaimingPool`), so keeping it never starves the pool.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool

from library_common.errors import LibraryError

# The engine's pool_recycle: how long the pool lets a connection live before it replaces it.
RECYCLE_SECONDS = 300


class _Kept(NamedTuple):
    connection: Connection
    since: float  # time.monotonic() when it left the pool


_kept: list[_Kept] = []  # at most one
_lock = threading.Lock()
# Threads asking a pool for a connection right now: a connection is never kept while one waits.
_asking = 0


class ReclaimingPool(QueuePool):
    """The engine's pool, which takes the kept connection back before it hands one out. A thread is counted as
    asking before it looks for a kept connection, under the lock `_keep` holds, so a connection being kept at the
    same moment is either found here or not kept at all."""

    def _do_get(self) -> Any:
        global _asking
        with _lock:
            _asking += 1
        try:
            release()
            return super()._do_get()
        finally:
            with _lock:
                _asking -= 1


@contextmanager
def unit_connection(engine: Engine) -> Iterator[Connection]:
    """A connection of `engine` for one unit of work: the kept one if there is one, else one from the pool; kept
    afterwards for the next unit of work where the rules above allow, else returned to the pool."""
    kept = _take(engine) or _Kept(engine.connect(), time.monotonic())
    try:
        yield kept.connection
    except LibraryError:
        _keep(kept)
        raise
    except BaseException:
        kept.connection.close()
        raise
    _keep(kept)


def release() -> None:
    """The kept connection, if any, back into its pool."""
    with _lock:
        kept = _kept.pop() if _kept else None
    if kept is not None:
        kept.connection.close()


def _take(engine: Engine) -> _Kept | None:
    with _lock:
        kept = _kept.pop() if _kept else None
    if kept is None:
        return None
    fresh = time.monotonic() - kept.since < RECYCLE_SECONDS
    if kept.connection.engine is engine and fresh and not kept.connection.invalidated:
        return kept
    kept.connection.close()
    return None


def _keep(kept: _Kept) -> None:
    connection = kept.connection
    if not (connection.closed or connection.invalidated or connection.in_transaction()):
        _release_at_exit()
        with _lock:
            if not _kept and not _asking:
                _kept.append(kept)
                return
    connection.close()


@cache
def _release_at_exit() -> None:
    # Registered after SQLAlchemy's first connection finalizer, so that it runs before those at exit (last in,
    # first out): the kept connection is checked in, not collected as one left checked out.
    atexit.register(release)
