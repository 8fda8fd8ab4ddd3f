"""Borrowing, returning, renewing and reading loans over HTTP against the local API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.http.client import call
from tests.test_circulation_support import add_book, assert_copies_add_up, make_overdue, set_policy

pytestmark = pytest.mark.http


@pytest.fixture(autouse=True)
def copies_add_up(engine):
    yield
    assert_copies_add_up(engine)


def today() -> date:
    return datetime.now(UTC).date()


def borrow(api, token, book_id, **body):
    return call(api, "POST", "/loans", json_body={"book_id": book_id, **body}, token=token)


def test_borrowing_answers_the_loan_due_after_the_loan_period_and_queues_a_receipt(local_api, users, engine):
    member = users.create("member")
    book_id = add_book(quantity=2, title="Dune", author="Frank Herbert")

    reply = borrow(local_api, users.token(member), book_id)

    assert reply.status == 201 and reply.body["status"] == 201
    loan = reply.body["data"]
    assert (loan["user_id"], loan["book_id"], loan["title"]) == (member["id"], book_id, "Dune")
    assert loan["due_date"] == (today() + timedelta(days=14)).isoformat()
    assert (loan["status"], loan["renewals"], loan["renewals_left"], loan["returned_on"]) == ("active", 0, 2, None)
    with engine.connect() as connection:
        on_loan = connection.execute(text("SELECT copies_on_loan FROM books WHERE id = :b"), {"b": book_id}).scalar()
        receipt = connection.execute(
            text("SELECT recipient, subject, body_text FROM notifications WHERE kind = 'borrow_receipt'")
        ).one()
    assert on_loan == 1
    assert receipt.recipient == member["email"] and "Dune" in receipt.subject
    assert loan["due_date"] in receipt.body_text


def test_a_member_with_no_free_copy_gets_book_unavailable(local_api, users):
    book_id = add_book(quantity=1)
    first, second = users.create("member"), users.create("member")
    assert borrow(local_api, users.token(first), book_id).status == 201

    reply = borrow(local_api, users.token(second), book_id)

    assert reply.status == 409 and reply.body["code"] == "BOOK_UNAVAILABLE" and reply.body["data"] is None


def test_unknown_and_archived_books_are_404(local_api, users, engine):
    member = users.create("member")
    archived = add_book()
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET archived_on = now() WHERE id = :b"), {"b": archived})

    for book_id in (archived, 999_999):
        reply = borrow(local_api, users.token(member), book_id)
        assert reply.status == 404 and reply.body["code"] == "BOOK_NOT_FOUND"


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        ("UPDATE users SET is_active = false WHERE id = :u", "not active"),
        (
            "INSERT INTO loans (user_id, book_id, due_date) VALUES (:u, :other_book, current_date - 3);"
            "UPDATE books SET copies_on_loan = 1 WHERE id = :other_book",
            "overdue",
        ),
        (
            "INSERT INTO loans (user_id, book_id, due_date, returned_on) VALUES (:u, :other_book, current_date, now());"
            "INSERT INTO fines (loan_id, user_id, amount) SELECT max(id), :u, 5.00 FROM loans",
            "unpaid fines of USD 5.00",
        ),
    ],
    ids=["inactive", "overdue-loan", "fines-at-threshold"],
)
def test_blocked_members_cannot_borrow(local_api, users, engine, arrange, reason):
    member = users.create("member")
    book_id, other_book = add_book(), add_book(title="Other")
    with engine.begin() as connection:
        for statement in arrange.split(";"):
            connection.execute(text(statement), {"u": member["id"], "other_book": other_book})

    reply = borrow(local_api, users.token(member), book_id)

    assert reply.status == 403 and reply.body["code"] == "BORROWING_BLOCKED"
    assert reason in reply.body["message"]


def test_unpaid_fines_under_the_threshold_do_not_block_but_a_zero_threshold_blocks_any(local_api, users, engine):
    member = users.create("member")
    token = users.token(member)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO loans (user_id, book_id, due_date, returned_on) VALUES (:u, :b, current_date, now());"),
            {"u": member["id"], "b": add_book(title="Old")},
        )
        connection.execute(
            text("INSERT INTO fines (loan_id, user_id, amount) SELECT max(id), :u, 4.99 FROM loans"),
            {"u": member["id"]},
        )

    assert borrow(local_api, token, add_book(title="A")).status == 201
    set_policy(engine, block_threshold=0)
    assert borrow(local_api, token, add_book(title="B")).body["code"] == "BORROWING_BLOCKED"


def test_the_same_title_twice_is_already_borrowed_and_the_limit_is_the_policys(local_api, users, engine):
    member = users.create("member")
    token = users.token(member)
    set_policy(engine, max_loans=2)
    first = add_book(quantity=3)
    assert borrow(local_api, token, first).status == 201

    assert borrow(local_api, token, first).body["code"] == "ALREADY_BORROWED"
    assert borrow(local_api, token, add_book(title="Second")).status == 201
    refused = borrow(local_api, token, add_book(title="Third"))
    assert refused.status == 409 and refused.body["code"] == "LOAN_LIMIT_REACHED"


def test_staff_with_loans_manage_borrow_for_a_member_and_members_cannot(local_api, users):
    librarian, member, other = users.create("librarian"), users.create("member"), users.create("member")
    book_id = add_book(quantity=2)

    on_behalf = borrow(local_api, users.token(librarian), book_id, user_id=member["id"])
    not_allowed = borrow(local_api, users.token(other), book_id, user_id=member["id"])
    nobody = borrow(local_api, users.token(librarian), book_id, user_id=999_999)

    assert on_behalf.status == 201 and on_behalf.body["data"]["user_id"] == member["id"]
    assert not_allowed.status == 403
    assert nobody.status == 404 and nobody.body["code"] == "USER_NOT_FOUND"


def test_malformed_and_invalid_borrow_requests_are_400_and_422(local_api, users):
    token = users.token(users.create("member"))
    malformed = call(
        local_api, "POST", "/loans", data=b"{not json", headers={"Content-Type": "application/json"}, token=token
    )
    missing = call(local_api, "POST", "/loans", json_body={}, token=token)
    unknown_field = call(local_api, "POST", "/loans", json_body={"book_id": 1, "days": 99}, token=token)
    long_key = call(
        local_api, "POST", "/loans", json_body={"book_id": 1}, token=token, headers={"Idempotency-Key": "k" * 201}
    )

    assert malformed.status == 400
    assert missing.status == 422 and missing.body["errors"][0]["field"] == "book_id"
    assert unknown_field.status == 422
    assert long_key.status == 422


def test_an_on_time_return_closes_the_loan_without_a_fine_and_shelves_the_copy(local_api, users, engine):
    member = users.create("member")
    token = users.token(member)
    loan = borrow(local_api, token, add_book()).body["data"]

    reply = call(local_api, "POST", f"/loans/{loan['id']}/return", token=token)
    again = call(local_api, "POST", f"/loans/{loan['id']}/return", token=token)

    returned = reply.body["data"]
    assert reply.status == 200
    assert returned["status"] == "returned" and returned["returned_on"] and returned["copy_destination"] == "shelf"
    assert returned["fine_amount"] is None
    assert again.status == 409 and again.body["code"] == "LOAN_ALREADY_RETURNED"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM fines")).scalar() == 0


@pytest.mark.parametrize(("days_late", "fine"), [(1, "0.25"), (3, "0.75"), (40, "10.00")])
def test_a_late_return_is_fined_rate_times_days_capped(local_api, users, engine, days_late, fine):
    member = users.create("member")
    token = users.token(member)
    loan = borrow(local_api, token, add_book()).body["data"]
    make_overdue(engine, loan["id"], days_late)

    returned = call(local_api, "POST", f"/loans/{loan['id']}/return", token=token).body["data"]
    fines = call(local_api, "GET", "/fines", token=token).body["data"]["items"]

    assert (returned["fine_amount"], returned["fine_status"]) == (fine, "unpaid")
    assert [(item["loan_id"], item["amount"], item["accruing"]) for item in fines] == [(loan["id"], fine, False)]


def test_only_the_borrower_or_loans_manage_may_return(local_api, users):
    member, other, librarian = users.create("member"), users.create("member"), users.create("librarian")
    loan = borrow(local_api, users.token(member), add_book()).body["data"]

    assert call(local_api, "POST", f"/loans/{loan['id']}/return", token=users.token(other)).status == 403
    assert call(local_api, "POST", f"/loans/{loan['id']}/return", token=users.token(librarian)).status == 200
    unknown = call(local_api, "POST", "/loans/999999/return", token=users.token(member))
    assert unknown.status == 404 and unknown.body["code"] == "LOAN_NOT_FOUND"


def test_renewing_extends_from_the_due_date_until_the_renewals_run_out(local_api, users, engine):
    member = users.create("member")
    token = users.token(member)
    loan = borrow(local_api, token, add_book()).body["data"]
    due = date.fromisoformat(loan["due_date"])

    first = call(local_api, "POST", f"/loans/{loan['id']}/renew", token=token).body["data"]
    second = call(local_api, "POST", f"/loans/{loan['id']}/renew", token=token).body["data"]
    third = call(local_api, "POST", f"/loans/{loan['id']}/renew", token=token)

    assert (first["due_date"], first["renewals"], first["renewals_left"]) == (
        (due + timedelta(days=14)).isoformat(),
        1,
        1,
    )
    assert (second["due_date"], second["renewals_left"]) == ((due + timedelta(days=28)).isoformat(), 0)
    assert third.status == 409 and third.body["code"] == "RENEWAL_LIMIT_REACHED"


def test_renewing_is_refused_when_someone_waits_when_overdue_and_after_the_return(local_api, users, engine):
    member, waiting = users.create("member"), users.create("member")
    token = users.token(member)
    wanted, late, done = add_book(title="Wanted"), add_book(title="Late"), add_book(title="Done")
    wanted_loan = borrow(local_api, token, wanted).body["data"]
    assert call(local_api, "POST", "/holds", json_body={"book_id": wanted}, token=users.token(waiting)).status == 201
    done_loan = borrow(local_api, token, done).body["data"]
    call(local_api, "POST", f"/loans/{done_loan['id']}/return", token=token)

    held = call(local_api, "POST", f"/loans/{wanted_loan['id']}/renew", token=token)
    returned = call(local_api, "POST", f"/loans/{done_loan['id']}/renew", token=token)
    late_loan = borrow(local_api, token, late).body["data"]
    make_overdue(engine, late_loan["id"], 2)
    blocked = call(local_api, "POST", f"/loans/{late_loan['id']}/renew", token=token)

    assert held.status == 409 and held.body["code"] == "HOLDS_WAITING"
    assert returned.status == 409 and returned.body["code"] == "LOAN_ALREADY_RETURNED"
    assert blocked.status == 403 and blocked.body["code"] == "BORROWING_BLOCKED"


def test_members_list_their_own_loans_by_status_and_staff_list_everyones(local_api, users, engine):
    member, other, librarian = users.create("member"), users.create("member"), users.create("librarian")
    token = users.token(member)
    books = [add_book(title=f"Book {n}") for n in range(3)]
    loans = [borrow(local_api, token, book_id).body["data"] for book_id in books]
    call(local_api, "POST", f"/loans/{loans[0]['id']}/return", token=token)
    make_overdue(engine, loans[1]["id"], 5)
    borrow(local_api, users.token(other), add_book(title="Theirs"))

    def ids(path, who=token):
        reply = call(local_api, "GET", path, token=who)
        assert reply.status == 200, reply.body
        return [item["id"] for item in reply.body["data"]["items"]]

    # Newest first: the overdue loan was borrowed 19 days ago.
    assert ids("/loans") == [loans[2]["id"], loans[0]["id"], loans[1]["id"]]
    assert ids("/loans?status=returned") == [loans[0]["id"]]
    assert ids("/loans?status=active") == [loans[2]["id"], loans[1]["id"]]
    assert ids("/loans?status=overdue") == [loans[1]["id"]]
    assert ids(f"/loans?book_id={books[2]}") == [loans[2]["id"]]
    overdue = call(local_api, "GET", f"/loans/{loans[1]['id']}", token=token).body["data"]
    assert (overdue["status"], overdue["days_overdue"]) == ("overdue", 5)
    assert call(local_api, "GET", f"/loans?user_id={other['id']}", token=token).status == 403
    assert len(ids("/loans", users.token(librarian))) == 4
    assert ids(f"/loans?user_id={member['id']}&status=returned", users.token(librarian)) == [loans[0]["id"]]
    assert call(local_api, "GET", "/loans?status=lost", token=token).status == 422


def test_loan_lists_are_paginated(local_api, users, engine):
    member = users.create("member")
    token = users.token(member)
    set_policy(engine, max_loans=5)
    for n in range(5):
        borrow(local_api, token, add_book(title=f"Page {n}"))

    first = call(local_api, "GET", "/loans?page_size=2", token=token).body["data"]
    last = call(local_api, "GET", "/loans?page=3&page_size=2", token=token).body["data"]
    past = call(local_api, "GET", "/loans?page=9&page_size=2", token=token).body["data"]

    assert (len(first["items"]), first["total"], first["pages"], first["page_size"]) == (2, 5, 3, 2)
    assert len(last["items"]) == 1 and past["items"] == [] and past["total"] == 5
    assert call(local_api, "GET", "/loans?page_size=101", token=token).status == 422
    # Staff listing one member's loans, and a member without any: the same totals.
    librarian = users.token(users.create("librarian"))
    theirs = call(local_api, "GET", f"/loans?user_id={member['id']}&page=2&page_size=2", token=librarian).body["data"]
    assert (len(theirs["items"]), theirs["total"], theirs["pages"]) == (2, 5, 3)
    none = call(local_api, "GET", "/loans", token=users.token(users.create("member"))).body["data"]
    assert (none["items"], none["total"], none["pages"]) == ([], 0, 0)


def test_a_loan_is_visible_to_its_borrower_and_to_loans_view_all_only(local_api, users):
    member, other, librarian = users.create("member"), users.create("member"), users.create("librarian")
    loan = borrow(local_api, users.token(member), add_book()).body["data"]

    assert call(local_api, "GET", f"/loans/{loan['id']}", token=users.token(member)).body["data"] == loan
    assert call(local_api, "GET", f"/loans/{loan['id']}", token=users.token(other)).status == 403
    assert call(local_api, "GET", f"/loans/{loan['id']}", token=users.token(librarian)).status == 200
    assert call(local_api, "GET", "/loans/424242", token=users.token(member)).status == 404


def test_loans_need_a_token(local_api):
    assert call(local_api, "GET", "/loans").status == 401
    assert call(local_api, "POST", "/loans", json_body={"book_id": 1}).status == 401
