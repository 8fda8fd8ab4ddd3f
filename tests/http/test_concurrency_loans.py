"""Races over HTTP: the local API runs up to 8 workers of the loans function, so these requests truly overlap.

Each test fires its requests from threads released together by a barrier, after warming the workers up,
and ends by checking that every title's copies still add up.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tests.http.client import Reply, call
from tests.test_circulation_support import add_book, assert_copies_add_up, set_policy

pytestmark = pytest.mark.http
WORKERS = 8
RESENDS = 5


@pytest.fixture(autouse=True)
def copies_add_up(engine):
    yield
    assert_copies_add_up(engine)


@pytest.fixture
def api(local_api: str) -> str:
    """The local API with every loans worker started, so the races are not serialised by cold starts."""
    race([lambda: call(local_api, "GET", "/policies")] * WORKERS)
    return local_api


def race(requests: list[Callable[[], Reply]]) -> list[Reply]:
    start = threading.Barrier(len(requests))

    def fire(request: Callable[[], Reply]) -> Reply:
        start.wait()
        # The local API listens with Python's default backlog of 5, so the kernel resets some connections of a
        # burst before the server ever accepts them (nothing reached the function); a client would resend.
        for _ in range(RESENDS):
            try:
                return request()
            except ConnectionResetError:
                continue
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(fire, requests))


def borrow(api: str, token: str, book_id: int, **headers: str) -> Callable[[], Reply]:
    return lambda: call(api, "POST", "/loans", json_body={"book_id": book_id}, token=token, headers=headers)


def outcomes(replies: list[Reply]) -> Counter:
    return Counter(reply.body.get("code") or reply.status for reply in replies)


def open_loans(engine, **where: int) -> list[tuple[int, int]]:
    condition = "".join(f" AND {column} = :{column}" for column in where)
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT user_id, book_id FROM loans WHERE returned_on IS NULL{condition} ORDER BY id"), where
        )
        return [tuple(row) for row in rows]


def test_thirty_members_racing_for_the_last_three_copies_get_three_loans(api, users, engine):
    book_id = add_book(quantity=4)
    early = users.create("member")
    assert call(api, "POST", "/loans", json_body={"book_id": book_id}, token=users.token(early)).status == 201
    members = [users.create("member") for _ in range(30)]

    replies = race([borrow(api, users.token(member), book_id) for member in members])

    assert outcomes(replies) == {201: 3, "BOOK_UNAVAILABLE": 27}
    winners = {reply.body["data"]["user_id"] for reply in replies if reply.status == 201}
    assert len(winners) == 3
    assert sorted(user for user, _ in open_loans(engine, book_id=book_id)) == sorted([early["id"], *winners])


def test_one_member_borrowing_ten_titles_at_once_stops_at_the_limit_of_three(api, users, engine):
    member = users.create("member")
    token = users.token(member)
    books = [add_book(quantity=1, title=f"Title {n}") for n in range(10)]

    replies = race([borrow(api, token, book_id) for book_id in books])

    assert outcomes(replies) == {201: 3, "LOAN_LIMIT_REACHED": 7}
    assert len(open_loans(engine, user_id=member["id"])) == 3


def test_one_member_borrowing_the_same_title_ten_times_at_once_gets_one_loan(api, users, engine):
    member = users.create("member")
    token = users.token(member)
    book_id = add_book(quantity=10)

    replies = race([borrow(api, token, book_id)] * 10)

    assert outcomes(replies) == {201: 1, "ALREADY_BORROWED": 9}
    assert open_loans(engine) == [(member["id"], book_id)]


def test_a_return_racing_a_renewal_leaves_a_consistent_loan(api, users, engine):
    member = users.create("member")
    token = users.token(member)
    set_policy(engine, max_loans=6)
    loans = []
    for n in range(6):
        reply = call(api, "POST", "/loans", json_body={"book_id": add_book(title=f"Race {n}")}, token=token)
        loans.append(reply.body["data"])

    for loan in loans:
        returned, renewed = race(
            [
                lambda loan=loan: call(api, "POST", f"/loans/{loan['id']}/return", token=token),
                lambda loan=loan: call(api, "POST", f"/loans/{loan['id']}/renew", token=token),
            ]
        )
        assert returned.status == 200
        assert renewed.status == 200 or renewed.body["code"] == "LOAN_ALREADY_RETURNED"
        final = call(api, "GET", f"/loans/{loan['id']}", token=token).body["data"]
        renewals = 1 if renewed.status == 200 else 0
        assert final["status"] == "returned" and final["returned_on"]
        assert final["renewals"] == renewals
        assert date.fromisoformat(final["due_date"]) == date.fromisoformat(loan["due_date"]) + timedelta(
            days=14 * renewals
        )
        assert returned.body["data"]["due_date"] == final["due_date"]
    assert open_loans(engine) == []


def test_a_borrow_retried_with_the_same_idempotency_key_answers_the_first_loan(api, users, engine):
    member = users.create("member")
    token = users.token(member)
    book_id = add_book(quantity=3)

    replies = race([borrow(api, token, book_id, **{"Idempotency-Key": "borrow-dune-1"})] * 6)
    later = borrow(api, token, book_id, **{"Idempotency-Key": "borrow-dune-1"})()

    assert {reply.status for reply in [*replies, later]} == {201}
    assert len({reply.text for reply in [*replies, later]}) == 1
    replayed = [reply for reply in [*replies, later] if reply.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 6
    assert open_loans(engine) == [(member["id"], book_id)]
    with engine.connect() as connection:
        receipts = connection.execute(text("SELECT count(*) FROM notifications WHERE kind = 'borrow_receipt'"))
        assert receipts.scalar() == 1


def test_the_same_idempotency_key_for_another_request_is_refused(api, users, engine):
    member = users.create("member")
    token = users.token(member)
    first, other = add_book(), add_book(title="Emma")
    assert borrow(api, token, first, **{"Idempotency-Key": "k-1"})().status == 201

    reply = borrow(api, token, other, **{"Idempotency-Key": "k-1"})()

    assert reply.status == 422 and reply.body["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert open_loans(engine) == [(member["id"], first)]


def test_members_queueing_at_once_get_the_dense_positions_one_to_n(api, users, engine):
    book_id = add_book(quantity=1)
    holder = users.create("member")
    assert call(api, "POST", "/loans", json_body={"book_id": book_id}, token=users.token(holder)).status == 201
    members = [users.create("member") for _ in range(12)]

    tokens = [users.token(member) for member in members]

    replies = race(
        [
            lambda token=token: call(api, "POST", "/holds", json_body={"book_id": book_id}, token=token)
            for token in tokens
        ]
    )

    assert {reply.status for reply in replies} == {201}
    assert sorted(reply.body["data"]["position"] for reply in replies) == list(range(1, 13))


def test_returns_racing_borrows_and_holds_keep_every_copy_accounted_for(api, users, engine):
    """Members return, borrow and queue for the same few titles at once; copies go to holds in queue order."""
    set_policy(engine, max_loans=10)
    titles = [add_book(quantity=2, title=f"Busy {n}") for n in range(3)]
    borrowers = [users.create("member") for _ in range(6)]
    queuers = [users.create("member") for _ in range(6)]
    loans = []
    for n, member in enumerate(borrowers):
        reply = call(api, "POST", "/loans", json_body={"book_id": titles[n % 3]}, token=users.token(member))
        loans.append((member, reply.body["data"]["id"]))

    requests = [
        lambda member=member, loan_id=loan_id: call(api, "POST", f"/loans/{loan_id}/return", token=users.token(member))
        for member, loan_id in loans
    ] + [
        lambda member=member, n=n: call(
            api, "POST", "/holds", json_body={"book_id": titles[n % 3]}, token=users.token(member)
        )
        for n, member in enumerate(queuers)
    ]
    replies = race(requests)

    assert all(reply.status == 200 for reply in replies[: len(loans)])
    assert {reply.status for reply in replies[len(loans) :]} <= {201, 409}
    with engine.connect() as connection:
        # Every hold that got in the queue before a copy came back is now ready; the rest found a copy free.
        waiting_with_free_copies = connection.execute(
            text(
                "SELECT count(*) FROM holds h JOIN books b ON b.id = h.book_id WHERE h.status = 'waiting' "
                "AND b.quantity - b.copies_on_loan - b.copies_on_hold_shelf > 0"
            )
        ).scalar()
    assert waiting_with_free_copies == 0
