"""/users and /users/{id}: staff administration of accounts, and a member's borrowing history."""

import pytest
from sqlalchemy import text

from tests.auth_support import invoke

PASSWORD = "stacks and shelves"


def new_account(**changes):
    return {"name": "Lena Park", "email": "lena@example.org", "password": PASSWORD, **changes}


def test_an_admin_creates_an_active_librarian_in_the_librarians_group(users, engine):
    admin = users.create("admin")
    answer = invoke("create_user", token=users.token(admin), body=new_account(role="librarian"))
    assert answer.status == 201
    assert answer.data["role"] == "librarian" and answer.data["is_active"] is True
    assert [group["name"] for group in answer.data["groups"]] == ["librarians"]
    assert answer.data["created_by"] == admin["id"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT kind FROM notifications")).scalar() == "account_activated"
    login = invoke("login", body={"email": "lena@example.org", "password": PASSWORD})
    assert login.status == 200


def test_creating_users_needs_users_manage(users):
    for role in ("member", "librarian"):
        caller = users.create(role)
        answer = invoke("create_user", token=users.token(caller), body=new_account())
        assert answer.status == 403
    assert invoke("create_user", body=new_account()).status == 401


def test_only_an_admin_creates_an_admin(users, engine):
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO permission_groups (name) VALUES ('user-admins');"
                "INSERT INTO group_permissions SELECT g.id, p.id FROM permission_groups g, permissions p "
                "WHERE g.name = 'user-admins' AND p.code IN ('users.manage', 'users.view')"
            )
        )
    manager = users.create("member", groups=("user-admins",))
    answer = invoke("create_user", token=users.token(manager), body=new_account(role="admin"))
    assert answer.status == 403 and answer.body["code"] == "ADMIN_ONLY"
    assert invoke("create_user", token=users.token(manager), body=new_account(role="user")).status == 201


def test_groups_are_assigned_by_id_or_name_and_unknown_ones_are_422(users):
    admin = users.create("admin")
    token = users.token(admin)
    librarians_id = invoke("list_groups", token=token).data["items"][0]["id"]
    created = invoke("create_user", token=token, body=new_account(permission_groups=[librarians_id]))
    assert [group["name"] for group in created.data["groups"]] == ["librarians"]
    unknown = invoke(
        "create_user", token=token, body=new_account(email="x@example.org", permission_groups=["nope", 999])
    )
    assert unknown.status == 422 and unknown.body["code"] == "UNKNOWN_GROUP"
    assert {error["message"] for error in unknown.body["errors"]} == {"unknown group: nope", "unknown group: 999"}


def test_listing_filters_and_paginates(users):
    admin = users.create("admin", name="Root")
    users.create("member", name="Ada Lovelace", email="ada@example.org")
    users.create("member", name="Alan Turing", email="alan@example.org", active=False)
    users.create("librarian", name="Grace Hopper", email="grace@navy.example")
    token = users.token(admin)

    everyone = invoke("list_users", token=token, query={})
    assert everyone.data["total"] == 4 and everyone.data["page_size"] == 20 and everyone.data["pages"] == 1
    assert [user["id"] for user in everyone.data["items"]] == sorted(user["id"] for user in everyone.data["items"])

    def names(**query):
        return [user["name"] for user in invoke("list_users", token=token, query=query).data["items"]]

    assert names(search="LOVE") == ["Ada Lovelace"]
    assert names(search="navy") == ["Grace Hopper"]
    assert names(role="user") == names(role="member") == ["Ada Lovelace", "Alan Turing"]
    assert names(is_active="false") == ["Alan Turing"]
    assert names(role="member", is_active="true") == ["Ada Lovelace"]
    assert names(search="%") == []

    second = invoke("list_users", token=token, query={"page": "2", "page_size": "3"}).data
    assert len(second["items"]) == 1 and second["pages"] == 2
    assert invoke("list_users", token=token, query={"page": "9"}).data["items"] == []
    assert invoke("list_users", token=token, query={"page_size": "101"}).status == 422
    assert invoke("list_users", token=token, query={"page": "99999999999999999999"}).status == 422
    assert invoke("list_users", token=token, query={"search": "a\u0000b"}).status == 422
    listed = invoke("list_users", token=token, query={}).raw
    assert "password_hash" not in listed and "$argon2" not in listed


