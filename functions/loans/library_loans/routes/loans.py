"""/loans: borrow, return, renew, read."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_common import db
from library_common.api import SECURED, caller, checks_token_version_itself
from library_common.domain.permissions import LOANS_MANAGE
from library_common.envelope import MAX_ID, Envelope, Page, PageNumber, PageSize, ok
from library_loans import borrowing, loans
from library_loans.schemas import BorrowRequest, Loan, LoanStatus, ReturnedLoan

router = APIGatewayRouter()
TAGS = ["Loans"]
LoanId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/loans",
    summary="Borrow a copy of a title",
    description=(
        "Borrows for the caller, or for `user_id` with `loans.manage`; the loan is due after the policy's loan "
        "period. Refusals: 409 `BOOK_UNAVAILABLE` (no copy free; a copy on the hold shelf is kept for the member "
        "whose hold is ready), `ALREADY_BORROWED`, `LOAN_LIMIT_REACHED`; 403 `BORROWING_BLOCKED` (an overdue loan, "
        "unpaid fines at or over the block threshold, or an inactive account); 404 `BOOK_NOT_FOUND` / "
        "`USER_NOT_FOUND`. With an `Idempotency-Key` header a retry gets the first successful answer again "
        "(header `Idempotent-Replayed: true`) and no second loan; the same key with a different body is 422 "
        "`IDEMPOTENCY_KEY_REUSED`, and while the first request is still running 409 `IDEMPOTENCY_KEY_IN_USE`. "
        "Refusals are not stored: retrying one re-evaluates it. A key is honoured for at least 24 hours (the daily "
        "job removes older ones)."
    ),
    tags=TAGS,
    security=SECURED,
    status_code=201,
    # The borrow reads the caller's token version in its first statement (library_loans.borrowing).
    middlewares=[checks_token_version_itself],
)
def borrow(
    request: BorrowRequest,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Any unique string per intended borrow, e.g. a UUID; kept per caller",
        ),
    ] = None,
) -> Response[Envelope[Loan]]:
    who = caller()
    caller_id = who.require_login()
    member_id = request.user_id or caller_id
    if member_id != caller_id:
        who.require(LOANS_MANAGE)
    with db.writing() as connection:
        answer = borrowing.borrow(
            connection,
            caller=who,
            member_id=member_id,
            book_id=request.book_id,
            idempotency_key=idempotency_key,
        )
    return ok(answer.data, answer.message, status=answer.status, headers=answer.headers)


@router.post(
    "/loans/<loan_id>/return",
    summary="Return a loan",
    description=(
        "By the borrower or with `loans.manage`. A late return is fined (rate x days late, capped); the copy "
        "goes to the first member waiting for the title (hold ready, notice sent) or back on the shelf. "
        "409 `LOAN_ALREADY_RETURNED`."
    ),
    tags=TAGS,
    security=SECURED,
    # The return checks the caller's token version in its first statement (library_loans.loans).
    middlewares=[checks_token_version_itself],
)
def return_loan(loan_id: LoanId) -> Response[Envelope[ReturnedLoan]]:
    with db.writing() as connection:
        return ok(loans.return_loan(connection, loan_id, caller()), "Book returned")


@router.post(
    "/loans/<loan_id>/renew",
    summary="Renew a loan",
    description=(
        "By the borrower or with `loans.manage`: the due date moves one loan period past the current due date. "
        "409 `RENEWAL_LIMIT_REACHED`, `HOLDS_WAITING` (another member is queued for the title), "
        "`LOAN_ALREADY_RETURNED`; 403 `BORROWING_BLOCKED`."
    ),
    tags=TAGS,
    security=SECURED,
)
def renew(loan_id: LoanId) -> Response[Envelope[Loan]]:
    with db.writing() as connection:
        return ok(loans.renew(connection, loan_id, caller()), "Loan renewed")


@router.get(
    "/loans",
    summary="List loans",
    description=(
        "The caller's own loans; every member's with `loans.view_all`. `status=active`: still out (overdue ones "
        "included, their `status` says `overdue`); `overdue`: out past the due date; `returned`. Newest first."
    ),
    tags=TAGS,
    security=SECURED,
)
def list_loans(
    status: Annotated[LoanStatus | None, Query()] = None,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Needs loans.view_all unless it is yourself")
    ] = None,
    book_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[Loan]]]:
    with db.reading() as connection:
        return ok(
            loans.list_loans(
                connection, caller(), status=status, user_id=user_id, book_id=book_id, page=page, page_size=page_size
            )
        )


@router.get(
    "/loans/<loan_id>",
    summary="Read a loan",
    description="The borrower, or with `loans.view_all`.",
    tags=TAGS,
    security=SECURED,
)
def read_loan(loan_id: LoanId) -> Response[Envelope[Loan]]:
    with db.reading() as connection:
        return ok(loans.read_loan(connection, loan_id, caller()))
