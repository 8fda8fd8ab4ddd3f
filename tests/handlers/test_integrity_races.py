"""Races that end at a foreign key: a request's row refers to one that another transaction deletes meanwhile.

Each test deletes a row in a transaction of its own and leaves it open, runs the request in a thread, waits until
PostgreSQL shows the request waiting on that transaction's lock (`pg_blocking_pids`), then commits the deletion.
The request read the row before it went, so its write reaches the foreign key's check (SQLSTATE 23503, which pg8000
raises as ProgrammingError, not IntegrityError) unless it locked the row it refers to; either way its answer is the
one its ordinary check gives for a row that is not there, never a 500. A login also reads its account again after
checking the password, which must find it gone as an unknown email is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import text

from library_loans.app import lambda_handler as loans_handler
from tests.auth_support import invoke as auth
from tests.conftest import LambdaContext, api_event
from tests.test_books_support import invoke as books
from tests.test_circulation_support import add_book, assert_copies_add_up, authorizer_for, body_of

# How many times the wait for the request to block looks (a tenth of a second apart) before it fails the test.
LOOKS = 300


def _loans(
    event_name: str, authorizer: dict[str, str], body: dict[str, Any], *, idempotency_key: bool = True
) -> tuple[int, dict[str, Any]]:
    event = api_event(f"loans/{event_name}.json", authorizer=authorizer, body=body)
    if not idempotency_key:
        event["headers"].pop("Idempotency-Key", None)
        event["multiValueHeaders"].pop("Idempotency-Key", None)
    response = loans_handler(event, LambdaContext())
    return response["statusCode"], body_of(response)


@contextmanager
def deleted_meanwhile(engine, statement: str, values: dict[str, Any]) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Runs `statement` (a DELETE) in a transaction left open; the function yielded runs a request in a thread,
    commits the deletion once the request waits on it, and returns the request's answer."""
    with engine.connect() as deleting:
        deleted = deleting.execute(text(statement), values)
        assert deleted.rowcount == 1
        deleter = deleting.execute(text("SELECT pg_backend_pid()")).scalar_one()

        def race(request: Callable[[], Any]) -> Any:
            answers: list[Any] = []
            thread = threading.Thread(target=lambda: answers.append(request()))
            thread.start()
            _wait_until_blocked_by(engine, deleter, thread)
            deleting.commit()
            thread.join()
            assert answers, "the request raised instead of answering"
            return answers[0]

        yield race


def _wait_until_blocked_by(engine, pid: int, thread: threading.Thread) -> None:
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    for _ in range(LOOKS):
        with engine.connect() as connection:
            if connection.execute(waiting, {"pid": pid}).scalar_one():
                return
        assert thread.is_alive(), "the request answered without waiting on the deletion"
        thread.join(0.1)
    raise AssertionError("the request never waited on the deletion")


def _count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_book_added_by_a_librarian_whose_account_goes_meanwhile_is_401_and_not_added(users, engine):
    librarian = users.create("librarian")
    with deleted_meanwhile(engine, "DELETE FROM users WHERE id = :id", {"id": librarian["id"]}) as race:
        status, envelope = race(
            lambda: books("create_book", users=users, user=librarian, body={"title": "Dune", "author": "F. Herbert"})
        )
    # fk_books_created_by_users: the account the request's token check found is gone; that check's own answer.
    assert (status, envelope["code"]) == (401, "TOKEN_REVOKED"), envelope
    assert _count(engine, "books") == 0


@pytest.mark.parametrize("idempotency_key", [False, True])
def test_a_loan_recorded_by_a_librarian_whose_account_goes_meanwhile_is_401_and_takes_no_copy(
    users, engine, idempotency_key
):
    librarian, member = users.create("librarian"), users.create("member")
    staff = authorizer_for(librarian, engine)
    book_id = add_book(quantity=1)
    borrowing = {"book_id": book_id, "user_id": member["id"]}
    with deleted_meanwhile(engine, "DELETE FROM users WHERE id = :id", {"id": librarian["id"]}) as race:
        status, envelope = race(lambda: _loans("borrow", staff, borrowing, idempotency_key=idempotency_key))
    # The borrow's one statement, on a Core connection, meets fk_loans_created_by_users, or with an Idempotency-Key
    # fk_idempotency_records_user_id_users first: the stored answer is the caller's too.
    assert (status, envelope["code"]) == (401, "TOKEN_REVOKED"), envelope
    assert _count(engine, "loans") == 0
    assert_copies_add_up(engine)


def test_a_hold_for_a_member_whose_account_goes_meanwhile_is_404(users, engine):
    librarian, member, reader = users.create("librarian"), users.create("member"), users.create("member")
    staff = authorizer_for(librarian, engine)
    book_id = add_book(quantity=1)
    assert _loans("borrow", staff, {"book_id": book_id, "user_id": reader["id"]})[0] == 201
    with deleted_meanwhile(engine, "DELETE FROM users WHERE id = :id", {"id": member["id"]}) as race:
        status, envelope = race(lambda: _loans("place_hold", staff, {"book_id": book_id, "user_id": member["id"]}))
    # fk_holds_user_id_users: the same 404 as for a member who was never there.
    assert (status, envelope["code"]) == (404, "USER_NOT_FOUND"), envelope
    assert _count(engine, "holds") == 0


