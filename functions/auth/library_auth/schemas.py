"""Request and response models of the auth function.

Response models never carry a password hash or a token hash: the account views are built field by field
in `logic.accounts.account_view`, and these models describe exactly those fields.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError

from library_common.domain import emails, statuses
from library_common.domain import text as stored_text
from library_common.domain.statuses import Role as RoleName
from library_common.domain.statuses import values
from library_common.envelope import Money, Schema, trimmed
from library_common.passwords import MIN_LENGTH

ROLE_SYNONYMS = {"user": RoleName.MEMBER.value}


def _canonical_role(role: str) -> str:
    return ROLE_SYNONYMS.get(role, role)


Role = Literal[values(RoleName)]
# A role as a request may name it: a role, or a synonym of one.
RoleOrSynonym = Literal[(*values(RoleName), *ROLE_SYNONYMS)]
RoleInput = Annotated[
    RoleOrSynonym,
    AfterValidator(_canonical_role),
    Field(description="`admin`, `librarian` or `member`; `user` is accepted as a synonym of `member`"),
]
# PostgreSQL text cannot hold NUL, and no name or code needs a control character: both are refused (422).
NO_CONTROL_CHARACTERS = stored_text.SINGLE_LINE_PATTERN
NO_NUL = r"^[^\x00]*$"
Name = trimmed(min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS)
Description = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
MAX_EMAIL = emails.MAX_LENGTH


def _lower_case(email: str) -> str:
    try:
        return emails.lowered(email)
    except emails.EmailTooLong:
        raise PydanticCustomError(
            "string_too_long", emails.TOO_LONG_LOWERED, {"max_length": emails.MAX_LENGTH}
        ) from None


# Its pattern has no whitespace at all: surrounding spaces are refused as sent (422), as the document states.
Email = Annotated[
    trimmed(max_length=MAX_EMAIL, pattern=emails.PATTERN),
    AfterValidator(_lower_case),
    Field(description="Unique, case-insensitive; stored in lower case"),
]
# The email a login or a password reset names: any text that could be one, matched as the stored ones are.
EmailToMatch = Annotated[
    trimmed(min_length=1, max_length=MAX_EMAIL, pattern=NO_CONTROL_CHARACTERS), AfterValidator(_lower_case)
]
NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_LENGTH,
        max_length=256,
        description=f"At least {MIN_LENGTH} characters, and not containing your email's local part or your name",
    ),
]
GroupName = trimmed(min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS)
GroupRefs = Annotated[
    list[StrictInt | GroupName],
    Field(
        max_length=100,
        description="Permission groups by id (number) or name (string); replaces the current set",
    ),
]
PermissionCode = Annotated[
    trimmed(max_length=100, pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"),
    Field(description="Dotted lower-case code, e.g. `reports.export`"),
]


class Registration(Schema):
    """POST /auth. `role`, `is_active` and `permission_groups` are for admins only: anyone else gets 403."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    password: NewPassword
    role: RoleInput | None = Field(default=None, description="Admins only; default `member`")
    is_active: StrictBool | None = Field(
        default=None, description="Admins only; default true for accounts an admin creates, else the deployment's"
    )
    permission_groups: GroupRefs | None = Field(
        default=None, description="Admins only; default: `librarians` for a librarian, none otherwise"
    )


class LoginRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    email: EmailToMatch
    password: Annotated[str, Field(min_length=1, max_length=256)]
    cookie: StrictBool = Field(
        default=False,
        description="Browser clients: true sets the refresh token as an `HttpOnly; Secure; SameSite=Strict` cookie "
        "scoped to /auth/refresh and /auth/logout, and answers `refresh_token: null`",
    )


class RefreshRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=4096,
            description="From login or an earlier refresh; leave it out to use the refresh-token cookie",
        ),
    ] = None


class PasswordResetRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[
        EmailToMatch, Field(description="The account's email; the answer is the same whether it has one or not")
    ]


class PasswordResetConfirm(Schema):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, Field(min_length=1, max_length=200, description="The code from the reset email")]
    password: NewPassword


