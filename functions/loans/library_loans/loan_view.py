"""The one shape of a loan in the loans function's answers (schemas.Loan), for a new loan and a loan read back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from library_common.domain import loans


def loan_view(
    *,
    id: int,  # noqa: A002 (the field's name in the API)
    user_id: int,
    book_id: int,
    title: str,
    author: str,
    borrowed_on: datetime,
    due_date: date,
    returned_on: datetime | None,
    renewals: int,
    max_renewals: int,
    fine_amount: Decimal | None,
    fine_status: str | None,
    today: date,
) -> dict[str, Any]:
    lateness = {"returned_on": returned_on, "due_date": due_date, "today": today}
    return {
        "id": id,
        "user_id": user_id,
        "book_id": book_id,
        "title": title,
        "author": author,
        "borrowed_on": borrowed_on,
        "due_date": due_date,
        "returned_on": returned_on,
        "renewals": renewals,
        "renewals_left": max(0, max_renewals - renewals),
        "status": loans.status(**lateness).value,
        "days_overdue": loans.days_overdue(**lateness),
        "fine_amount": fine_amount,
        "fine_status": fine_status,
    }
