"""What the OpenAPI document promises about ids, nulls and dates, the handlers do (issue 16, item 11)."""

from __future__ import annotations

import pytest

from library_common.envelope import MAX_ID
from library_loans.app import lambda_handler
from tests.conftest import api_event
from tests.test_books_support import add_book
from tests.test_books_support import invoke as books
from tests.test_circulation_support import authorizer_for, body_of


def loans(event_name, lambda_context, *, query=None, **changes):
    event = api_event(f"loans/{event_name}.json", query=query, **changes)
    for name, value in (changes.get("path_parameters") or {}).items():
        event["path"] = event["resource"].replace("{" + name + "}", value)
    if query is not None:
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    response = lambda_handler(event, lambda_context)
    return response["statusCode"], body_of(response)


@pytest.mark.parametrize("event_name", ["get_loan", "renew_loan", "return_loan"])
def test_the_largest_documented_loan_id_is_accepted_and_one_more_is_422(users, engine, lambda_context, event_name):
    staff = authorizer_for(users.create("admin"), engine)
    status, body = loans(event_name, lambda_context, authorizer=staff, path_parameters={"loan_id": str(MAX_ID)})
    assert status == 404, body
    status, body = loans(event_name, lambda_context, authorizer=staff, path_parameters={"loan_id": str(MAX_ID + 1)})
    assert status == 422, body


def test_id_filters_above_the_bigint_range_are_422(users, engine, lambda_context):
    staff = authorizer_for(users.create("admin"), engine)
    for event_name, name in (("list_loans", "user_id"), ("list_loans", "book_id"), ("list_holds", "book_id")):
        status, _ = loans(event_name, lambda_context, authorizer=staff, query={name: str(MAX_ID + 1)})
        assert status == 422, (event_name, name)


@pytest.mark.parametrize("day", ["0", "1700000000", "20240131", "2024-1-31"])
def test_report_dates_are_calendar_days_not_unix_times(users, engine, lambda_context, day):
    staff = authorizer_for(users.create("admin"), engine)
    status, body = loans("report_most_borrowed", lambda_context, authorizer=staff, query={"to": day})
    assert status == 422 and body["errors"][0]["field"] == "to"
    status, _ = loans("report_most_borrowed", lambda_context, authorizer=staff, query={"to": "2024-01-31"})
    assert status == 200


@pytest.mark.parametrize("field", ["title", "author", "quantity"])
def test_patch_books_refuses_null_for_a_required_field(users, field):
    book_id = str(add_book())
    status, body = books(
        "update_book",
        users=users,
        user=users.create("librarian"),
        path_parameters={"book_id": book_id},
        body={field: None},
    )
    assert status == 422 and body["errors"][0]["field"] == field


def test_the_policy_names_the_deployments_currency(library_setting, clean_db, lambda_context):
    library_setting("LIBRARY_CURRENCY", "EUR")
    status, body = loans("get_policies", lambda_context)
    assert status == 200 and body["data"]["currency"] == "EUR"


def test_patch_policies_refuses_null(users, engine, lambda_context):
    staff = authorizer_for(users.create("admin"), engine)
    status, body = loans("update_policies", lambda_context, authorizer=staff, body={"max_loans": None})
    assert status == 422 and body["errors"][0]["field"] == "max_loans"


# A JSON body's integers, booleans and dates are what the document types them: pydantic alone would read `false` as
# 0 copies, `0` as an inactive account and `0` or "0" as 1 January 1970 (found by schemathesis's negative cases).
@pytest.mark.parametrize(
    ("change", "field"),
    [({"quantity": False}, "quantity"), ({"quantity": "2"}, "quantity")]
    + [({"published_date": day}, "published_date") for day in (0, "0", 1700000000)],
)
def test_book_bodies_refuse_values_of_another_json_type(users, change, field):
    librarian = users.create("librarian")
    status, body = books("create_book", users=users, user=librarian, body={"title": "Dune", "author": "F", **change})
    assert status == 422 and body["errors"][0]["field"] == field
    status, body = books("create_book", users=users, user=librarian, body={"title": "Dune", "author": "F"})
    assert status == 201 and body["data"]["quantity"] == 1


def test_loan_bodies_refuse_values_of_another_json_type(users, engine, lambda_context):
    book_id = add_book()
    member = authorizer_for(users.create("member"), engine)
    status, body = loans("borrow", lambda_context, authorizer=member, body={"book_id": True})
    assert status == 422 and body["errors"][0]["field"] == "book_id"
    status, body = loans("place_hold", lambda_context, authorizer=member, body={"book_id": str(book_id)})
    assert status == 422 and body["errors"][0]["field"] == "book_id"
    assert loans("borrow", lambda_context, authorizer=member, body={"book_id": book_id})[0] == 201
