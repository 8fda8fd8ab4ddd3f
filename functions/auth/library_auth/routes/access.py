"""The permission module: /permissions, /groups and /groups/{id} (all need `groups.manage`)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from library_auth.logic import access
from library_auth.schemas import GroupCreate, GroupInfo, GroupUpdate, PermissionCreate, PermissionInfo
from library_common import db
from library_common.api import SECURED, caller
from library_common.domain.permissions import GROUPS_MANAGE
from library_common.envelope import MAX_ID, Envelope, Page, PageNumber, PageSize, created, ok

router = APIGatewayRouter()
MANAGE = GROUPS_MANAGE
GroupId = Annotated[int, Path(ge=1, le=MAX_ID, description="The group's id")]


@router.get("/permissions", summary="List permissions", tags=["Permissions"], security=SECURED)
def list_permissions(page: PageNumber = 1, page_size: PageSize = 20) -> Response[Envelope[Page[PermissionInfo]]]:
    caller().require(MANAGE)
    with db.transaction() as session:
        return ok(access.list_permissions(session, page, page_size))


@router.post(
    "/permissions",
    summary="Create a permission",
    description="A new code for groups to grant; the functions check codes by name. Duplicate code: 409.",
    tags=["Permissions"],
    security=SECURED,
    status_code=201,
)
def create_permission(request: PermissionCreate) -> Response[Envelope[PermissionInfo]]:
    caller().require(MANAGE)
    with db.transaction() as session:
        return created(access.create_permission(session, request), "Permission created")


@router.get("/groups", summary="List permission groups", tags=["Groups"], security=SECURED)
def list_groups(page: PageNumber = 1, page_size: PageSize = 20) -> Response[Envelope[Page[GroupInfo]]]:
    caller().require(MANAGE)
    with db.transaction() as session:
        return ok(access.list_groups(session, page, page_size))


@router.post(
    "/groups",
    summary="Create a permission group",
    description=(
        "Unknown permission codes: 422 `UNKNOWN_PERMISSION`. Duplicate name: 409. Only permissions you hold "
        "yourself may be put in a group (403 `CANNOT_GRANT`; admins hold them all)."
    ),
    tags=["Groups"],
    security=SECURED,
    status_code=201,
)
def create_group(request: GroupCreate) -> Response[Envelope[GroupInfo]]:
    caller().require(MANAGE)
    with db.transaction() as session:
        return created(access.create_group(session, caller(), request), "Group created")


@router.get("/groups/<group_id>", summary="Read a permission group", tags=["Groups"], security=SECURED)
def read_group(group_id: GroupId) -> Response[Envelope[GroupInfo]]:
    caller().require(MANAGE)
    with db.transaction() as session:
        return ok(access.read_group(session, group_id))


@router.patch(
    "/groups/<group_id>",
    summary="Update a permission group",
    description=(
        "`permissions` replaces the set (unknown codes: 422); a permission you do not hold yourself cannot be "
        "added (403 `CANNOT_GRANT`). Built-in groups are changed by admins only (403 `ADMIN_ONLY`) and keep their "
        "name (409)."
    ),
    tags=["Groups"],
    security=SECURED,
)
def update_group(group_id: GroupId, changes: GroupUpdate) -> Response[Envelope[GroupInfo]]:
    caller().require(MANAGE)
    with db.transaction() as session:
        return ok(access.update_group(session, caller(), group_id, changes), "Group updated")


@router.delete(
    "/groups/<group_id>",
    summary="Delete a permission group",
    description="Its members leave it. The built-in `librarians` group cannot be deleted (409 `BUILTIN_GROUP`).",
    tags=["Groups"],
    security=SECURED,
)
def delete_group(group_id: GroupId) -> Response[Envelope[None]]:
    caller().require(MANAGE)
    with db.transaction() as session:
        access.delete_group(session, group_id)
    return ok(None, "Group deleted")
