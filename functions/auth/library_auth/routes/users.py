"""Staff administration of accounts: /users and /users/{id}, and a member's borrowing history."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_auth.logic import accounts
from library_auth.schemas import (
    NO_NUL,
    ROLE_SYNONYMS,
    Account,
    AccountCreate,
    AccountUpdate,
    BorrowingRecord,
    LoanStatus,
    RoleOrSynonym,
)
from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import LOANS_VIEW_ALL, USERS_MANAGE, USERS_VIEW
from library_common.envelope import MAX_ID, Envelope, Page, PageNumber, PageSize, created, ok

router = APIGatewayRouter()
TAGS = ["Users"]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id")]


@router.get(
    "/users",
    summary="List users",
    description="Needs `users.view`. `search` matches name or email (partial, any case); `role` accepts `user`.",
    tags=TAGS,
    security=SECURED,
)
def list_users(
    search: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="Part of the name or email")
    ] = None,
    role: Annotated[RoleOrSynonym | None, Query()] = None,
    is_active: Annotated[bool | None, Query()] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[Account]]]:
    caller().require(USERS_VIEW)
    with db.transaction() as session:
        return ok(
            accounts.list_accounts(
                session,
                search=search,
                role=ROLE_SYNONYMS.get(role, role),
                is_active=is_active,
                page=page,
                page_size=page_size,
            )
        )


@router.post(
    "/users",
    summary="Create an account",
    description="Needs `users.manage`; only an admin creates admins. Active unless `is_active` is false.",
    tags=TAGS,
    security=SECURED,
    status_code=201,
)
def create_user(request: AccountCreate) -> Response[Envelope[Account]]:
    caller().require(USERS_MANAGE)
    with db.transaction() as session:
        return created(accounts.create_account(session, caller(), request), "Account created")


@router.get(
    "/users/<user_id>",
    summary="Read an account",
    description="Needs `users.view` (anyone may read their own).",
    tags=TAGS,
    security=SECURED,
)
def read_user(user_id: UserId) -> Response[Envelope[Account]]:
    caller().require_self_or(user_id, USERS_VIEW)
    with db.reading() as connection:
        return ok(accounts.profile(connection, user_id))


@router.patch(
    "/users/<user_id>",
    summary="Update an account: details, role, activation, groups",
    description=(
        "Needs `users.manage`. Only an admin changes an admin account, grants the admin role, or changes their "
        "own role, activation or groups (403). Activating queues an `account_activated` notice; deactivating is "
        "refused while books are on loan (409) and revokes refresh tokens. The last active admin cannot be demoted "
        "or deactivated (409 `LAST_ADMIN`)."
    ),
    tags=TAGS,
    security=SECURED,
)
def update_user(user_id: UserId, changes: AccountUpdate) -> Response[Envelope[Account]]:
    caller().require(USERS_MANAGE)
    with db.transaction() as session:
        return ok(accounts.update_account(session, caller(), user_id, changes), "Account updated")


@router.delete(
    "/users/<user_id>",
    summary="Deactivate an account",
    description=(
        "Needs `users.manage`. The account and its history are kept, it just cannot sign in; refresh tokens are "
        "revoked. 409 `OPEN_LOANS` while books are on loan."
    ),
    tags=TAGS,
    security=SECURED,
)
def deactivate_user(user_id: UserId) -> Response[Envelope[Account]]:
    caller().require(USERS_MANAGE)
    with db.transaction() as session:
        return ok(accounts.deactivate_account(session, caller(), user_id), "Account deactivated")


@router.get(
    "/users/<user_id>/loans",
    summary="A member's borrowing history",
    description="Needs `loans.view_all` (anyone may read their own). Newest first; filter by `status`.",
    tags=TAGS,
    security=SECURED,
)
def user_loans(
    user_id: UserId,
    status: Annotated[LoanStatus | None, Query()] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[Envelope[Page[BorrowingRecord]]]:
    caller().require_self_or(user_id, LOANS_VIEW_ALL)
    with db.transaction() as session:
        return ok(accounts.borrowing_history(session, user_id, status=status, page=page, page_size=page_size))
