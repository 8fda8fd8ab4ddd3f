"""Circulation reports over HTTP (reports.view): most borrowed over a range, overdue loans, the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.http.client import call
from tests.test_circulation_support import add_book, assert_copies_add_up, make_overdue, set_policy

pytestmark = pytest.mark.http


@pytest.fixture(autouse=True)
def copies_add_up(engine):
    yield
    assert_copies_add_up(engine)


def borrow(api, token, book_id):
    return call(api, "POST", "/loans", json_body={"book_id": book_id}, token=token).body["data"]


def test_most_borrowed_ranks_titles_by_loans_begun_in_the_range(local_api, users, engine):
    librarian = users.create("librarian")
    members = [users.create("member") for _ in range(3)]
    popular, second, old = add_book(quantity=3, title="Popular"), add_book(title="Second"), add_book(title="Old")
    for member in members:
        loan = borrow(local_api, users.token(member), popular)
        call(local_api, "POST", f"/loans/{loan['id']}/return", token=users.token(member))
    borrow(local_api, users.token(members[0]), second)
    old_loan = borrow(local_api, users.token(members[1]), old)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE loans SET borrowed_on = now() - interval '40 days' WHERE id = :id"), {"id": old_loan["id"]}
        )
    today = datetime.now(UTC).date()
    staff = users.token(librarian)

    recent = call(local_api, "GET", f"/reports/most-borrowed?from={today - timedelta(days=7)}&to={today}", token=staff)
    ever = call(local_api, "GET", "/reports/most-borrowed?limit=2", token=staff)
    before = call(local_api, "GET", f"/reports/most-borrowed?to={today - timedelta(days=30)}", token=staff)

    assert recent.status == 200
    assert [(row["title"], row["loans"]) for row in recent.body["data"]] == [("Popular", 3), ("Second", 1)]
    assert [row["book_id"] for row in ever.body["data"]] == [popular, second]
    assert [row["title"] for row in before.body["data"]] == ["Old"]


def test_most_borrowed_validates_its_range_and_needs_reports_view(local_api, users):
    staff, member = users.token(users.create("librarian")), users.token(users.create("member"))
    backwards = call(local_api, "GET", "/reports/most-borrowed?from=2025-02-01&to=2025-01-01", token=staff)
    assert backwards.status == 422 and backwards.body["errors"][0]["field"] == "from"
    assert call(local_api, "GET", "/reports/most-borrowed?from=yesterday", token=staff).status == 422
    assert call(local_api, "GET", "/reports/most-borrowed?limit=0", token=staff).status == 422
    reports = ("most-borrowed", "overdue", "summary", "loans-per-day", "overdue-by-days-late", "hold-queues")
    for path in (f"/reports/{name}" for name in reports):
        assert call(local_api, "GET", path, token=member).status == 403


def test_the_overdue_report_lists_late_loans_with_days_late_and_the_members_contact(local_api, users, engine):
    librarian = users.create("librarian")
    late, later = users.create("member", name="Lena Late"), users.create("member", name="Otto")
    on_time = users.create("member")
    late_loan = borrow(local_api, users.token(late), add_book(title="Late"))
    later_loan = borrow(local_api, users.token(later), add_book(title="Later"))
    borrow(local_api, users.token(on_time), add_book(title="On time"))
    make_overdue(engine, late_loan["id"], 3)
    make_overdue(engine, later_loan["id"], 60)

    reply = call(local_api, "GET", "/reports/overdue?page_size=1", token=users.token(librarian))
    second_page = call(local_api, "GET", "/reports/overdue?page=2&page_size=1", token=users.token(librarian))

    assert reply.status == 200 and reply.body["data"]["total"] == 2
    first = reply.body["data"]["items"][0]
    assert (first["loan_id"], first["days_late"], first["fine_so_far"]) == (later_loan["id"], 60, "10.00")
    assert (first["member_name"], first["member_email"]) == ("Otto", later["email"])
    row = second_page.body["data"]["items"][0]
    assert (row["member_name"], row["days_late"], row["fine_so_far"], row["title"]) == ("Lena Late", 3, "0.75", "Late")


def test_the_overdue_report_sorts_by_any_column_and_refuses_an_unknown_one(local_api, users, engine):
    staff = users.token(users.create("librarian"))
    cases = (("ada", "Zed", 10), ("Bea", "alpha", 2), ("cy", "Mid", 30))
    loans = {}
    for name, title, days in cases:
        member = users.create("member", name=name, email=f"{name.lower()}@library.test")
        loans[name] = borrow(local_api, users.token(member), add_book(title=title))
        make_overdue(engine, loans[name]["id"], days)

    def order(ordering: str | None, field: str = "member_name") -> list:
        query = f"?ordering={ordering}" if ordering else ""
        reply = call(local_api, "GET", f"/reports/overdue{query}", token=staff)
        assert reply.status == 200, reply.body
        return [row[field] for row in reply.body["data"]["items"]]

    assert order(None) == order("-days_late") == order("due_date") == ["cy", "ada", "Bea"]
    assert order("days_late") == order("-due_date") == ["Bea", "ada", "cy"]
    assert order("member_name") == ["ada", "Bea", "cy"]  # whatever the case
    assert order("-member_email") == ["cy", "Bea", "ada"]
    assert order("title", "title") == ["alpha", "Mid", "Zed"]
    assert order("-fine_so_far", "fine_so_far") == ["7.50", "2.50", "0.50"]
    page = call(local_api, "GET", "/reports/overdue?ordering=member_name&page=2&page_size=2", token=staff).body
    assert [row["member_name"] for row in page["data"]["items"]] == ["cy"] and page["data"]["total"] == 3
    for unknown in ("borrowed_on", "name", "--days_late", "-"):
        reply = call(local_api, "GET", f"/reports/overdue?ordering={unknown}", token=staff)
        assert reply.status == 422 and reply.body["code"] == "VALIDATION_ERROR", unknown


def test_the_summary_counts_the_library(local_api, users, engine):
    librarian = users.create("librarian")
    members = [users.create("member") for _ in range(3)]
    users.create("member", active=False)
    set_policy(engine, max_loans=5)
    dune, emma = add_book(quantity=2, title="Dune"), add_book(quantity=1, title="Emma")
    archived = add_book(quantity=4, title="Gone")
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET archived_on = now() WHERE id = :b"), {"b": archived})
    first = borrow(local_api, users.token(members[0]), dune)
    borrow(local_api, users.token(members[1]), emma)
    call(local_api, "POST", "/holds", json_body={"book_id": emma}, token=users.token(members[2]))
    make_overdue(engine, first["id"], 4)
    late = borrow(local_api, users.token(members[1]), dune)
    make_overdue(engine, late["id"], 2)
    call(local_api, "POST", f"/loans/{late['id']}/return", token=users.token(members[1]))

    summary = call(local_api, "GET", "/reports/summary", token=users.token(librarian)).body["data"]

    assert summary == {
        "titles": 2,
        "copies": 3,
        "on_loan": 2,
        "on_hold_shelf": 0,
        "overdue": 1,
        "holds_waiting": 1,
        "active_members": 3,
        "fines_outstanding": "0.50",
        "fines_accruing": "1.00",
    }
    # The daily job charged the loan out 4 days late as it stood yesterday: charged and accruing split the fee.
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO fines (loan_id, user_id, amount) VALUES (:l, :u, 0.75)"),
            {"l": first["id"], "u": members[0]["id"]},
        )
    summary = call(local_api, "GET", "/reports/summary", token=users.token(librarian)).body["data"]
    assert (summary["fines_outstanding"], summary["fines_accruing"]) == ("1.25", "0.25")
    with engine.begin() as connection:
        connection.execute(text("UPDATE fines SET status = 'waived' WHERE loan_id = :l"), {"l": first["id"]})
    summary = call(local_api, "GET", "/reports/summary", token=users.token(librarian)).body["data"]
    assert (summary["fines_outstanding"], summary["fines_accruing"]) == ("0.50", "0.00")


def test_loans_per_day_counts_every_day_of_the_range_with_empty_days_as_zero(local_api, users, engine):
    librarian, member = users.create("librarian"), users.create("member")
    loans = [borrow(local_api, users.token(member), add_book(title=title)) for title in ("A", "B", "C")]
    with engine.begin() as connection:
        for loan, when in zip(
            loans, ("2025-03-01T00:00:00Z", "2025-03-01T23:59:59Z", "2025-03-03T12:00:00Z"), strict=True
        ):
            connection.execute(
                text("UPDATE loans SET borrowed_on = :when WHERE id = :id"), {"when": when, "id": loan["id"]}
            )
    staff = users.token(librarian)

    reply = call(local_api, "GET", "/reports/loans-per-day?from=2025-02-28&to=2025-03-04", token=staff)
    default = call(local_api, "GET", "/reports/loans-per-day", token=staff).body["data"]

    assert reply.status == 200
    assert [(row["day"], row["loans"]) for row in reply.body["data"]] == [
        ("2025-02-28", 0),
        ("2025-03-01", 2),
        ("2025-03-02", 0),
        ("2025-03-03", 1),
        ("2025-03-04", 0),
    ]
    today = datetime.now(UTC).date()
    assert (len(default), default[0]["day"], default[-1]["day"]) == (30, str(today - timedelta(days=29)), str(today))


def test_loans_per_day_validates_its_range(local_api, users):
    staff = users.token(users.create("librarian"))
    backwards = call(local_api, "GET", "/reports/loans-per-day?from=2025-03-02&to=2025-03-01", token=staff)
    too_long = call(local_api, "GET", "/reports/loans-per-day?from=2024-01-01&to=2025-01-01", token=staff)
    a_year = call(local_api, "GET", "/reports/loans-per-day?from=2024-01-01&to=2024-12-31", token=staff)
    assert backwards.status == 422 and backwards.body["errors"][0]["field"] == "from"
    assert too_long.status == 422 and "366 days" in too_long.body["errors"][0]["message"]
    assert a_year.status == 200 and len(a_year.body["data"]) == 366


def test_report_ranges_at_the_edges_of_the_calendar_are_answered_not_failed(local_api, users):
    """Found by the fuzzing pass: a `to` in year 1's first weeks made the default `from` fall before the calendar,
    and 9999-12-31 has no next day to end a range at; both were 500s."""
    staff = users.token(users.create("librarian"))
    first_days = call(local_api, "GET", "/reports/loans-per-day?to=0001-01-03", token=staff)
    assert first_days.status == 200
    assert [row["day"] for row in first_days.body["data"]] == ["0001-01-01", "0001-01-02", "0001-01-03"]
    for report in ("loans-per-day", "most-borrowed"):
        last_day = call(local_api, "GET", f"/reports/{report}?from=9999-12-31&to=9999-12-31", token=staff)
        assert last_day.status == 422 and last_day.body["errors"][0]["field"] in {"from", "to"}, last_day.body


def test_overdue_loans_are_counted_by_days_late_in_every_bin(local_api, users, engine):
    librarian = users.create("librarian")
    for days in (1, 7, 8, 45, 61, 400):
        loan = borrow(local_api, users.token(users.create("member")), add_book())
        make_overdue(engine, loan["id"], days)
    borrow(local_api, users.token(users.create("member")), add_book(title="On time"))
    returned = borrow(local_api, users.token(users.create("member")), add_book(title="Back"))
    make_overdue(engine, returned["id"], 3)
    call(local_api, "POST", f"/loans/{returned['id']}/return", token=users.token(librarian))

    bins = call(local_api, "GET", "/reports/overdue-by-days-late", token=users.token(librarian)).body["data"]

    assert [(row["from_days"], row["to_days"], row["loans"]) for row in bins] == [
        (1, 7, 2),
        (8, 14, 1),
        (15, 30, 0),
        (31, 60, 1),
        (61, None, 2),
    ]


def test_hold_queues_rank_titles_by_members_waiting(local_api, users):
    librarian = users.create("librarian")
    busy, quiet, free = add_book(title="Busy"), add_book(title="Quiet"), add_book(title="Free", quantity=2)
    borrow(local_api, users.token(users.create("member")), busy)
    borrow(local_api, users.token(users.create("member")), quiet)
    for _ in range(3):
        call(local_api, "POST", "/holds", json_body={"book_id": busy}, token=users.token(users.create("member")))
    cancelled_by = users.create("member")
    hold = call(local_api, "POST", "/holds", json_body={"book_id": quiet}, token=users.token(cancelled_by))
    call(local_api, "DELETE", f"/holds/{hold.body['data']['id']}", token=users.token(cancelled_by))
    call(local_api, "POST", "/holds", json_body={"book_id": quiet}, token=users.token(users.create("member")))
    staff = users.token(librarian)

    queues = call(local_api, "GET", "/reports/hold-queues", token=staff).body["data"]
    first = call(local_api, "GET", "/reports/hold-queues?limit=1", token=staff).body["data"]

    assert [(row["book_id"], row["title"], row["waiting"]) for row in queues] == [
        (busy, "Busy", 3),
        (quiet, "Quiet", 1),
    ]
    assert free not in [row["book_id"] for row in queues]
    assert [row["title"] for row in first] == ["Busy"]
