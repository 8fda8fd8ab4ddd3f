"""Late fees: the policy's daily rate times the days late, capped; charged on return and accrued daily.

A fine row is created, or raised to the current figure while unpaid: a settled (paid or waived) fine is final.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert

from library_common import models
from library_common.domain.days import day_of
from library_common.domain.policy import THE_POLICY
from library_common.domain.statuses import FineStatus

# The caller on whose behalf a prebuilt statement writes (audit columns); bound per execution.
ACTOR = bindparam("actor", type_=BigInteger)


def late_days(loan_day: ColumnElement[Any], due_date: ColumnElement[Any]) -> ColumnElement[int]:
    """Whole days between the due date and `loan_day` (the return day, or today for a loan still out)."""
    return loan_day - due_date


def fine_amount(days_late: ColumnElement[int]) -> ColumnElement[Decimal]:
    """The late fee, for a query joined to the policy row. The one definition of the fine."""
    return func.least(models.Policy.fine_per_day * days_late, models.Policy.fine_cap)


def fine_upsert(which_loans: ColumnElement[bool], *, audited: bool, loans: Any = None):
    """Sets the fine of every loan `which_loans` selects to what it owes as of its return (today while it is out):
    inserted, or raised while unpaid; a settled fine or one already at that figure is left alone. `audited`
    records the bound ACTOR as creator and updater (a request), else nobody (the daily job). `loans` is the mapped
    class, or the columns of a CTE that returns loan rows (id, user_id, due_date, returned_on) as a write in the
    same statement left them."""
    loans = models.Loan if loans is None else loans
    loan_day = day_of(func.coalesce(loans.returned_on, func.now()))
    amount = fine_amount(late_days(loan_day, loans.due_date))
    actor = ACTOR if audited else literal(None, BigInteger)
    rows = (
        select(loans.id, loans.user_id, amount, actor, actor)
        .join(models.Policy, THE_POLICY)
        .where(which_loans, loan_day > loans.due_date, amount > 0)
    )
    # On the table, not the mapped class: an ORM insert executed with parameters would be a bulk insert.
    fines = models.fines
    statement = insert(fines).from_select(["loan_id", "user_id", "amount", "created_by", "updated_by"], rows)
    changes = {"amount": statement.excluded.amount, "updated_on": func.now()}
    if audited:
        changes["updated_by"] = ACTOR
    return statement.on_conflict_do_update(
        index_elements=[fines.c.loan_id],
        set_=changes,
        where=and_(fines.c.status == FineStatus.UNPAID.value, fines.c.amount != statement.excluded.amount),
    )
