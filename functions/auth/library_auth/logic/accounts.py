"""Who a user is: registration, profiles, staff administration, deactivation and the password rules.

Who may change what:
- anyone registers a member account; `role`, `is_active` and `permission_groups` are for admins only (403);
- a user edits their own name, email and password (the password with `current_password`);
- holders of `users.manage` edit other accounts, but only an admin touches an admin account, grants the admin
  role, or changes their own role, activation or groups;
- the last active admin can be neither demoted nor deactivated (409), so the library never locks itself out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Connection, bindparam, delete, func, select
from sqlalchemy.exc import DBAPIError

from library_auth.logic import access
from library_auth.schemas import AccountCreate, AccountUpdate, ProfileUpdate, Registration
from library_common import models, passwords
from library_common.caller import Caller
from library_common.db import violated_constraint
from library_common.domain import grants, loans
from library_common.domain.days import TODAY
from library_common.domain.statuses import FineStatus, NoticeKind, Role
from library_common.envelope import page_of
from library_common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from library_common.notices import queue_notice
from library_common.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

STAFF_FIELDS = frozenset({"role", "is_active", "permission_groups"})
# Pieces of an email or name shorter than this are too common to forbid inside a password.
SHORTEST_FORBIDDEN_PIECE = 3
# Serialises changes to the set of active admins (transaction-scoped advisory lock key).
ADMIN_SET_LOCK = 0x61646D6E
USERS, GROUPS = models.users, models.permission_groups
# What an account shows of its user row, and its groups: over the tables (see `profile`).
ACCOUNT = select(
    *(
        USERS.c[name]
        for name in (
            "id",
            "name",
            "email",
            "role",
            "is_active",
            "membership_date",
            "must_change_password",
            "created_by",
            "updated_by",
            "created_on",
            "updated_on",
        )
    )
).where(USERS.c.id == bindparam("user_id", type_=BigInteger))
ACCOUNT_GROUPS = (
    select(GROUPS.c.id, GROUPS.c.name)
    .join(models.user_groups, models.user_groups.c.group_id == GROUPS.c.id)
    .where(models.user_groups.c.user_id == bindparam("user_id", type_=BigInteger))
)


# --- views ---------------------------------------------------------------------------------------------


def account_view(user: models.User, catalogue: access.PermissionCatalogue) -> dict[str, Any]:
    """The one shape in which an account leaves the API: never a password hash."""
    groups = ((group.id, group.name) for group in user.groups)
    return _account(user, groups, catalogue.effective_permissions(user))


def _account(fields: Any, groups: Iterable[tuple[int, str]], permissions: list[str]) -> dict[str, Any]:
    """An account from its user's fields (a mapped User or a row of ACCOUNT), its groups' ids and names, and its
    effective permissions."""
    return {
        "id": fields.id,
        "name": fields.name,
        "email": fields.email,
        "role": fields.role,
        "is_active": fields.is_active,
        "membership_date": fields.membership_date,
        "must_change_password": fields.must_change_password,
        "groups": [{"id": group_id, "name": name} for group_id, name in sorted(groups, key=lambda group: group[1])],
        "permissions": permissions,
        "created_by": fields.created_by,
        "updated_by": fields.updated_by,
        "created_on": fields.created_on,
        "updated_on": fields.updated_on,
    }


def _fresh_view(session: Session, user: models.User) -> dict[str, Any]:
    session.flush()
    session.refresh(user)
    return account_view(user, access.PermissionCatalogue(session))


def _user_or_404(session: Session, user_id: int, *, lock: bool = False) -> models.User:
    statement = select(models.User).where(models.User.id == user_id)
    user = session.scalar(statement.with_for_update() if lock else statement)
    if user is None:
        raise NotFound("User not found", code="USER_NOT_FOUND")
    return user


def profile(connection: Connection, user_id: int) -> dict[str, Any]:
    """One account, read with Core statements (GET /auth, GET /users/{id}): a cold start's first answer is often
    this read, and the ORM would first configure every mapper of the layer."""
    fields = connection.execute(ACCOUNT, {"user_id": user_id}).first()
    if fields is None:
        raise NotFound("User not found", code="USER_NOT_FOUND")
    groups = connection.execute(ACCOUNT_GROUPS, {"user_id": user_id}).all()
    return _account(fields, groups, access.effective_permissions_of(connection, user_id, fields.role))


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_accounts(
    session: Session,
    *,
    search: str | None,
    role: str | None,
    is_active: bool | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    conditions = []
    if search:
        pattern = _like_pattern(search.strip())
        conditions.append(models.User.name.ilike(pattern, escape="\\") | models.User.email.ilike(pattern, escape="\\"))
    if role is not None:
        conditions.append(models.User.role == role)
    if is_active is not None:
        conditions.append(models.User.is_active.is_(is_active))
    total = session.scalar(select(func.count()).select_from(models.User).where(*conditions))
    users = session.scalars(
        select(models.User).where(*conditions).order_by(models.User.id).offset((page - 1) * page_size).limit(page_size)
    )
    catalogue = access.PermissionCatalogue(session)
    return page_of([account_view(user, catalogue) for user in users], page, page_size, total)


# --- passwords -----------------------------------------------------------------------------------------


def _forbidden_pieces(email: str, name: str) -> set[str]:
    local_part = email.split("@", 1)[0]
    pieces = {local_part, name, *name.split()}
    return {piece.lower() for piece in pieces if len(piece) >= SHORTEST_FORBIDDEN_PIECE}


def check_password(password: str, *, email: str, name: str) -> None:
    """At least MIN_LENGTH characters, and not containing the email's local part or the name (any case)."""
    problems = []
    if len(password) < passwords.MIN_LENGTH:
        problems.append(f"must be at least {passwords.MIN_LENGTH} characters")
    lowered = password.lower()
    if any(piece in lowered for piece in _forbidden_pieces(email, name)):
        problems.append("must not contain your email address or your name")
    if problems:
        raise ValidationFailed(
            "The password is too weak",
            code="WEAK_PASSWORD",
            errors=[{"field": "password", "message": problem} for problem in problems],
        )


