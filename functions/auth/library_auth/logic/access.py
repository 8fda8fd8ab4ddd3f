"""What a user may do: effective permissions, the permission catalogue and the groups that bundle it.

A user's effective permissions are their role's defaults plus the union of their groups' permissions. Only
`admin` has role defaults (every permission); librarians get theirs from the built-in `librarians` group,
which they join when they become librarians.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Connection, Select, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError

from library_auth.schemas import GroupCreate, GroupUpdate, PermissionCreate
from library_common import models
from library_common.caller import Caller
from library_common.db import violated_constraint
from library_common.domain import grants
from library_common.domain.statuses import Role
from library_common.envelope import page_of
from library_common.errors import Conflict, NotFound, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LIBRARIANS = "librarians"
# Over the tables, not the mapped classes: a read that only needs rows (GET /auth) then never has the ORM configure
# every mapper of the layer, ~70 M instructions of a cold start's first answer.
PERMISSIONS = models.permissions
EVERY_CODE = select(PERMISSIONS.c.code).order_by(PERMISSIONS.c.code)
# The permission codes of one user's groups, with repeats (the rule below makes the set).
GROUP_CODES = (
    select(PERMISSIONS.c.code)
    .join(models.group_permissions, models.group_permissions.c.permission_id == PERMISSIONS.c.id)
    .join(models.user_groups, models.user_groups.c.group_id == models.group_permissions.c.group_id)
    .where(models.user_groups.c.user_id == bindparam("user_id", type_=BigInteger))
)


def effective_codes(role: str, every_code: Callable[[], list[str]], group_codes: Iterable[str]) -> list[str]:
    """The rule: an admin holds every permission; anyone else the union of their groups' permissions, sorted.
    `every_code` is called, and `group_codes` iterated, only when the rule needs them."""
    if role == Role.ADMIN:
        return every_code()
    return sorted(set(group_codes))


class PermissionCatalogue:
    """Every permission code, read at most once per request (admins hold them all)."""

    def __init__(self, session: Session):
        self._session = session
        self._codes: list[str] | None = None

    def every_code(self) -> list[str]:
        if self._codes is None:
            self._codes = list(self._session.scalars(EVERY_CODE))
        return self._codes

    def effective_permissions(self, user: models.User) -> list[str]:
        codes = (permission.code for group in user.groups for permission in group.permissions)
        return effective_codes(user.role, self.every_code, codes)


def effective_permissions_of(connection: Connection, user_id: int, role: str) -> list[str]:
    """A user's effective permissions read with Core statements, for a request that reads only rows."""
    codes = (code for code in connection.scalars(GROUP_CODES, {"user_id": user_id}))
    return effective_codes(role, lambda: list(connection.scalars(EVERY_CODE)), codes)


def effective_permissions(session: Session, user: models.User) -> list[str]:
    return PermissionCatalogue(session).effective_permissions(user)


