"""Fines over HTTP: who sees them, settling them, and how paying lifts a block."""

from __future__ import annotations

import pytest

from tests.http.client import call
from tests.test_circulation_support import add_book, assert_copies_add_up, charge_fine, make_overdue

pytestmark = pytest.mark.http


@pytest.fixture(autouse=True)
def copies_add_up(engine):
    yield
    assert_copies_add_up(engine)


def late_return(api, engine, token, days_late, title="Dune"):
    """Borrows a new title, makes the loan `days_late` days overdue and returns it: answers the fine's id."""
    loan = call(api, "POST", "/loans", json_body={"book_id": add_book(title=title)}, token=token).body["data"]
    make_overdue(engine, loan["id"], days_late)
    call(api, "POST", f"/loans/{loan['id']}/return", token=token)
    return fine_of(api, token, loan["id"])


def fine_of(api, token, loan_id):
    fines = call(api, "GET", "/fines", token=token).body["data"]["items"]
    return next(fine for fine in fines if fine["loan_id"] == loan_id)


def test_members_see_their_own_fines_and_fines_manage_sees_all(local_api, users, engine):
    member, other, librarian = users.create("member"), users.create("member"), users.create("librarian")
    mine = late_return(local_api, engine, users.token(member), 2)
    theirs = late_return(local_api, engine, users.token(other), 8, title="Emma")

    own = call(local_api, "GET", "/fines", token=users.token(member)).body["data"]
    everyone = call(local_api, "GET", "/fines", token=users.token(librarian)).body["data"]
    filtered = call(local_api, "GET", f"/fines?user_id={other['id']}", token=users.token(librarian)).body["data"]

    assert [(fine["id"], fine["amount"], fine["title"]) for fine in own["items"]] == [(mine["id"], "0.50", "Dune")]
    assert {fine["id"] for fine in everyone["items"]} == {mine["id"], theirs["id"]} and everyone["total"] == 2
    assert [fine["amount"] for fine in filtered["items"]] == ["2.00"]
    assert call(local_api, "GET", f"/fines?user_id={other['id']}", token=users.token(member)).status == 403


def test_staff_pay_or_waive_an_unpaid_fine_once(local_api, users, engine):
    member, librarian = users.create("member"), users.create("librarian")
    staff = users.token(librarian)
    first = late_return(local_api, engine, users.token(member), 4)
    second = late_return(local_api, engine, users.token(member), 4, title="Emma")

    paid = call(local_api, "POST", f"/fines/{first['id']}/pay", token=staff)
    waived = call(local_api, "POST", f"/fines/{second['id']}/waive", token=staff)
    again = call(local_api, "POST", f"/fines/{first['id']}/waive", token=staff)

    assert paid.status == 200 and paid.body["data"]["status"] == "paid" and paid.body["data"]["settled_on"]
    assert waived.status == 200 and waived.body["data"]["status"] == "waived"
    assert again.status == 409 and again.body["code"] == "FINE_ALREADY_SETTLED"
    assert [
        fine["id"] for fine in call(local_api, "GET", "/fines?status=unpaid", token=staff).body["data"]["items"]
    ] == []


def test_members_cannot_settle_fines_and_unknown_fines_are_404(local_api, users, engine):
    member, librarian = users.create("member"), users.create("librarian")
    fine = late_return(local_api, engine, users.token(member), 1)

    assert call(local_api, "POST", f"/fines/{fine['id']}/pay", token=users.token(member)).status == 403
    unknown = call(local_api, "POST", "/fines/999999/pay", token=users.token(librarian))
    assert unknown.status == 404 and unknown.body["code"] == "FINE_NOT_FOUND"


def test_a_fine_still_growing_can_be_waived_but_not_paid(local_api, users, engine):
    member, librarian = users.create("member"), users.create("librarian")
    token = users.token(member)
    loan = call(local_api, "POST", "/loans", json_body={"book_id": add_book()}, token=token).body["data"]
    make_overdue(engine, loan["id"], 3)
    assert charge_fine(loan["id"]) == "0.75"
    accruing = fine_of(local_api, token, loan["id"])

    refused = call(local_api, "POST", f"/fines/{accruing['id']}/pay", token=users.token(librarian))
    waived = call(local_api, "POST", f"/fines/{accruing['id']}/waive", token=users.token(librarian))
    make_overdue(engine, loan["id"], 6)
    call(local_api, "POST", f"/loans/{loan['id']}/return", token=token)

    assert accruing["accruing"] is True
    assert refused.status == 409 and refused.body["code"] == "FINE_STILL_ACCRUING"
    assert waived.status == 200
    final = fine_of(local_api, token, loan["id"])
    assert (final["status"], final["amount"], final["accruing"]) == ("waived", "0.75", False)


def test_paying_brings_a_member_back_under_the_block_threshold(local_api, users, engine):
    member, librarian = users.create("member"), users.create("librarian")
    token = users.token(member)
    fine = late_return(local_api, engine, token, 30)
    assert fine["amount"] == "7.50"
    next_book = add_book(title="Next")
    blocked = call(local_api, "POST", "/loans", json_body={"book_id": next_book}, token=token)
    assert blocked.status == 403 and blocked.body["code"] == "BORROWING_BLOCKED"

    call(local_api, "POST", f"/fines/{fine['id']}/pay", token=users.token(librarian))

    again = call(local_api, "POST", "/loans", json_body={"book_id": next_book}, token=token)
    assert again.status == 201
