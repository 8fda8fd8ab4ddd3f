"""Request and response models of the loans function (loans, holds, fines, policies, reports)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from library_common.domain import statuses
from library_common.envelope import Money, Schema

LoanStatus = Literal[statuses.values(statuses.LoanStatus)]
HoldStatus = Literal[statuses.values(statuses.HoldStatus)]
FineStatus = Literal[statuses.values(statuses.FineStatus)]
MemberId = Annotated[
    StrictInt | None,
    Field(ge=1, description="Staff with `loans.manage` act for this member; omitted: the caller themselves"),
]


class BorrowRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    book_id: StrictInt = Field(ge=1, description="The title to borrow a copy of")
    user_id: MemberId = None


class Loan(Schema):
    id: int
    user_id: int
    book_id: int
    title: str
    author: str
    borrowed_on: datetime
    due_date: date
    returned_on: datetime | None
    renewals: int = Field(description="Renewals used so far")
    renewals_left: int = Field(description="Renewals the current policy still allows")
    status: LoanStatus = Field(description="`overdue`: still out after its due date")
    days_overdue: int = Field(description="Days past the due date while still out; 0 otherwise")
    fine_amount: Money | None = Field(description="The late fee charged for this loan, if any")
    fine_status: FineStatus | None


class ReturnedLoan(Loan):
    copy_destination: Literal["hold_shelf", "shelf"] = Field(
        description="`hold_shelf`: the copy is kept for the first member waiting for the title; otherwise shelved"
    )


class HoldRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    book_id: StrictInt = Field(ge=1, description="The title to queue for")
    user_id: MemberId = None


class Hold(Schema):
    id: int
    user_id: int
    book_id: int
    title: str
    author: str
    status: HoldStatus
    position: int | None = Field(description="Place in the title's queue (1 = next) while waiting; null otherwise")
    queued_on: datetime
    ready_on: datetime | None = Field(description="When a copy was put on the hold shelf for this member")
    pickup_by: datetime | None = Field(description="While ready: borrow the copy before this time")
    loan_id: int | None = Field(description="The loan that fulfilled the hold")


class Fine(Schema):
    id: int
    loan_id: int
    user_id: int
    book_id: int
    title: str
    amount: Money
    status: FineStatus
    accruing: bool = Field(description="The loan is still out, so the amount still grows daily (up to the cap)")
    created_on: datetime
    settled_on: datetime | None


# Money sent as text is written as the API writes it ("2.50"): the document says so, and the server takes no other
# spelling (Decimal alone would also read " 1", "+1", "1e2" and "1_0").
MONEY_TEXT = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"


def _money_text(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(MONEY_TEXT, value):
        raise PydanticCustomError("money", "must be a number, or a decimal string such as 0.25")
    return value


def _document_money_text(schema: dict) -> None:
    for branch in schema.get("anyOf", ()):
        if branch.get("type") == "string":
            branch["pattern"] = MONEY_TEXT


def _money(maximum: int, example: str) -> object:
    return Annotated[
        Decimal,
        Field(
            ge=0,
            le=maximum,
            max_digits=10,
            decimal_places=2,
            description=f"Money, e.g. {example}",
            json_schema_extra=_document_money_text,
        ),
        BeforeValidator(_money_text),
    ]


FinePerDay = _money(1000, "0.25")
Amount = _money(100_000, "10.00")


class Policy(Schema):
    loan_period_days: int = Field(description="Days a loan (or a renewal) lasts")
    max_loans: int = Field(description="Open loans a member may have at once")
    max_renewals: int = Field(description="Renewals allowed per loan")
    fine_per_day: Money = Field(description="Late fee per day past the due date")
    fine_cap: Money = Field(description="The most one loan's late fee can reach")
    hold_pickup_days: int = Field(description="Days a copy waits on the hold shelf for its member")
    block_threshold: Money = Field(description="Unpaid fines at or over this amount block borrowing (0: any)")
    currency: str = Field(
        description="The library's currency, an ISO 4217 code (the deployment's `LibraryCurrency`, not changed "
        "here): every amount of the API is in it, fines, fees and these figures alike",
        examples=["USD"],
    )
    currency_minor_digits: int = Field(
        description="The digits of the currency's minor unit (ISO 4217: USD 2, JPY 0, KWD 3): the notices write "
        "every amount with as many decimals, and a client should too (the amounts here are decimal strings with "
        "two places whatever the currency). The policy's amounts are whole numbers of that unit (PATCH refuses "
        "JPY 0.25)",
        examples=[2],
    )


class PolicyChange(Schema):
    """Only the fields sent change; at least one is needed."""

    model_config = ConfigDict(extra="forbid")

    # Left out: unchanged. Sent: a value, never null (a policy always has every figure), as documented.
    loan_period_days: StrictInt = Field(default=None, ge=1, le=365)
    max_loans: StrictInt = Field(default=None, ge=0, le=100)
    max_renewals: StrictInt = Field(default=None, ge=0, le=50)
    fine_per_day: FinePerDay = None
    fine_cap: Amount = None
    hold_pickup_days: StrictInt = Field(default=None, ge=1, le=60)
    block_threshold: Amount = None

    @model_validator(mode="after")
    def _something_to_change(self) -> PolicyChange:
        if not self.model_fields_set:
            raise ValueError("send at least one policy field")
        return self


class BorrowCount(Schema):
    book_id: int
    title: str
    author: str
    loans: int = Field(description="Loans of the title that started in the range")


class DayCount(Schema):
    day: date
    loans: int = Field(description="Loans that began on this day (the library's, in its `LibraryTimeZone`)")


class DaysLateCount(Schema):
    from_days: int = Field(description="The bin's first day late")
    to_days: int | None = Field(description="The bin's last day late; null: this many days late or more")
    loans: int = Field(description="Loans still out that are this late")


class HoldQueue(Schema):
    book_id: int
    title: str
    author: str
    waiting: int = Field(description="Members waiting in the title's queue")


class OverdueLoan(Schema):
    loan_id: int
    book_id: int
    title: str
    user_id: int
    member_name: str
    member_email: str
    borrowed_on: datetime
    due_date: date
    days_late: int
    fine_so_far: Money = Field(description="The late fee the loan has run up by today")


class Summary(Schema):
    titles: int = Field(description="Titles in the catalogue (archived ones excluded)")
    copies: int = Field(description="Copies owned")
    on_loan: int = Field(description="Copies out on loan")
    on_hold_shelf: int = Field(description="Copies kept on the hold shelf for a member")
    overdue: int = Field(description="Loans still out after their due date")
    holds_waiting: int
    active_members: int = Field(description="Members whose account is active")
    fines_outstanding: Money = Field(
        description="Total of unpaid fines as charged (GET /fines?status=unpaid): at a late return, and daily for "
        "loans still out"
    )
    fines_accruing: Money = Field(
        description="Late fees that loans still out past their due date have run up today beyond their fine as "
        "charged so far; charged at the return or by the next daily job"
    )