def end_sessions(session: Session, user_ids: Select | list[int]) -> None:
    """Signs users out everywhere, cookie sessions included: their refresh tokens are revoked and their token
    version bumped, so every access token they hold is refused by the functions at once and by the gateway's
    cached authorizer answer within 60 s. For a change of permissions, role, activation or password."""
    session.execute(
        update(models.RefreshToken)
        .where(models.RefreshToken.user_id.in_(user_ids), models.RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    session.execute(
        update(models.User).where(models.User.id.in_(user_ids)).values(token_version=models.User.token_version + 1)
    )


def _end_members_sessions(session: Session, group_id: int) -> None:
    end_sessions(session, select(models.user_groups.c.user_id).where(models.user_groups.c.group_id == group_id))


def touch(row: models.Audited) -> None:
    """Marks a row as updated when only its many-to-many links changed, so the audit columns move too."""
    row.updated_on = func.now()


def _audit(row: models.Permission | models.PermissionGroup) -> dict[str, Any]:
    return {
        "created_by": row.created_by,
        "updated_by": row.updated_by,
        "created_on": row.created_on,
        "updated_on": row.updated_on,
    }


# --- permissions ---------------------------------------------------------------------------------------


def permission_view(permission: models.Permission) -> dict[str, Any]:
    return {
        "id": permission.id,
        "code": permission.code,
        "name": permission.name,
        "description": permission.description,
        "is_builtin": permission.is_builtin,
        **_audit(permission),
    }


def list_permissions(session: Session, page: int, page_size: int) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(models.Permission))
    rows = session.scalars(
        select(models.Permission).order_by(models.Permission.code).offset((page - 1) * page_size).limit(page_size)
    )
    return page_of([permission_view(p) for p in rows], page, page_size, total)


def create_permission(session: Session, request: PermissionCreate) -> dict[str, Any]:
    permission = models.Permission(code=request.code, name=request.name, description=request.description)
    session.add(permission)
    try:
        session.flush()
    except DBAPIError as error:
        if violated_constraint(error) != "uq_permissions_code":
            raise
        raise Conflict(f"Permission '{request.code}' already exists", code="PERMISSION_EXISTS") from error
    session.refresh(permission)
    return permission_view(permission)


def permissions_by_code(session: Session, codes: Iterable[str]) -> list[models.Permission]:
    """The permissions named; any unknown code fails validation (422) naming it."""
    wanted = set(codes)
    found = list(
        session.scalars(
            select(models.Permission).where(models.Permission.code.in_(wanted)).order_by(models.Permission.code)
        )
    )
    unknown = sorted(wanted - {permission.code for permission in found})
    if unknown:
        raise ValidationFailed(
            "Unknown permission codes",
            code="UNKNOWN_PERMISSION",
            errors=[{"field": "permissions", "message": f"unknown permission: {code}"} for code in unknown],
        )
    return found


# --- groups --------------------------------------------------------------------------------------------


def group_view(group: models.PermissionGroup, member_count: int) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "is_builtin": group.is_builtin,
        "permissions": sorted(permission.code for permission in group.permissions),
        "member_count": member_count,
        **_audit(group),
    }


def _member_counts(session: Session, group_ids: Sequence[int]) -> dict[int, int]:
    rows = session.execute(
        select(models.user_groups.c.group_id, func.count())
        .where(models.user_groups.c.group_id.in_(group_ids))
        .group_by(models.user_groups.c.group_id)
    )
    return dict(rows.all())


def _group_or_404(session: Session, group_id: int, *, lock: bool = False) -> models.PermissionGroup:
    statement = select(models.PermissionGroup).where(models.PermissionGroup.id == group_id)
    group = session.scalar(statement.with_for_update() if lock else statement)
    if group is None:
        raise NotFound("Group not found", code="GROUP_NOT_FOUND")
    return group


def _viewed(session: Session, group: models.PermissionGroup) -> dict[str, Any]:
    return group_view(group, _member_counts(session, [group.id]).get(group.id, 0))


