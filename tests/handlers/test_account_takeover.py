"""The holes an attacker with a stolen access token would try: credentials changed without the current password,
and permissions granted beyond what the granter holds."""

import pytest
from sqlalchemy import text

from tests.auth_support import invoke

NEW_PASSWORD = "a much better passphrase"


def login(email, password):
    return invoke("login", body={"email": email, "password": password})


@pytest.fixture
def group_with(engine):
    """Creates a non-built-in group holding the given permission codes; returns its name."""

    def create(name, *codes):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO permission_groups (name) VALUES (:n)"), {"n": name})
            connection.execute(
                text(
                    "INSERT INTO group_permissions SELECT g.id, p.id FROM permission_groups g, permissions p "
                    "WHERE g.name = :n AND p.code = ANY(:codes)"
                ),
                {"n": name, "codes": list(codes)},
            )
        return name

    return create


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_changing_ones_own_password_through_users_needs_the_current_one(users, group_with, role):
    caller = (
        users.create("admin")
        if role == "admin"
        else users.create("member", groups=(group_with("user-admins", "users.manage", "users.view"),))
    )
    token = users.token(caller)
    stolen = invoke("update_user", token=token, path={"id": caller["id"]}, body={"password": NEW_PASSWORD})
    assert stolen.status == 422 and stolen.body["code"] == "CURRENT_PASSWORD_REQUIRED"
    email = invoke("update_user", token=token, path={"id": caller["id"]}, body={"email": "thief@example.org"})
    assert email.status == 422 and email.body["code"] == "CURRENT_PASSWORD_REQUIRED"
    wrong = invoke(
        "update_user",
        token=token,
        path={"id": caller["id"]},
        body={"password": NEW_PASSWORD, "current_password": "not it at all"},
    )
    assert wrong.status == 403 and wrong.body["code"] == "WRONG_PASSWORD"
    assert login(caller["email"], caller["password"]).status == 200

    changed = invoke(
        "update_user",
        token=token,
        path={"id": caller["id"]},
        body={"password": NEW_PASSWORD, "current_password": caller["password"]},
    )
    assert changed.status == 200
    assert login(caller["email"], NEW_PASSWORD).status == 200


def test_staff_reset_another_members_password_and_that_signs_the_member_out(users):
    admin, member = users.create("admin"), users.create("member")
    session = login(member["email"], member["password"]).data["refresh_token"]
    reset = invoke("update_user", token=users.token(admin), path={"id": member["id"]}, body={"password": NEW_PASSWORD})
    assert reset.status == 200
    assert invoke("refresh", body={"refresh_token": session}).status == 401
    assert login(member["email"], NEW_PASSWORD).status == 200


def test_a_group_manager_cannot_put_a_permission_they_lack_into_a_group(users, group_with):
    manager = users.create("member", groups=(group_with("group-admins", "groups.manage", "reports.view"),))
    token = users.token(manager)
    refused = invoke("create_group", token=token, body={"name": "escalate", "permissions": ["policies.manage"]})
    assert refused.status == 403 and refused.body["code"] == "CANNOT_GRANT"
    assert "policies.manage" in refused.body["message"]
    allowed = invoke("create_group", token=token, body={"name": "readers", "permissions": ["reports.view"]})
    assert allowed.status == 201

    own_group_id = next(
        g["id"] for g in invoke("list_groups", token=token).data["items"] if g["name"] == "group-admins"
    )
    widened = invoke(
        "update_group",
        token=token,
        path={"id": own_group_id},
        body={"permissions": ["groups.manage", "reports.view", "users.manage"]},
    )
    assert widened.status == 403 and widened.body["code"] == "CANNOT_GRANT"
    narrowed = invoke("update_group", token=token, path={"id": own_group_id}, body={"permissions": ["groups.manage"]})
    assert narrowed.status == 200


def test_built_in_groups_are_changed_by_admins_only(users, group_with):
    manager = users.create("member", groups=(group_with("group-admins", *_every_librarian_code(), "groups.manage"),))
    token = users.token(manager)
    librarians = next(g for g in invoke("list_groups", token=token).data["items"] if g["name"] == "librarians")
    answer = invoke("update_group", token=token, path={"id": librarians["id"]}, body={"description": "mine"})
    assert answer.status == 403 and answer.body["code"] == "ADMIN_ONLY"
    admin = users.create("admin")
    by_admin = invoke(
        "update_group", token=users.token(admin), path={"id": librarians["id"]}, body={"description": "Staff"}
    )
    assert by_admin.status == 200


def _every_librarian_code():
    return ("books.create", "books.update", "books.delete", "books.import", "users.view", "loans.manage")


def test_a_user_manager_cannot_assign_a_group_or_role_that_grants_more_than_they_hold(users, group_with):
    manager = users.create("member", groups=(group_with("user-admins", "users.manage", "users.view"),))
    group_with("policy-makers", "policies.manage")
    member = users.create("member")
    token = users.token(manager)

    into_group = invoke(
        "update_user", token=token, path={"id": member["id"]}, body={"permission_groups": ["policy-makers"]}
    )
    assert into_group.status == 403 and into_group.body["code"] == "CANNOT_GRANT"
    # Becoming a librarian joins `librarians`, whose permissions the manager does not hold.
    promoted = invoke("update_user", token=token, path={"id": member["id"]}, body={"role": "librarian"})
    assert promoted.status == 403 and promoted.body["code"] == "CANNOT_GRANT"
    new_account = {"name": "Ned Park", "email": "ned@example.org", "password": NEW_PASSWORD}
    created = invoke("create_user", token=token, body={**new_account, "permission_groups": ["policy-makers"]})
    assert created.status == 403 and created.body["code"] == "CANNOT_GRANT"
    assert login("ned@example.org", NEW_PASSWORD).status == 401

    same_rights = invoke(
        "update_user", token=token, path={"id": member["id"]}, body={"permission_groups": ["user-admins"]}
    )
    assert same_rights.status == 200
    assert invoke("get_user", token=users.token(users.create("admin")), path={"id": member["id"]}).data[
        "permissions"
    ] == ["users.manage", "users.view"]
