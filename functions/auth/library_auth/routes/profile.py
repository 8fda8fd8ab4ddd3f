"""Your own account: register (POST /auth), read, update and close it (GET / PATCH / DELETE /auth)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_auth.logic import accounts
from library_auth.schemas import Account, ProfileUpdate, Registration
from library_common import db
from library_common.api import SECURED, caller
from library_common.envelope import Envelope, created, ok

router = APIGatewayRouter()
TAGS = ["Auth"]


@router.post(
    "/auth",
    summary="Register an account",
    description=(
        "Anyone may register a member account. Self-registered accounts start inactive (staff activate them) "
        "unless the deployment sets AUTO_ACTIVATE_MEMBERS. An admin (sending a bearer token) may also set `role`, "
        "`is_active` and `permission_groups`; anyone else sending those gets 403. Duplicate email: 409; weak "
        "password: 422."
    ),
    tags=TAGS,
    status_code=201,
)
def register(registration: Registration) -> Response[Envelope[Account]]:
    with db.transaction() as session:
        return created(accounts.register(session, caller(), registration), "Account created")


@router.get("/auth", summary="Your own profile, groups and effective permissions", tags=TAGS, security=SECURED)
def read_profile() -> Response[Envelope[Account]]:
    user_id = caller().require_login()
    with db.reading() as connection:
        return ok(accounts.profile(connection, user_id))


@router.patch(
    "/auth",
    summary="Update your name, email or password",
    description=(
        "A new `password` needs `current_password` (403 when it is wrong) and revokes every refresh token: "
        "sign in again afterwards. `role`, `is_active` and `permission_groups` are for admins only (403)."
    ),
    tags=TAGS,
    security=SECURED,
)
def update_profile(changes: ProfileUpdate) -> Response[Envelope[Account]]:
    with db.transaction() as session:
        return ok(accounts.update_own_account(session, caller(), changes), "Profile updated")


@router.delete(
    "/auth",
    summary="Close your account",
    description=(
        "Deactivates the account (its history is kept) and revokes its refresh tokens. "
        "409 `OPEN_LOANS` while books are on loan, 409 `UNPAID_FINES` while fines are unpaid."
    ),
    tags=TAGS,
    security=SECURED,
)
def close_account() -> Response[Envelope[Account]]:
    with db.transaction() as session:
        return ok(accounts.close_own_account(session, caller()), "Account closed")