def list_groups(session: Session, page: int, page_size: int) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(models.PermissionGroup))
    groups = list(
        session.scalars(
            select(models.PermissionGroup)
            .order_by(models.PermissionGroup.name)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    counts = _member_counts(session, [group.id for group in groups])
    return page_of([group_view(group, counts.get(group.id, 0)) for group in groups], page, page_size, total)


def read_group(session: Session, group_id: int) -> dict[str, Any]:
    return _viewed(session, _group_or_404(session, group_id))


def _flush_group(session: Session, name: str) -> None:
    try:
        session.flush()
    except DBAPIError as error:
        if violated_constraint(error) != "uq_permission_groups_name":
            raise
        raise Conflict(f"A group named '{name}' already exists", code="GROUP_EXISTS") from error


def create_group(session: Session, caller: Caller, request: GroupCreate) -> dict[str, Any]:
    grants.ensure_can_grant(caller, request.permissions)
    group = models.PermissionGroup(
        name=request.name,
        description=request.description,
        permissions=permissions_by_code(session, request.permissions),
    )
    session.add(group)
    _flush_group(session, request.name)
    session.refresh(group)
    return _viewed(session, group)


def update_group(session: Session, caller: Caller, group_id: int, changes: GroupUpdate) -> dict[str, Any]:
    group = _group_or_404(session, group_id, lock=True)
    if group.is_builtin:
        grants.ensure_can_change_builtin_group(caller)
    if changes.name is not None and changes.name != group.name:
        if group.is_builtin:
            raise Conflict("A built-in group keeps its name", code="BUILTIN_GROUP")
        group.name = changes.name
    if changes.description is not None:
        group.description = changes.description
    if changes.permissions is not None:
        # Every member gains what is added: only what the caller holds may be added.
        grants.ensure_can_grant(caller, set(changes.permissions) - {p.code for p in group.permissions})
        group.permissions = permissions_by_code(session, changes.permissions)
        touch(group)
        _end_members_sessions(session, group.id)
    _flush_group(session, group.name)
    session.refresh(group)
    return _viewed(session, group)


def delete_group(session: Session, group_id: int) -> None:
    group = _group_or_404(session, group_id, lock=True)
    if group.is_builtin:
        raise Conflict("A built-in group cannot be deleted", code="BUILTIN_GROUP")
    _end_members_sessions(session, group.id)
    session.delete(group)


# --- membership ----------------------------------------------------------------------------------------


def groups_by_reference(session: Session, references: Sequence[int | str]) -> list[models.PermissionGroup]:
    """Groups named by id (number) or name (string); any unknown one fails validation (422) naming it. Each found is
    kept (FOR KEY SHARE) until the transaction ends: a DELETE /groups/{id} meanwhile waits, and one that was first
    leaves its group unknown here, never a membership of a deleted group for the foreign key to refuse."""
    ids = {ref for ref in references if isinstance(ref, int)}
    names = {ref for ref in references if isinstance(ref, str)}
    found = list(
        session.scalars(
            select(models.PermissionGroup)
            .where(models.PermissionGroup.id.in_(ids) | models.PermissionGroup.name.in_(names))
            .with_for_update(read=True, key_share=True)
        )
    )
    unknown = sorted(map(str, (ids - {g.id for g in found}) | (names - {g.name for g in found})))
    if unknown:
        raise ValidationFailed(
            "Unknown permission groups",
            code="UNKNOWN_GROUP",
            errors=[{"field": "permission_groups", "message": f"unknown group: {ref}"} for ref in unknown],
        )
    return sorted(found, key=lambda group: group.name)


def lock_memberships(session: Session, user: models.User) -> None:
    """Locks the user's memberships before they are replaced, then reads them again. A DELETE /groups/{id} takes its
    memberships with it (ON DELETE CASCADE): one it took after they were read left the replacement a row to delete
    that is gone (SQLAlchemy's StaleDataError, a 500); now it waits for this transaction, or this one for it."""
    memberships = models.user_groups.c
    session.execute(select(memberships.group_id).where(memberships.user_id == user.id).with_for_update())
    session.expire(user, ["groups"])


def librarians_group(session: Session) -> models.PermissionGroup:
    return session.scalars(
        select(models.PermissionGroup).where(
            models.PermissionGroup.name == LIBRARIANS, models.PermissionGroup.is_builtin
        )
    ).one()


def groups_for_role_change(
    session: Session, user: models.User, old_role: str | None, new_role: str
) -> list[models.PermissionGroup]:
    """Becoming a librarian joins the built-in `librarians` group; leaving the role leaves it."""
    groups = list(user.groups)
    staff = librarians_group(session)
    if new_role == Role.LIBRARIAN and staff not in groups:
        groups.append(staff)
    elif old_role == Role.LIBRARIAN and new_role != Role.LIBRARIAN and staff in groups:
        groups.remove(staff)
    return groups
