"""The lending policy over HTTP: public to read, policies.manage to change, validated, and in force at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.http.client import call
from tests.test_circulation_support import add_book

pytestmark = pytest.mark.http

DEFAULTS = {
    "loan_period_days": 14,
    "max_loans": 3,
    "max_renewals": 2,
    "fine_per_day": "0.25",
    "fine_cap": "10.00",
    "hold_pickup_days": 3,
    "block_threshold": "5.00",
    # Not policy figures: the deployment's LIBRARY_CURRENCY, which the PATCH cannot change, and its minor unit.
    "currency": "USD",
    "currency_minor_digits": 2,
}


def test_anyone_reads_the_policy_with_the_documented_defaults(local_api, clean_db):
    reply = call(local_api, "GET", "/policies")
    assert reply.status == 200 and reply.body["data"] == DEFAULTS


def test_policies_manage_changes_only_the_fields_sent_and_new_loans_follow_them(local_api, users):
    admin, member = users.create("admin"), users.create("member")

    reply = call(
        local_api,
        "PATCH",
        "/policies",
        json_body={"loan_period_days": 21, "fine_per_day": 0.3},
        token=users.token(admin),
    )
    loan = call(local_api, "POST", "/loans", json_body={"book_id": add_book()}, token=users.token(member)).body["data"]

    assert reply.status == 200
    assert reply.body["data"] == {**DEFAULTS, "loan_period_days": 21, "fine_per_day": "0.30"}
    assert call(local_api, "GET", "/policies").body["data"] == reply.body["data"]
    assert loan["due_date"] == (datetime.now(UTC).date() + timedelta(days=21)).isoformat()


def test_changing_the_policy_needs_policies_manage(local_api, users):
    librarian = users.create("librarian")  # the librarians group lacks policies.manage
    reply = call(local_api, "PATCH", "/policies", json_body={"max_loans": 9}, token=users.token(librarian))
    assert reply.status == 403
    assert call(local_api, "PATCH", "/policies", json_body={"max_loans": 9}).status == 401
    assert call(local_api, "GET", "/policies").body["data"]["max_loans"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"loan_period_days": 0}, "loan_period_days"),
        ({"max_loans": -1}, "max_loans"),
        ({"fine_per_day": "-0.25"}, "fine_per_day"),
        ({"fine_cap": "1.234"}, "fine_cap"),
        # Money as text is written as the API writes it, nothing else Decimal would also read.
        *(({"fine_cap": text}, "fine_cap") for text in ("", " 1", "+1", "1e2", "1_0", "0.250")),
        ({"max_loans": True}, "max_loans"),
        ({"loan_period_days": "21"}, "loan_period_days"),
        ({"hold_pickup_days": 61}, "hold_pickup_days"),
        ({"block_threshold": None}, "block_threshold"),
        ({"max_renewals": 2, "grace_days": 1}, "grace_days"),
        ({"currency": "EUR"}, "currency"),
        ({"currency_minor_digits": 0}, "currency_minor_digits"),
        ({}, "body"),
    ],
)
def test_invalid_policy_changes_are_422_and_change_nothing(local_api, users, change, field):
    admin = users.create("admin")
    reply = call(local_api, "PATCH", "/policies", json_body=change, token=users.token(admin))
    assert reply.status == 422 and reply.body["code"] == "VALIDATION_ERROR"
    assert field in [error["field"] for error in reply.body["errors"]]
    assert call(local_api, "GET", "/policies").body["data"] == DEFAULTS