def set_password(session: Session, user: models.User, password: str) -> None:
    """A new password ends every session of the account and spends any reset code it had."""
    check_password(password, email=user.email, name=user.name)
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = False
    access.end_sessions(session, [user.id])
    session.execute(delete(models.PasswordResetToken).where(models.PasswordResetToken.user_id == user.id))


# --- creating accounts ---------------------------------------------------------------------------------


def _flush_account(session: Session, email: str) -> None:
    try:
        session.flush()
    except DBAPIError as error:
        if violated_constraint(error) == "uq_users_email_lower":
            raise Conflict(f"An account with the email {email} already exists", code="EMAIL_TAKEN") from error
        raise


def _notify_activated(session: Session, user: models.User) -> None:
    queue_notice(
        session,
        user_id=user.id,
        kind=NoticeKind.ACCOUNT_ACTIVATED,
        subject=f"user:{user.id}",
        context={},
        occurrence=datetime.now(UTC).isoformat(),
    )


def _create(
    session: Session,
    *,
    name: str,
    email: str,
    password: str,
    role: str,
    is_active: bool,
    groups: Iterable[int | str] | None,
    by_staff: bool,
) -> dict[str, Any]:
    check_password(password, email=email, name=name)
    password_hash = passwords.hash_password(password)
    # Joined on the library's day, not the column default's `current_date` (the database session's day).
    user = models.User(name=name, email=email, password_hash=password_hash, role=role, is_active=is_active)
    user.membership_date = TODAY
    if groups is not None:
        user.groups = access.groups_by_reference(session, list(groups))
    elif role == Role.LIBRARIAN:
        user.groups = [access.librarians_group(session)]
    session.add(user)
    _flush_account(session, email)
    if by_staff and is_active:
        _notify_activated(session, user)
    return _fresh_view(session, user)


def register(session: Session, caller: Caller, request: Registration) -> dict[str, Any]:
    """Self-registration makes an inactive member (unless the deployment auto-activates); admins choose."""
    staff_fields = request.model_fields_set & STAFF_FIELDS
    if staff_fields and not caller.is_admin:
        raise Forbidden(f"Only an admin may set {', '.join(sorted(staff_fields))}", code="ADMIN_ONLY_FIELDS")
    by_admin = caller.is_admin
    return _create(
        session,
        name=request.name,
        email=request.email,
        password=request.password,
        role=(request.role or Role.MEMBER.value) if by_admin else Role.MEMBER.value,
        is_active=request.is_active is not False if by_admin else get_settings().auto_activate_members,
        groups=request.permission_groups if by_admin else None,
        by_staff=by_admin,
    )