def test_a_group_deleted_while_a_user_joins_it_is_an_unknown_group(users, engine):
    admin = users.token(users.create("admin"))
    member = users.create("member")
    group = auth("create_group", token=admin, body={"name": "auditors"}).data
    with deleted_meanwhile(engine, "DELETE FROM permission_groups WHERE id = :id", {"id": group["id"]}) as race:
        answer = race(
            lambda: auth(
                "update_user", token=admin, path={"id": member["id"]}, body={"permission_groups": [group["id"]]}
            )
        )
    # The group is locked as it is read, so the deletion is seen and the answer is the ordinary check's 422.
    assert (answer.status, answer.body["code"]) == (422, "UNKNOWN_GROUP"), answer.body
    assert answer.body["errors"] == [{"field": "permission_groups", "message": f"unknown group: {group['id']}"}]
    assert _count(engine, "user_groups") == 0


@pytest.mark.parametrize(
    "deletion",
    [
        # Committed while the login writes its refresh token (fk_refresh_tokens_user_id_users).
        "DELETE FROM users WHERE id = :id",
        # Committed before the login reads the account again: the login waits on the earlier failed attempt it
        # wipes, which this deletion deletes too.
        "WITH attempts AS (DELETE FROM login_attempts WHERE email = :email) DELETE FROM users WHERE id = :id",
    ],
    ids=["while-issuing-the-token", "before-reading-the-account"],
)
def test_a_login_to_an_account_that_goes_meanwhile_is_the_unknown_accounts_401(users, engine, deletion):
    member = users.create("member")
    assert auth("login", body={"email": member["email"], "password": "not the password"}).status == 401
    credentials = {"email": member["email"], "password": member["password"]}
    with deleted_meanwhile(engine, deletion, {"id": member["id"], "email": member["email"]}) as race:
        answer = race(lambda: auth("login", body=credentials))
    assert (answer.status, answer.body["code"]) == (401, "INVALID_CREDENTIALS"), answer.body
    assert answer.body == auth("login", body=credentials).body
    assert _count(engine, "refresh_tokens") == 0


def test_a_password_reset_for_an_account_that_goes_meanwhile_is_the_uniform_answer(users, engine):
    member = users.create("member")
    with deleted_meanwhile(engine, "DELETE FROM users WHERE id = :id", {"id": member["id"]}) as race:
        answer = race(lambda: auth("request_password_reset", body={"email": member["email"]}))
    unknown = auth("request_password_reset", body={"email": "nobody@example.org"})
    assert answer.status == unknown.status == 202, answer.body
    assert answer.body == unknown.body
    assert _count(engine, "password_reset_tokens") == 0


def test_a_group_deleted_while_a_user_leaves_it_is_left(users, engine):
    admin = users.token(users.create("admin"))
    member = users.create("member")
    group = auth("create_group", token=admin, body={"name": "auditors"}).data
    joined = auth("update_user", token=admin, path={"id": member["id"]}, body={"permission_groups": [group["id"]]})
    assert joined.status == 200, joined.body
    with deleted_meanwhile(engine, "DELETE FROM permission_groups WHERE id = :id", {"id": group["id"]}) as race:
        answer = race(
            lambda: auth("update_user", token=admin, path={"id": member["id"]}, body={"permission_groups": []})
        )
    # The membership the request removes went with the group (ON DELETE CASCADE): the user is out of it all the
    # same. A deletion by hand; DELETE /groups/{id} first bumps its members' token versions, so it waits on the
    # request's lock of the user instead.
    assert answer.status == 200, answer.body
    assert answer.data["groups"] == []
    assert _count(engine, "user_groups") == 0


def test_joining_a_group_does_not_wait_on_a_change_of_the_group_that_keeps_it(users, engine):
    admin = users.token(users.create("admin"))
    member = users.create("member")
    group = auth("create_group", token=admin, body={"name": "auditors"}).data
    with engine.connect() as changing:
        changing.execute(text("UPDATE permission_groups SET description = 'kept' WHERE id = :id"), {"id": group["id"]})
        changer = changing.execute(text("SELECT pg_backend_pid()")).scalar_one()
        answers: list[Any] = []
        body = {"permission_groups": [group["id"]]}
        thread = threading.Thread(
            target=lambda: answers.append(auth("update_user", token=admin, path={"id": member["id"]}, body=body))
        )
        thread.start()
        # The group is kept FOR KEY SHARE, which only its deletion (or a change of its key) waits on.
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
        while thread.is_alive():
            with engine.connect() as connection:
                blocked = connection.execute(waiting, {"pid": changer}).scalar_one()
            if blocked:
                changing.commit()
                thread.join()
                raise AssertionError("joining the group waited on a change that keeps it")
            thread.join(0.1)
        changing.commit()
    assert answers and answers[0].status == 200, answers