class ProfileUpdate(Schema):
    """PATCH /auth. Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None
    password: NewPassword | None = Field(
        default=None, description="Needs `current_password`; signs you out everywhere (refresh tokens revoked)"
    )
    current_password: Annotated[str, Field(max_length=256)] | None = Field(
        default=None, description="Required to change your password or email"
    )
    role: RoleInput | None = Field(default=None, description="Admins only (anyone else gets 403)")
    is_active: StrictBool | None = Field(default=None, description="Admins only (anyone else gets 403)")
    permission_groups: GroupRefs | None = Field(default=None, description="Admins only (anyone else gets 403)")


class AccountCreate(Schema):
    """POST /users: staff create an account, active unless `is_active` is false."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    password: NewPassword
    role: RoleInput = RoleName.MEMBER.value
    is_active: StrictBool = True
    permission_groups: GroupRefs | None = Field(
        default=None, description="Default: `librarians` for a librarian, none otherwise"
    )


class AccountUpdate(Schema):
    """PATCH /users/{id}. Only the fields sent change. Admin accounts and the admin role are for admins only."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None
    password: NewPassword | None = Field(
        default=None,
        description="Sets a new password and signs the account out everywhere; your own needs `current_password`",
    )
    current_password: Annotated[str, Field(max_length=256)] | None = Field(
        default=None, description="Required to change your own password or email"
    )
    role: RoleInput | None = Field(
        default=None,
        description="Becoming a librarian joins `librarians`, leaving the role leaves it (unless groups are sent)",
    )
    is_active: StrictBool | None = Field(
        default=None, description="false deactivates (409 with open loans); true activates and notifies the member"
    )
    permission_groups: GroupRefs | None = None


class AccountGroup(Schema):
    id: int
    name: str


class Account(Schema):
    id: int
    name: str
    email: str
    role: Role
    is_active: bool
    membership_date: date
    must_change_password: bool = Field(
        description="true until the account replaces a password generated for it (PATCH /auth); until then every "
        "other route answers 403 `PASSWORD_CHANGE_REQUIRED`"
    )
    groups: list[AccountGroup]
    permissions: list[str] = Field(description="Effective permissions: the role's plus every group's")
    created_by: int | None
    updated_by: int | None
    created_on: datetime
    updated_on: datetime


class TokenPair(Schema):
    token: str = Field(description="The same as `access_token` (kept for older clients)")
    access_token: str = Field(description="JWT for `Authorization: Bearer ...`")
    refresh_token: str | None = Field(
        description="Opaque; single use: POST /auth/refresh answers a new pair. null when it was set as a cookie"
    )
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds until the access token expires")
    user: Account


class PermissionCreate(Schema):
    model_config = ConfigDict(extra="forbid")

    code: PermissionCode
    name: Name
    description: Description = ""


class PermissionInfo(Schema):
    id: int
    code: str
    name: str
    description: str
    is_builtin: bool
    created_by: int | None
    updated_by: int | None
    created_on: datetime
    updated_on: datetime


PermissionCodes = Annotated[
    list[PermissionCode], Field(max_length=500, description="Permission codes; unknown codes are refused (422)")
]


class GroupCreate(Schema):
    model_config = ConfigDict(extra="forbid")

    name: GroupName
    description: Description = ""
    permissions: PermissionCodes = []


class GroupUpdate(Schema):
    """PATCH /groups/{id}. Only the fields sent change; `permissions` replaces the set. Built-ins keep their name."""

    model_config = ConfigDict(extra="forbid")

    name: GroupName | None = None
    description: Description | None = None
    permissions: PermissionCodes | None = None


class GroupInfo(Schema):
    id: int
    name: str
    description: str
    is_builtin: bool = Field(description="Built-in groups cannot be deleted or renamed")
    permissions: list[str]
    member_count: int
    created_by: int | None
    updated_by: int | None
    created_on: datetime
    updated_on: datetime


LoanStatus = Literal[values(statuses.LoanStatus)]


class BorrowedBook(Schema):
    id: int
    title: str
    author: str
    isbn: str | None


class LoanFine(Schema):
    amount: Money
    status: Literal[values(statuses.FineStatus)]


class BorrowingRecord(Schema):
    id: int
    book: BorrowedBook
    borrowed_on: datetime
    due_date: date
    returned_on: datetime | None
    renewals: int
    status: LoanStatus = Field(description="`overdue`: still out after its due date")
    fine: LoanFine | None