def create_account(session: Session, caller: Caller, request: AccountCreate) -> dict[str, Any]:
    """POST /users (the route checks `users.manage`)."""
    if request.role == Role.ADMIN and not caller.is_admin:
        raise Forbidden("Only an admin may create an admin", code="ADMIN_ONLY")
    account = _create(
        session,
        name=request.name,
        email=request.email,
        password=request.password,
        role=request.role,
        is_active=request.is_active,
        groups=request.permission_groups,
        by_staff=True,
    )
    # Raised before the transaction commits, so the account is never created.
    grants.ensure_can_grant(caller, account["permissions"])
    return account


# --- changing accounts ---------------------------------------------------------------------------------


def _keep_an_active_admin(session: Session, user: models.User) -> None:
    """Refuses to demote or deactivate the last active admin; serialised so two admins cannot both leave."""
    if not (user.role == Role.ADMIN and user.is_active):
        return
    session.execute(select(func.pg_advisory_xact_lock(ADMIN_SET_LOCK)))
    others = session.scalar(
        select(func.count())
        .select_from(models.User)
        .where(models.User.role == Role.ADMIN, models.User.is_active, models.User.id != user.id)
    )
    if not others:
        raise Conflict("The last active admin cannot be demoted or deactivated", code="LAST_ADMIN")


def _open_loans(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(models.Loan).where(models.Loan.user_id == user_id, loans.is_open())
    )


def _unpaid_fines(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(models.Fine)
        .where(models.Fine.user_id == user_id, models.Fine.status == FineStatus.UNPAID)
    )


def _deactivate(session: Session, user: models.User, *, unpaid_fines_block: bool) -> None:
    """History is kept; the account just cannot sign in, and every refresh token stops working."""
    if not user.is_active:
        return
    _keep_an_active_admin(session, user)
    if _open_loans(session, user.id):
        raise Conflict("The account still has books on loan", code="OPEN_LOANS")
    if unpaid_fines_block and _unpaid_fines(session, user.id):
        raise Conflict("The account still has unpaid fines", code="UNPAID_FINES")
    user.is_active = False
    access.end_sessions(session, [user.id])


def _apply(session: Session, user: models.User, changes: dict[str, Any]) -> None:
    """Applies already-authorised changes; the fields absent from `changes` stay as they are."""
    if "name" in changes:
        user.name = changes["name"]
    if "email" in changes:
        user.email = changes["email"]
        _flush_account(session, user.email)
    if "password" in changes:
        set_password(session, user, changes["password"])
    new_role = changes.get("role", user.role)
    if new_role != user.role:
        if new_role != Role.ADMIN:
            _keep_an_active_admin(session, user)
        if "permission_groups" not in changes:
            user.groups = access.groups_for_role_change(session, user, user.role, new_role)
        user.role = new_role
        access.end_sessions(session, [user.id])
    if "permission_groups" in changes:
        access.lock_memberships(session, user)
        user.groups = access.groups_by_reference(session, changes["permission_groups"])
        access.touch(user)
        access.end_sessions(session, [user.id])
    if changes.get("is_active") is False:
        _deactivate(session, user, unpaid_fines_block=False)
    elif changes.get("is_active") is True and not user.is_active:
        user.is_active = True
        _notify_activated(session, user)


def _sent(request: ProfileUpdate | AccountUpdate) -> dict[str, Any]:
    """The fields the client sent with a value (a null means "leave it")."""
    return {key: value for key, value in request.model_dump(exclude_unset=True).items() if value is not None}


def _confirm_own_credentials_change(user: models.User, changes: dict[str, Any], current_password: str | None) -> None:
    """A new password or email of one's own account needs the current password, whatever the route: a stolen
    access token must not become the account for good."""
    changing = [name for name in ("email", "password") if name in changes]
    if changing == ["email"] and changes["email"] == user.email:
        return
    if not changing:
        return
    if current_password is None:
        raise ValidationFailed(
            f"Changing your {' or '.join(changing)} needs your current password",
            code="CURRENT_PASSWORD_REQUIRED",
            errors=[{"field": "current_password", "message": f"required to change the {f}"} for f in changing],
        )
    if not passwords.verify_password(user.password_hash, current_password):
        raise Forbidden("The current password is not correct", code="WRONG_PASSWORD")