def test_librarians_view_users_but_members_do_not(users):
    librarian, member = users.create("librarian"), users.create("member")
    assert invoke("list_users", token=users.token(librarian), query={}).status == 200
    assert invoke("list_users", token=users.token(member), query={}).status == 403
    assert invoke("get_user", token=users.token(librarian), path={"id": member["id"]}).status == 200
    assert invoke("get_user", token=users.token(member), path={"id": librarian["id"]}).status == 403
    # Anyone may read their own account.
    assert invoke("get_user", token=users.token(member), path={"id": member["id"]}).data["id"] == member["id"]


@pytest.mark.parametrize("user_id", ["999", "abc", "0", "99999999999999999999"])
def test_unknown_or_malformed_ids(users, user_id):
    admin = users.create("admin")
    answer = invoke("get_user", token=users.token(admin), path={"id": user_id})
    assert answer.status == (404 if user_id == "999" else 422)


def test_activation_by_staff_lets_the_member_in_and_queues_one_notice(users, engine):
    admin = users.create("admin")
    member = users.create("member", active=False)
    assert invoke("login", body={"email": member["email"], "password": member["password"]}).status == 403
    answer = invoke("update_user", token=users.token(admin), path={"id": member["id"]}, body={"is_active": True})
    assert answer.status == 200 and answer.data["is_active"] is True and answer.data["updated_by"] == admin["id"]
    # Activating an active account again changes nothing and notifies nobody.
    invoke("update_user", token=users.token(admin), path={"id": member["id"]}, body={"is_active": True})
    with engine.connect() as connection:
        notices = connection.execute(text("SELECT user_id, kind, subject FROM notifications")).all()
    assert [tuple(n) for n in notices] == [(member["id"], "account_activated", "Your library account is active")]
    assert invoke("login", body={"email": member["email"], "password": member["password"]}).status == 200


def test_an_admin_updates_details_role_and_groups(users):
    admin = users.create("admin")
    member = users.create("member")
    token = users.token(admin)
    promoted = invoke("update_user", token=token, path={"id": member["id"]}, body={"role": "librarian"})
    assert promoted.data["role"] == "librarian"
    assert [group["name"] for group in promoted.data["groups"]] == ["librarians"]
    assert "loans.manage" in promoted.data["permissions"]
    demoted = invoke("update_user", token=token, path={"id": member["id"]}, body={"role": "user", "name": "Mo"})
    assert demoted.data["role"] == "member" and demoted.data["groups"] == [] and demoted.data["name"] == "Mo"
    grouped = invoke("update_user", token=token, path={"id": member["id"]}, body={"permission_groups": ["librarians"]})
    assert grouped.data["role"] == "member" and "books.create" in grouped.data["permissions"]
    reset = invoke("update_user", token=token, path={"id": member["id"]}, body={"password": "brand new secret"})
    assert reset.status == 200
    assert invoke("login", body={"email": member["email"], "password": "brand new secret"}).status == 200


def test_staff_without_admin_rights_cannot_touch_admins_or_themselves(users, engine):
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO permission_groups (name) VALUES ('user-admins');"
                "INSERT INTO group_permissions SELECT g.id, p.id FROM permission_groups g, permissions p "
                "WHERE g.name = 'user-admins' AND p.code = 'users.manage'"
            )
        )
    manager = users.create("member", groups=("user-admins",))
    admin, member = users.create("admin"), users.create("member")
    token = users.token(manager)
    for user, change in (
        (admin, {"name": "Mallory"}),
        (member, {"role": "admin"}),
        (manager, {"role": "librarian"}),
        (manager, {"permission_groups": ["librarians"]}),
    ):
        assert invoke("update_user", token=token, path={"id": user["id"]}, body=change).status == 403, change
    assert invoke("deactivate_user", token=token, path={"id": admin["id"]}).status == 403
    assert invoke("update_user", token=token, path={"id": member["id"]}, body={"name": "Mo Park"}).status == 200
    # Making a librarian grants the librarians' permissions, which a holder of users.manage alone lacks.
    promoted = invoke("update_user", token=token, path={"id": member["id"]}, body={"role": "librarian"})
    assert promoted.status == 403 and promoted.body["code"] == "CANNOT_GRANT"


