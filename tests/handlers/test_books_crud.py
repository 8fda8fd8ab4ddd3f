"""One book: create, read, replace, update, remove or archive, with ISBN and copies rules."""

from __future__ import annotations

from sqlalchemy import text

from tests.test_books_support import add_book, anonymous, invoke, lend, live_book_count, queue_hold
from tests.test_circulation_support import assert_copies_add_up

DUNE = {
    "title": "Dune",
    "author": "Frank Herbert",
    "isbn": "0-441-17271-7",
    "publisher": "Ace",
    "published_date": "1965-08-01",
    "genre": "Science Fiction",
    "language": "English",
    "quantity": 3,
}


def test_staff_create_a_book_stored_with_its_isbn_13_and_audit_fields(users):
    librarian = users.create("librarian")
    status, body = invoke("create_book", users=users, user=librarian, body=DUNE)
    assert status == 201, body
    book = body["data"]
    assert book["isbn"] == "9780441172719"
    assert (book["quantity"], book["copies_available"], book["is_available"]) == (3, 3, True)
    assert (book["on_loan"], book["on_hold_shelf"], book["holds_waiting"]) == (0, 0, 0)
    assert (book["average_rating"], book["review_count"], book["cover_url"]) == (None, 0, None)
    assert book["created_by"] == book["updated_by"] == librarian["id"]
    assert book["created_on"] and book["updated_on"]

    status, read = anonymous("get_book", path_parameters={"book_id": str(book["id"])})
    assert status == 200 and read["data"] == book


def test_the_same_isbn_in_any_form_is_a_409(users):
    librarian = users.create("librarian")
    assert invoke("create_book", users=users, user=librarian, body=DUNE)[0] == 201
    status, body = invoke(
        "create_book", users=users, user=librarian, body={**DUNE, "isbn": "978-0441172719", "title": "Dune (again)"}
    )
    assert status == 409 and body["code"] == "DUPLICATE_ISBN"


def test_bad_input_is_422_naming_the_field(users):
    librarian = users.create("librarian")
    for changes, field in (
        ({"isbn": "0-441-17271-8"}, "isbn"),
        ({"isbn": "12345"}, "isbn"),
        ({"title": "  "}, "title"),
        ({"quantity": -1}, "quantity"),
        ({"published_date": "1965-13-01"}, "published_date"),
        ({"shelf": "B3"}, "shelf"),
    ):
        status, body = invoke("create_book", users=users, user=librarian, body={**DUNE, **changes})
        assert status == 422, changes
        assert body["code"] == "VALIDATION_ERROR" and field in [error["field"] for error in body["errors"]]
    status, body = invoke("create_book", users=users, user=librarian, body="{not json")
    assert status == 400


def test_members_cannot_change_the_catalogue(users):
    member = users.create("member")
    book_id = str(add_book())
    assert invoke("create_book", users=users, user=member, body=DUNE)[0] == 403
    assert invoke("update_book", users=users, user=member, path_parameters={"book_id": book_id})[0] == 403
    assert invoke("delete_book", users=users, user=member, path_parameters={"book_id": book_id})[0] == 403


def test_put_replaces_every_field_and_patch_only_those_sent(users):
    librarian = users.create("librarian")
    book_id = invoke("create_book", users=users, user=librarian, body=DUNE)[1]["data"]["id"]
    where = {"book_id": str(book_id)}

    status, body = invoke("update_book", users=users, user=librarian, path_parameters=where, body={"quantity": 5})
    assert status == 200 and body["data"]["quantity"] == 5 and body["data"]["publisher"] == "Ace"

    status, body = invoke(
        "replace_book",
        users=users,
        user=librarian,
        path_parameters=where,
        body={"title": "Dune", "author": "F. Herbert"},
    )
    assert status == 200
    assert (body["data"]["author"], body["data"]["publisher"], body["data"]["isbn"], body["data"]["quantity"]) == (
        "F. Herbert",
        None,
        None,
        1,
    )

    status, body = invoke("update_book", users=users, user=librarian, path_parameters=where, body={"title": None})
    assert status == 422
    status, body = invoke("update_book", users=users, user=librarian, path_parameters={"book_id": "999"}, body={})
    assert status == 404 and body["code"] == "BOOK_NOT_FOUND"


def test_quantity_cannot_drop_below_the_copies_out(users, engine):
    librarian = users.create("librarian")
    reader, other = users.create("member"), users.create("member")
    book_id = add_book(quantity=3)
    lend(engine, book_id, reader["id"])
    queue_hold(engine, book_id, other["id"], status="ready")
    where = {"book_id": str(book_id)}

    status, body = invoke("update_book", users=users, user=librarian, path_parameters=where, body={"quantity": 1})
    assert status == 409 and body["code"] == "QUANTITY_BELOW_COPIES_OUT"
    status, body = invoke("update_book", users=users, user=librarian, path_parameters=where, body={"quantity": 2})
    assert status == 200
    assert (body["data"]["copies_available"], body["data"]["on_loan"], body["data"]["on_hold_shelf"]) == (0, 1, 1)
    assert body["data"]["is_available"] is False


