"""Every events/loans/*.json invokes the loans handler the way `sam local invoke -e` would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from devtools import template
from library_loans.app import lambda_handler
from tests.conftest import EVENTS, api_event, load_event
from tests.test_circulation_support import add_book, authorizer_for, body_of, make_overdue


def invoke(name: str, lambda_context, **changes) -> tuple[int, dict]:
    response = lambda_handler(api_event(f"loans/{name}.json", **changes), lambda_context)
    return response["statusCode"], body_of(response)


@pytest.fixture
def library(users, engine):
    """User 1 is the admin the events act as (as after `make run`); book 1 has one copy."""
    admin = users.create("admin")
    assert admin["id"] == 1
    assert add_book(quantity=1) == 1
    return admin


def test_the_events_walk_through_a_loan_a_fine_a_hold_and_the_reports(library, users, engine, lambda_context):
    member = users.create("member")
    as_member = authorizer_for(member, engine)

    assert invoke("get_policies", lambda_context)[0] == 200
    assert invoke("update_policies", lambda_context)[1]["data"]["max_loans"] == 5
    status, body = invoke("borrow", lambda_context)
    assert status == 201 and body["data"]["id"] == 1 and body["data"]["user_id"] == 1
    replayed = lambda_handler(load_event("loans/borrow.json"), lambda_context)
    assert replayed["multiValueHeaders"]["Idempotent-Replayed"] == ["true"] and body_of(replayed) == body
    assert invoke("get_loan", lambda_context)[1]["data"]["status"] == "active"
    assert invoke("list_loans", lambda_context)[1]["data"]["total"] == 1
    assert invoke("renew_loan", lambda_context)[1]["data"]["renewals"] == 1
    status, body = invoke("place_hold", lambda_context, authorizer=as_member)
    assert status == 201 and body["data"]["position"] == 1
    assert invoke("list_holds", lambda_context, authorizer=as_member)[1]["data"]["items"][0]["id"] == 1
    make_overdue(engine, 1, 2)
    assert invoke("report_overdue", lambda_context)[1]["data"]["items"][0]["days_late"] == 2
    assert invoke("report_overdue_by_days_late", lambda_context)[1]["data"][0] == {
        "from_days": 1,
        "to_days": 7,
        "loans": 1,
    }
    assert invoke("report_hold_queues", lambda_context)[1]["data"][0]["waiting"] == 1
    status, body = invoke("return_loan", lambda_context)
    assert (status, body["data"]["fine_amount"], body["data"]["copy_destination"]) == (200, "1.00", "hold_shelf")
    assert invoke("list_fines", lambda_context)[1]["data"]["items"][0]["amount"] == "1.00"
    assert invoke("pay_fine", lambda_context)[1]["data"]["status"] == "paid"
    status, body = invoke("waive_fine", lambda_context)
    assert (status, body["code"]) == (409, "FINE_ALREADY_SETTLED")
    assert invoke("cancel_hold", lambda_context, authorizer=as_member)[1]["data"]["status"] == "cancelled"
    assert invoke("report_summary", lambda_context)[1]["data"]["fines_outstanding"] == "0.00"
    with engine.begin() as connection:
        connection.execute(text("UPDATE loans SET borrowed_on = '2025-06-01T12:00:00Z'"))
    assert invoke("report_most_borrowed", lambda_context)[1]["data"] == [
        {"book_id": 1, "title": "Dune", "author": "Frank Herbert", "loans": 1}
    ]
    per_day = invoke("report_loans_per_day", lambda_context)[1]["data"]
    assert len(per_day) == 30 and per_day[0] == {"day": "2025-06-01", "loans": 1} and per_day[1]["loans"] == 0


def test_every_loans_route_in_the_template_has_an_event():
    routes = {(route.method, route.path) for route in template.load().routes if route.function == "LoansFunction"}
    events = {
        (event["httpMethod"], event["resource"])
        for event in (json.loads(path.read_text()) for path in Path(EVENTS, "loans").glob("*.json"))
    }
    assert routes - {("GET", "/notifications")} <= events


def test_the_idempotency_key_header_is_read_whatever_its_case(library, lambda_context):
    event = load_event("loans/borrow.json")
    event["headers"]["idempotency-key"] = event["headers"].pop("Idempotency-Key")
    event["multiValueHeaders"]["idempotency-key"] = event["multiValueHeaders"].pop("Idempotency-Key")
    first = lambda_handler(event, lambda_context)
    again = lambda_handler(event, lambda_context)
    assert first["statusCode"] == again["statusCode"] == 201
    assert again["multiValueHeaders"]["Idempotent-Replayed"] == ["true"]


def test_a_request_without_a_caller_is_401(library, lambda_context):
    event = load_event("loans/list_loans.json")
    event["requestContext"].pop("authorizer")
    response = lambda_handler(event, lambda_context)
    assert response["statusCode"] == 401 and body_of(response)["code"] == "UNAUTHORIZED"