def test_deactivation_revokes_sessions_and_is_refused_with_books_out(users, engine):
    admin = users.create("admin")
    member = users.create("member")
    refresh_token = invoke("login", body={"email": member["email"], "password": member["password"]}).data[
        "refresh_token"
    ]
    with engine.begin() as connection:
        book_id = connection.execute(
            text("INSERT INTO books (title, author) VALUES ('Dune', 'Frank Herbert') RETURNING id")
        ).scalar()
        loan_id = connection.execute(
            text("INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :b, current_date) RETURNING id"),
            {"u": member["id"], "b": book_id},
        ).scalar()
    refused = invoke("deactivate_user", token=users.token(admin), path={"id": member["id"]})
    assert refused.status == 409 and refused.body["code"] == "OPEN_LOANS"
    by_patch = invoke("update_user", token=users.token(admin), path={"id": member["id"]}, body={"is_active": False})
    assert by_patch.status == 409

    with engine.begin() as connection:
        connection.execute(text("UPDATE loans SET returned_on = now() WHERE id = :l"), {"l": loan_id})
    answer = invoke("deactivate_user", token=users.token(admin), path={"id": member["id"]})
    assert answer.status == 200 and answer.data["is_active"] is False
    assert invoke("refresh", body={"refresh_token": refresh_token}).status == 401
    assert invoke("deactivate_user", token=users.token(admin), path={"id": member["id"]}).status == 200


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(users):
    admin = users.create("admin")
    token = users.token(admin)
    assert invoke("deactivate_user", token=token, path={"id": admin["id"]}).body["code"] == "LAST_ADMIN"
    assert invoke("update_user", token=token, path={"id": admin["id"]}, body={"role": "member"}).status == 409
    second = users.create("admin")
    assert invoke("deactivate_user", token=token, path={"id": second["id"]}).status == 200
    assert invoke("deactivate_user", token=token, path={"id": admin["id"]}).status == 409


def test_borrowing_history_lists_loans_with_books_status_and_fines(users, engine):
    librarian, member, other = users.create("librarian"), users.create("member"), users.create("member")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO books (id, title, author, isbn) VALUES "
                "(1, 'Dune', 'Frank Herbert', '9780441013593'), (2, 'Emma', 'Jane Austen', NULL), "
                "(3, 'Ulysses', 'James Joyce', NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO loans (id, user_id, book_id, borrowed_on, due_date, returned_on) VALUES "
                "(1, :m, 1, now() - interval '30 days', current_date - 16, now() - interval '10 days'), "
                "(2, :m, 2, now() - interval '20 days', current_date - 6, NULL), "
                "(3, :m, 3, now() - interval '1 day', current_date + 13, NULL), "
                "(4, :o, 1, now(), current_date + 14, NULL)"
            ),
            {"m": member["id"], "o": other["id"]},
        )
        connection.execute(
            text("INSERT INTO fines (loan_id, user_id, amount, status) VALUES (1, :m, 1.5, 'paid')"),
            {"m": member["id"]},
        )
    answer = invoke("user_loans", token=users.token(librarian), path={"id": member["id"]}, query={})
    assert answer.status == 200 and answer.data["total"] == 3
    items = answer.data["items"]
    assert [(item["id"], item["status"]) for item in items] == [(3, "active"), (2, "overdue"), (1, "returned")]
    assert items[2]["book"] == {"id": 1, "title": "Dune", "author": "Frank Herbert", "isbn": "9780441013593"}
    assert items[2]["fine"] == {"amount": "1.50", "status": "paid"} and items[0]["fine"] is None

    def ids(**query):
        reply = invoke("user_loans", token=users.token(librarian), path={"id": member["id"]}, query=query)
        return [item["id"] for item in reply.data["items"]]

    assert ids(status="overdue") == [2]
    assert ids(status="returned") == [1]
    assert ids(page_size="2", page="2") == [1]
    # Members see their own history, not anyone else's.
    assert invoke("user_loans", token=users.token(member), path={"id": member["id"]}, query={}).status == 200
    assert invoke("user_loans", token=users.token(other), path={"id": member["id"]}, query={}).status == 403
    assert invoke("user_loans", token=users.token(librarian), path={"id": 999}, query={}).status == 404


@pytest.mark.parametrize("flag", [0, 1, "false"])
def test_is_active_is_a_json_boolean_not_a_number_or_text(users, engine, flag):
    admin = users.create("admin")
    answer = invoke("create_user", token=users.token(admin), body=new_account(is_active=flag))
    assert answer.status == 422 and answer.body["errors"][0]["field"] == "is_active"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users WHERE email = 'lena@example.org'")).scalar() == 0
