"""The hold queue over HTTP: joining, positions, a returned copy kept for the first in line, cancelling."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from library_common import db
from library_common.domain import holds
from library_reminders import daily
from tests.http.client import call
from tests.test_circulation_support import add_book, assert_copies_add_up

pytestmark = pytest.mark.http


@pytest.fixture(autouse=True)
def copies_add_up(engine):
    yield
    assert_copies_add_up(engine)


def borrow(api, token, book_id):
    return call(api, "POST", "/loans", json_body={"book_id": book_id}, token=token)


def hold(api, token, book_id, **body):
    return call(api, "POST", "/holds", json_body={"book_id": book_id, **body}, token=token)


def my_holds(api, token, query=""):
    return call(api, "GET", f"/holds{query}", token=token).body["data"]["items"]


@pytest.fixture
def lent_out(local_api, users):
    """A one-copy title on loan, and its borrower's token and loan."""
    book_id = add_book(quantity=1, title="Dune", author="Frank Herbert")
    borrower = users.create("member")
    token = users.token(borrower)
    loan = borrow(local_api, token, book_id).body["data"]
    return book_id, token, loan


def test_members_join_the_queue_in_order_and_positions_stay_dense(local_api, users, lent_out):
    book_id, _, _ = lent_out
    members = [users.create("member") for _ in range(3)]
    tokens = [users.token(member) for member in members]

    placed = [hold(local_api, token, book_id) for token in tokens]
    assert [reply.status for reply in placed] == [201, 201, 201]
    assert [reply.body["data"]["position"] for reply in placed] == [1, 2, 3]
    assert placed[0].body["data"]["status"] == "waiting" and placed[0].body["data"]["pickup_by"] is None

    cancelled = call(local_api, "DELETE", f"/holds/{placed[0].body['data']['id']}", token=tokens[0])
    assert cancelled.status == 200 and cancelled.body["data"]["status"] == "cancelled"
    assert cancelled.body["data"]["position"] is None
    assert [hold_["position"] for hold_ in my_holds(local_api, tokens[1])] == [1]
    assert [hold_["position"] for hold_ in my_holds(local_api, tokens[2])] == [2]


def test_a_returned_copy_waits_on_the_hold_shelf_for_the_first_in_line_only(local_api, users, engine, lent_out):
    book_id, borrower_token, loan = lent_out
    first, second, outsider = users.create("member"), users.create("member"), users.create("member")
    hold(local_api, users.token(first), book_id)
    hold(local_api, users.token(second), book_id)

    returned = call(local_api, "POST", f"/loans/{loan['id']}/return", token=borrower_token).body["data"]

    assert returned["copy_destination"] == "hold_shelf"
    ready = my_holds(local_api, users.token(first))[0]
    assert ready["status"] == "ready" and ready["position"] is None and ready["ready_on"] and ready["pickup_by"]
    assert my_holds(local_api, users.token(second))[0]["position"] == 1
    with engine.connect() as connection:
        notice = connection.execute(
            text("SELECT recipient, subject, body_text FROM notifications WHERE kind = 'hold_ready'")
        ).one()
    assert notice.recipient == first["email"] and "Dune" in notice.subject
    assert ready["pickup_by"][:10] in notice.body_text

    assert borrow(local_api, users.token(outsider), book_id).body["code"] == "BOOK_UNAVAILABLE"
    assert borrow(local_api, users.token(second), book_id).body["code"] == "BOOK_UNAVAILABLE"
    taken = borrow(local_api, users.token(first), book_id)
    assert taken.status == 201
    fulfilled = my_holds(local_api, users.token(first))[0]
    assert (fulfilled["status"], fulfilled["loan_id"]) == ("fulfilled", taken.body["data"]["id"])


def test_holds_are_refused_when_a_copy_is_free_queued_twice_or_already_borrowed(local_api, users, lent_out):
    book_id, borrower_token, _ = lent_out
    member = users.create("member")
    token = users.token(member)

    free = hold(local_api, token, add_book(title="On the shelf"))
    assert hold(local_api, token, book_id).status == 201
    twice = hold(local_api, token, book_id)
    own = hold(local_api, borrower_token, book_id)
    unknown = hold(local_api, token, 999_999)

    assert free.status == 409 and free.body["code"] == "COPY_AVAILABLE"
    assert twice.status == 409 and twice.body["code"] == "ALREADY_QUEUED"
    assert own.status == 409 and own.body["code"] == "ALREADY_BORROWED"
    assert unknown.status == 404 and unknown.body["code"] == "BOOK_NOT_FOUND"


def test_blocked_members_cannot_queue(local_api, users, engine, lent_out):
    book_id, _, _ = lent_out
    member = users.create("member")
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET is_active = false WHERE id = :u"), {"u": member["id"]})

    reply = hold(local_api, users.token(member), book_id)

    assert reply.status == 403 and reply.body["code"] == "BORROWING_BLOCKED"


def test_staff_queue_for_a_member_and_members_cannot_queue_for_others(local_api, users, lent_out):
    book_id, _, _ = lent_out
    librarian, member, other = users.create("librarian"), users.create("member"), users.create("member")

    on_behalf = hold(local_api, users.token(librarian), book_id, user_id=member["id"])
    not_allowed = hold(local_api, users.token(other), book_id, user_id=member["id"])

    assert on_behalf.status == 201 and on_behalf.body["data"]["user_id"] == member["id"]
    assert not_allowed.status == 403