def test_new_copies_go_to_the_members_waiting_in_queue_order_before_the_shelf(users, engine):
    librarian = users.create("librarian")
    reader, first, second, third = (users.create("member") for _ in range(4))
    book_id = add_book(quantity=1)
    lend(engine, book_id, reader["id"])
    for member in (first, second, third):
        queue_hold(engine, book_id, member["id"])
    where = {"book_id": str(book_id)}

    status, body = invoke("update_book", users=users, user=librarian, path_parameters=where, body={"quantity": 3})
    assert status == 200, body
    assert (body["data"]["copies_available"], body["data"]["on_hold_shelf"], body["data"]["holds_waiting"]) == (0, 2, 1)
    with engine.connect() as connection:
        holds = connection.execute(
            text("SELECT user_id, status, expires_on IS NOT NULL FROM holds WHERE book_id = :b ORDER BY id"),
            {"b": book_id},
        ).all()
        told = connection.execute(
            text("SELECT user_id FROM notifications WHERE kind = 'hold_ready' ORDER BY user_id")
        ).all()
    assert [tuple(hold) for hold in holds] == [
        (first["id"], "ready", True),
        (second["id"], "ready", True),
        (third["id"], "waiting", False),
    ]
    assert [row.user_id for row in told] == sorted([first["id"], second["id"]])

    # Renaming the title moves no copy.
    status, body = invoke("update_book", users=users, user=librarian, path_parameters=where, body={"title": "Dune!"})
    assert status == 200 and body["data"]["on_hold_shelf"] == 2 and body["data"]["holds_waiting"] == 1
    assert_copies_add_up(engine)


def test_a_book_without_history_is_erased(users, engine):
    librarian = users.create("librarian")
    book_id = add_book()
    status, body = invoke("delete_book", users=users, user=librarian, path_parameters={"book_id": str(book_id)})
    assert status == 200 and body["data"] == {"id": book_id, "archived": False}
    assert anonymous("get_book", path_parameters={"book_id": str(book_id)})[0] == 404
    assert live_book_count(engine) == (0, 0)


def test_a_book_with_loan_history_is_archived_hidden_and_its_isbn_free_again(users, engine):
    librarian = users.create("librarian")
    reader = users.create("member")
    book_id = invoke("create_book", users=users, user=librarian, body=DUNE)[1]["data"]["id"]
    lend(engine, book_id, reader["id"], returned=True)

    status, body = invoke("delete_book", users=users, user=librarian, path_parameters={"book_id": str(book_id)})
    assert status == 200 and body["data"] == {"id": book_id, "archived": True}
    assert body["message"] == "Book archived"
    assert anonymous("get_book", path_parameters={"book_id": str(book_id)})[0] == 404
    assert anonymous("list_books", query={"title": "dune"})[1]["data"]["total"] == 0
    assert live_book_count(engine) == (0, 0)
    with engine.connect() as connection:
        from sqlalchemy import text

        assert connection.execute(text("SELECT count(*) FROM loans WHERE book_id = :b"), {"b": book_id}).scalar() == 1
    assert invoke("create_book", users=users, user=librarian, body=DUNE)[0] == 201


def test_delete_is_refused_while_copies_are_out_or_members_wait(users, engine):
    librarian = users.create("librarian")
    reader, waiting = users.create("member"), users.create("member")
    on_loan, queued = add_book(), add_book(title="Emma", author="Jane Austen")
    lend(engine, on_loan, reader["id"])
    queue_hold(engine, queued, waiting["id"])

    status, body = invoke("delete_book", users=users, user=librarian, path_parameters={"book_id": str(on_loan)})
    assert status == 409 and body["code"] == "COPIES_OUT"
    status, body = invoke("delete_book", users=users, user=librarian, path_parameters={"book_id": str(queued)})
    assert status == 409 and body["code"] == "HOLDS_WAITING"
    assert live_book_count(engine) == (2, 2)


def test_unknown_or_malformed_ids(users):
    assert anonymous("get_book", path_parameters={"book_id": "424242"})[0] == 404
    assert anonymous("get_book", path_parameters={"book_id": "abc"})[0] == 422
    assert anonymous("get_book", path_parameters={"book_id": "1" * 25})[0] == 422


def test_text_postgresql_cannot_store_is_a_422_not_a_500(users):
    librarian = users.create("librarian")
    for bad in ("Du\x00ne", "Dune \ud800"):
        status, body = invoke("create_book", users=users, user=librarian, body={**DUNE, "title": bad})
        assert status == 422, bad
        assert body["errors"][0]["field"] == "title"
    status, _ = anonymous("list_books", query={"title": "a\x00b"})
    assert status == 422
