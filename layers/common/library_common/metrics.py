"""The library's own metrics, in CloudWatch's embedded metric format (EMF): what the dashboard plots (namespace
`Library`, dimension `service`).

Every handler is wrapped in `flushed`, so one EMF line per invocation carries its counts, written here rather than
by Powertools Metrics, whose validation, logging and serialisation cost every counting request ~0.1 ms (~140,000
instructions for one count, against ~20,000). A count of something a transaction does (`count_on_commit`) is only
published if that transaction commits: a borrow that rolls back, or a dry-run import's served holds, count nothing.
A count of an outcome already final (a login refused, a notice sent) is published at once (`count`). A chat
question, counted with a dimension of its own, is a line of its own (Powertools' `single_metric`).
"""

from __future__ import annotations

import os
import sys
import time
import typing
from collections.abc import Callable
from functools import cache, partial, wraps
from typing import Any

import orjson
from aws_lambda_powertools import single_metric
from aws_lambda_powertools.metrics import MetricUnit
from sqlalchemy import Connection, event

from library_common import db

# typing.TYPE_CHECKING, not the bare name: this module's public upper-case names are the metrics' names.
if typing.TYPE_CHECKING:
    from sqlalchemy.orm import Session, SessionTransaction

# The template sets both per function; the defaults keep local runs and tests in the shape the dashboard reads.
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Library"
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "library"
# CloudWatch takes at most 100 values of a metric in one EMF line. (Private: the module's public upper-case names
# are the metrics' names, which the dashboard must plot.)
_VALUES_PER_LINE = 100

LOANS_BORROWED = "LoansBorrowed"
LOANS_RETURNED = "LoansReturned"
LOANS_RENEWED = "LoansRenewed"
HOLDS_PLACED = "HoldsPlaced"
HOLDS_SERVED = "HoldsServed"
LOGINS_SUCCEEDED = "LoginsSucceeded"
LOGINS_FAILED = "LoginsFailed"
LOGIN_LOCKOUTS = "LoginLockouts"
NOTICES_SENT = "NoticesSent"
NOTICES_FAILED = "NoticesFailed"
IMPORT_ROWS_CREATED = "ImportRowsCreated"
IMPORT_ROWS_UPDATED = "ImportRowsUpdated"
IMPORT_ROWS_FAILED = "ImportRowsFailed"
CHAT_QUESTIONS = "ChatQuestions"

_PENDING = "library_metrics_pending"
# The counts of the invocation being handled, by metric name, until `flushed` prints them.
_counted: dict[str, list[float]] = {}


def flushed(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A Lambda handler that prints its invocation's counts as one EMF line when it returns or raises (none when it
    counted nothing)."""

    @wraps(handler)
    def counting(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            publish()

    return counting


def count(name: str, value: int = 1) -> None:
    if value:
        values = _counted.setdefault(name, [])
        values.append(float(value))
        if len(values) == _VALUES_PER_LINE:
            publish()


def publish() -> None:
    """Prints the counts made so far as one EMF line, and forgets them."""
    if not _counted:
        return
    line = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": _directive(tuple(_counted))},
        "service": SERVICE,
        **_counted,
    }
    _counted.clear()
    # One write of the whole line: print writes the text and its newline separately.
    sys.stdout.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE).decode())


@cache
def _directive(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The EMF directive for these metric names, built once: a function counts the same few sets all its life."""
    metrics = [{"Name": name, "Unit": MetricUnit.Count.value} for name in names]
    return [{"Namespace": NAMESPACE, "Dimensions": [["service"]], "Metrics": metrics}]


def count_on_commit(work: Session | Connection, name: str, value: int = 1) -> None:
    """Counts once the transaction commits, of the session or of the connection of a `db.writing()` block; a
    rollback (of it, or of the session's savepoint the count was made in) forgets the count."""
    if not value:
        return
    if isinstance(work, Connection):
        db.after_commit(work, partial(count, name, value))
        return
    _listen_to_sessions()
    transaction = work.get_nested_transaction() or work.get_transaction()
    work.info.setdefault(_PENDING, []).append((transaction, name, value))


def count_chat_question(intent: str) -> None:
    """One question, by the intent it was understood as (a dimension, so the dashboard can split them)."""
    with single_metric(
        name=CHAT_QUESTIONS,
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE},
    ) as metric:
        metric.add_dimension(name="intent", value=intent)


@cache
def _listen_to_sessions() -> None:
    """Publishing and forgetting a session's counts, set on the Session class by the first count a session makes:
    SQLAlchemy's ORM is imported by the requests that use it (a session's count needs one), not at cold start."""
    from sqlalchemy.orm import Session

    event.listen(Session, "after_commit", _publish)
    event.listen(Session, "after_soft_rollback", _forget)


def _publish(session: Session) -> None:
    for _transaction, name, value in session.info.pop(_PENDING, []):
        count(name, value)


def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [item for item in pending if not _within(item[0], previous_transaction)]


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False