def update_own_account(session: Session, caller: Caller, request: ProfileUpdate) -> dict[str, Any]:
    user_id = caller.require_login()
    staff_fields = request.model_fields_set & STAFF_FIELDS
    if staff_fields and not caller.is_admin:
        raise Forbidden(f"Only an admin may change {', '.join(sorted(staff_fields))}", code="ADMIN_ONLY_FIELDS")
    user = _user_or_404(session, user_id, lock=True)
    changes = _sent(request)
    _confirm_own_credentials_change(user, changes, changes.pop("current_password", None))
    _apply(session, user, changes)
    return _fresh_view(session, user)


def update_account(session: Session, caller: Caller, user_id: int, request: AccountUpdate) -> dict[str, Any]:
    """PATCH /users/{id} (the route checks `users.manage`). Only what the caller holds may be granted."""
    user = _user_or_404(session, user_id, lock=True)
    changes = _sent(request)
    current_password = changes.pop("current_password", None)
    if not caller.is_admin:
        if user.role == Role.ADMIN or changes.get("role") == Role.ADMIN:
            raise Forbidden("Only an admin may change an admin account or grant the admin role", code="ADMIN_ONLY")
        if user.id == caller.user_id and STAFF_FIELDS & set(changes):
            raise Forbidden("You cannot change your own role, activation or groups", code="ADMIN_ONLY_FIELDS")
    if user.id == caller.user_id:
        _confirm_own_credentials_change(user, changes, current_password)
    catalogue = access.PermissionCatalogue(session)
    held_before = set(catalogue.effective_permissions(user))
    _apply(session, user, changes)
    grants.ensure_can_grant(caller, set(catalogue.effective_permissions(user)) - held_before)
    return _fresh_view(session, user)


def close_own_account(session: Session, caller: Caller) -> dict[str, Any]:
    """DELETE /auth: refused while the member has books out or fines unpaid."""
    user = _user_or_404(session, caller.require_login(), lock=True)
    _deactivate(session, user, unpaid_fines_block=True)
    return _fresh_view(session, user)


def deactivate_account(session: Session, caller: Caller, user_id: int) -> dict[str, Any]:
    """DELETE /users/{id} (the route checks `users.manage`): refused while the member has books out."""
    user = _user_or_404(session, user_id, lock=True)
    if user.role == Role.ADMIN and not caller.is_admin:
        raise Forbidden("Only an admin may deactivate an admin", code="ADMIN_ONLY")
    _deactivate(session, user, unpaid_fines_block=False)
    return _fresh_view(session, user)


# --- borrowing history ---------------------------------------------------------------------------------


def borrowing_history(
    session: Session, user_id: int, *, status: str | None, page: int, page_size: int
) -> dict[str, Any]:
    """Every loan of one member, newest first, with the book and any fine."""
    _user_or_404(session, user_id)
    # The status every route shows: in the library's day, never the database session's (current_date).
    loan_status = loans.status_sql()
    conditions = [models.Loan.user_id == user_id]
    if status is not None:
        conditions.append(loan_status == status)
    total = session.scalar(select(func.count()).select_from(models.Loan).where(*conditions))
    rows = session.execute(
        select(models.Loan, models.Book, models.Fine, loan_status.label("status"))
        .join(models.Book, models.Book.id == models.Loan.book_id)
        .outerjoin(models.Fine, models.Fine.loan_id == models.Loan.id)
        .where(*conditions)
        .order_by(models.Loan.borrowed_on.desc(), models.Loan.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    items = [
        {
            "id": loan.id,
            "book": {"id": book.id, "title": book.title, "author": book.author, "isbn": book.isbn},
            "borrowed_on": loan.borrowed_on,
            "due_date": loan.due_date,
            "returned_on": loan.returned_on,
            "renewals": loan.renewals,
            "status": loan_status,
            "fine": {"amount": fine.amount, "status": fine.status} if fine is not None else None,
        }
        for loan, book, fine, loan_status in rows
    ]
    return page_of(items, page, page_size, total)