def test_cancelling_a_ready_hold_passes_the_copy_to_the_next_in_line_then_to_the_shelf(local_api, users, lent_out):
    book_id, borrower_token, loan = lent_out
    first, second = users.create("member"), users.create("member")
    first_hold = hold(local_api, users.token(first), book_id).body["data"]
    second_hold = hold(local_api, users.token(second), book_id).body["data"]
    call(local_api, "POST", f"/loans/{loan['id']}/return", token=borrower_token)

    call(local_api, "DELETE", f"/holds/{first_hold['id']}", token=users.token(first))
    assert my_holds(local_api, users.token(second))[0]["status"] == "ready"
    call(local_api, "DELETE", f"/holds/{second_hold['id']}", token=users.token(second))

    outsider = users.create("member")
    assert borrow(local_api, users.token(outsider), book_id).status == 201


def test_only_active_holds_can_be_cancelled_by_their_member_or_loans_manage(local_api, users, lent_out):
    book_id, _, _ = lent_out
    member, other, librarian = users.create("member"), users.create("member"), users.create("librarian")
    placed = hold(local_api, users.token(member), book_id).body["data"]

    assert call(local_api, "DELETE", f"/holds/{placed['id']}", token=users.token(other)).status == 403
    assert call(local_api, "DELETE", f"/holds/{placed['id']}", token=users.token(librarian)).status == 200
    again = call(local_api, "DELETE", f"/holds/{placed['id']}", token=users.token(member))
    assert again.status == 409 and again.body["code"] == "HOLD_NOT_ACTIVE"
    assert call(local_api, "DELETE", "/holds/999999", token=users.token(member)).status == 404


def test_hold_lists_filter_by_status_and_staff_see_every_members(local_api, users, lent_out):
    book_id, _, _ = lent_out
    member, other, librarian = users.create("member"), users.create("member"), users.create("librarian")
    placed = hold(local_api, users.token(member), book_id).body["data"]
    hold(local_api, users.token(other), book_id)
    call(local_api, "DELETE", f"/holds/{placed['id']}", token=users.token(member))
    second_title = add_book(title="Emma")
    borrow(local_api, users.token(other), second_title)
    hold(local_api, users.token(member), second_title)

    mine = my_holds(local_api, users.token(member))
    assert [(item["title"], item["status"]) for item in mine] == [("Emma", "waiting"), ("Dune", "cancelled")]
    assert [item["status"] for item in my_holds(local_api, users.token(member), "?status=cancelled")] == ["cancelled"]
    everyone = my_holds(local_api, users.token(librarian), f"?book_id={book_id}")
    assert {item["user_id"] for item in everyone} == {member["id"], other["id"]}
    assert call(local_api, "GET", f"/holds?user_id={other['id']}", token=users.token(member)).status == 403
    assert call(local_api, "GET", "/holds?status=lost", token=users.token(member)).status == 422


def expired_by_the_daily_job(engine, hold_id: int) -> bool:
    """Runs the daily job (the one path that expires holds); whether it expired this hold."""

    def status() -> str:
        with engine.connect() as connection:
            return connection.execute(text("SELECT status FROM holds WHERE id = :h"), {"h": hold_id}).scalar_one()

    before = status()
    daily.run(due_soon_days=2)
    return before == "ready" and status() == "expired"


def test_an_expired_ready_hold_passes_its_copy_on_and_tells_the_member(local_api, users, engine, lent_out):
    book_id, borrower_token, loan = lent_out
    first, second = users.create("member"), users.create("member")
    first_hold = hold(local_api, users.token(first), book_id).body["data"]
    hold(local_api, users.token(second), book_id)
    call(local_api, "POST", f"/loans/{loan['id']}/return", token=borrower_token)

    assert expired_by_the_daily_job(engine, first_hold["id"]) is False  # pickup time not over yet
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE holds SET expires_on = now() - interval '1 minute' WHERE id = :h"), {"h": first_hold["id"]}
        )
    assert expired_by_the_daily_job(engine, first_hold["id"]) is True
    assert expired_by_the_daily_job(engine, first_hold["id"]) is False  # already expired

    assert my_holds(local_api, users.token(first))[0]["status"] == "expired"
    assert my_holds(local_api, users.token(second))[0]["status"] == "ready"
    with engine.connect() as connection:
        kinds = connection.execute(text("SELECT user_id, kind FROM notifications ORDER BY id")).all()
    assert (first["id"], "hold_expired") in kinds and (second["id"], "hold_ready") in kinds


def test_copies_added_to_a_title_go_to_the_waiting_holds_first(local_api, users, engine, lent_out):
    """What the catalogue does after raising a title's quantity: serve the queue before the shelf."""
    book_id, _, _ = lent_out
    members = [users.create("member") for _ in range(3)]
    for member in members:
        hold(local_api, users.token(member), book_id)
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET quantity = 3 WHERE id = :b"), {"b": book_id})

    with db.transaction() as session:
        holds.lock_book(session, book_id)
        served = holds.serve_waiting_holds(session, book_id)

    assert [ready.user_id for ready in served] == [members[0]["id"], members[1]["id"]]
    assert my_holds(local_api, users.token(members[2]))[0]["position"] == 1


def test_a_waiting_member_who_finds_a_copy_free_leaves_the_queue_with_the_loan(local_api, users, engine, lent_out):
    book_id, _, _ = lent_out
    member = users.create("member")
    token = users.token(member)
    hold(local_api, token, book_id)
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET quantity = 2 WHERE id = :b"), {"b": book_id})

    loan = borrow(local_api, token, book_id).body["data"]

    assert my_holds(local_api, token)[0]["status"] == "fulfilled"
    assert my_holds(local_api, token)[0]["loan_id"] == loan["id"]
