"""/permissions and /groups: admins define permissions, bundle them into groups and assign groups to users."""

import pytest
from sqlalchemy import text

from library_common import tokens
from tests.auth_support import invoke

BUILT_IN = {
    "books.create",
    "books.update",
    "books.delete",
    "books.import",
    "users.view",
    "users.manage",
    "groups.manage",
    "loans.manage",
    "loans.view_all",
    "fines.manage",
    "reports.view",
    "policies.manage",
}


@pytest.fixture
def admin_token(users):
    return users.token(users.create("admin"))


def test_the_built_in_permissions_and_librarians_group_are_listed(admin_token):
    permissions = invoke("list_permissions", token=admin_token, query={"page_size": "100"}).data
    assert {p["code"] for p in permissions["items"]} == BUILT_IN and permissions["total"] == 12
    assert all(p["is_builtin"] for p in permissions["items"])
    groups = invoke("list_groups", token=admin_token).data["items"]
    assert [(g["name"], g["is_builtin"]) for g in groups] == [("librarians", True)]
    assert set(groups[0]["permissions"]) == BUILT_IN - {"users.manage", "groups.manage", "policies.manage"}


def test_permissions_are_created_once_with_a_dotted_code(admin_token):
    body = {"code": "reports.export", "name": "Export reports", "description": "CSV downloads"}
    created = invoke("create_permission", token=admin_token, body=body)
    assert created.status == 201 and created.data["code"] == "reports.export" and created.data["is_builtin"] is False
    duplicate = invoke("create_permission", token=admin_token, body=body)
    assert duplicate.status == 409 and duplicate.body["code"] == "PERMISSION_EXISTS"
    for code in ("Reports.Export", "reports", "reports export", "reports.", ".export"):
        assert invoke("create_permission", token=admin_token, body={**body, "code": code}).status == 422, code


def test_group_crud_and_assignment_changes_effective_permissions(users, admin_token):
    invoke("create_permission", token=admin_token, body={"code": "reports.export", "name": "Export reports"})
    created = invoke(
        "create_group",
        token=admin_token,
        body={"name": "auditors", "description": "Read-only staff", "permissions": ["reports.view", "reports.export"]},
    )
    assert created.status == 201
    group = created.data
    assert group["permissions"] == ["reports.export", "reports.view"] and group["member_count"] == 0

    member = users.create("member")
    assigned = invoke(
        "update_user", token=admin_token, path={"id": member["id"]}, body={"permission_groups": [group["id"]]}
    )
    assert assigned.data["permissions"] == ["reports.export", "reports.view"]
    login = invoke("login", body={"email": member["email"], "password": member["password"]}).data
    assert tokens.verify_access_token(login["access_token"])["perms"] == ["reports.export", "reports.view"]

    updated = invoke(
        "update_group",
        token=admin_token,
        path={"id": group["id"]},
        body={"name": "report readers", "permissions": ["reports.view", "loans.view_all"]},
    )
    assert updated.status == 200
    assert updated.data["name"] == "report readers" and updated.data["member_count"] == 1
    assert updated.data["permissions"] == ["loans.view_all", "reports.view"]
    assert updated.data["updated_on"] > group["updated_on"]
    profile = invoke("get_profile", token=users.token(member)).data
    assert profile["permissions"] == ["loans.view_all", "reports.view"]

    read = invoke("get_group", token=admin_token, path={"id": group["id"]})
    assert read.data == updated.data

    deleted = invoke("delete_group", token=admin_token, path={"id": group["id"]})
    assert deleted.status == 200 and deleted.data is None
    assert invoke("get_group", token=admin_token, path={"id": group["id"]}).status == 404
    assert invoke("get_profile", token=users.token(member)).data["permissions"] == []


def test_unknown_permission_codes_are_422_naming_them(admin_token):
    answer = invoke(
        "create_group", token=admin_token, body={"name": "x", "permissions": ["books.create", "books.burn"]}
    )
    assert answer.status == 422 and answer.body["code"] == "UNKNOWN_PERMISSION"
    assert answer.body["errors"] == [{"field": "permissions", "message": "unknown permission: books.burn"}]
    librarians = invoke("get_group", token=admin_token, path={"id": 1}).data
    patched = invoke("update_group", token=admin_token, path={"id": librarians["id"]}, body={"permissions": ["nope"]})
    assert patched.status == 422
    assert invoke("get_group", token=admin_token, path={"id": librarians["id"]}).data == librarians


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad\u0000name"},
        {"name": "x", "description": "nul\u0000"},
        {"name": "x", "permissions": ["books.create\u0000"]},
        {"name": ""},
    ],
)
def test_malformed_groups_are_422(admin_token, body):
    assert invoke("create_group", token=admin_token, body=body).status == 422


def test_group_names_are_unique(admin_token):
    assert invoke("create_group", token=admin_token, body={"name": "auditors"}).status == 201
    duplicate = invoke("create_group", token=admin_token, body={"name": "librarians"})
    assert duplicate.status == 409 and duplicate.body["code"] == "GROUP_EXISTS"
    auditors = invoke("list_groups", token=admin_token).data["items"][0]
    renamed = invoke("update_group", token=admin_token, path={"id": auditors["id"]}, body={"name": "librarians"})
    assert renamed.status == 409


def test_the_built_in_group_cannot_be_deleted_or_renamed_but_can_be_retuned(admin_token, engine):
    with engine.connect() as connection:
        group_id = connection.execute(text("SELECT id FROM permission_groups WHERE name = 'librarians'")).scalar()
    deleted = invoke("delete_group", token=admin_token, path={"id": group_id})
    assert deleted.status == 409 and deleted.body["code"] == "BUILTIN_GROUP"
    renamed = invoke("update_group", token=admin_token, path={"id": group_id}, body={"name": "staff"})
    assert renamed.status == 409
    described = invoke("update_group", token=admin_token, path={"id": group_id}, body={"description": "Front desk"})
    assert described.status == 200 and described.data["description"] == "Front desk"


@pytest.mark.parametrize("role", ["member", "librarian"])
def test_the_permission_module_needs_groups_manage(users, role):
    token = users.token(users.create(role))
    for event, extra in (
        ("list_permissions", {}),
        ("create_permission", {}),
        ("list_groups", {}),
        ("create_group", {}),
        ("get_group", {"path": {"id": 1}}),
        ("update_group", {"path": {"id": 1}}),
        ("delete_group", {"path": {"id": 1}}),
    ):
        assert invoke(event, token=token, **extra).status == 403, event


def test_unknown_groups_are_404(admin_token):
    for event in ("get_group", "update_group", "delete_group"):
        assert invoke(event, token=admin_token, path={"id": 999}).status == 404, event
