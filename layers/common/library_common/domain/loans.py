"""A loan's status and lateness: open until returned, overdue from the day after its due date.

`status` and `days_overdue` are the Python rule over a loaded row (given the library's today); the SQL twins
`status_sql` and `is_overdue` build the same rule over columns, and one test table drives both.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case

from library_common import models
from library_common.domain.days import TODAY
from library_common.domain.statuses import LoanStatus


def days_overdue(*, returned_on: Any, due_date: date, today: date) -> int:
    """Whole days past the due date of a loan still out; 0 once returned or while not yet due."""
    return 0 if returned_on is not None else max(0, (today - due_date).days)


def status(*, returned_on: Any, due_date: date, today: date) -> LoanStatus:
    if returned_on is not None:
        return LoanStatus.RETURNED
    return LoanStatus.OVERDUE if due_date < today else LoanStatus.ACTIVE


def _mapped(loan: Any) -> Any:
    """The loans an expression is over: `loan`, or the mapped class when none is given (looked up at the call, which
    loads the ORM: a request over the table's columns never does)."""
    return models.Loan if loan is None else loan


def is_open(loan: Any = None) -> ColumnElement[bool]:
    loan = _mapped(loan)
    return loan.returned_on.is_(None)


def is_overdue(loan: Any = None) -> ColumnElement[bool]:
    """Out past its due date today (SQL), for `Loan` (the default) or a table's columns."""
    loan = _mapped(loan)
    return and_(loan.returned_on.is_(None), loan.due_date < TODAY)


def status_sql(loan: Any = None) -> ColumnElement[str]:
    loan = _mapped(loan)
    return case(
        (loan.returned_on.is_not(None), LoanStatus.RETURNED.value),
        (loan.due_date < TODAY, LoanStatus.OVERDUE.value),
        else_=LoanStatus.ACTIVE.value,
    )


def status_condition(wanted: LoanStatus, loan: Any = None) -> ColumnElement[bool]:
    """The loans a `status` filter selects; `active` means still out, overdue ones included."""
    loan = _mapped(loan)
    if wanted is LoanStatus.RETURNED:
        return loan.returned_on.is_not(None)
    if wanted is LoanStatus.OVERDUE:
        return is_overdue(loan)
    return is_open(loan)
