"""The policy's amounts are whole numbers of the library currency's minor unit, as every notice and the console
write them: JPY 0.25 a day would read "JPY 0" and still be charged. GET /policies names the digits to write."""

from __future__ import annotations

import pytest

from library_loans.app import lambda_handler
from tests.conftest import api_event
from tests.test_circulation_support import authorizer_for, body_of


def policies(event_name, lambda_context, **changes) -> tuple[int, dict]:
    response = lambda_handler(api_event(f"loans/{event_name}.json", **changes), lambda_context)
    return response["statusCode"], body_of(response)


@pytest.fixture
def admin(users, engine, clean_db):
    return authorizer_for(users.create("admin"), engine)


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("JPY", 0), ("KWD", 3), ("IQD", 3)])
def test_the_policy_names_the_currencys_minor_digits(library_setting, clean_db, lambda_context, currency, digits):
    library_setting("LIBRARY_CURRENCY", currency)
    status, body = policies("get_policies", lambda_context)
    assert status == 200
    assert (body["data"]["currency"], body["data"]["currency_minor_digits"]) == (currency, digits)


@pytest.mark.parametrize("field", ["fine_per_day", "fine_cap", "block_threshold"])
def test_an_amount_finer_than_a_yen_is_refused_naming_the_field(library_setting, admin, lambda_context, field):
    library_setting("LIBRARY_CURRENCY", "JPY")
    whole = {"fine_per_day": 20, "fine_cap": 500, "block_threshold": 300}
    assert policies("update_policies", lambda_context, authorizer=admin, body=whole)[0] == 200

    status, body = policies("update_policies", lambda_context, authorizer=admin, body={field: "20.50"})

    assert status == 422 and body["code"] == "VALIDATION_ERROR"
    assert body["errors"] == [{"field": field, "message": "must be a whole number of JPY, which has no minor unit"}]
    assert policies("get_policies", lambda_context)[1]["data"][field] == f"{whole[field]}.00"


def test_whole_yen_are_taken_and_cents_where_the_currency_has_them(library_setting, admin, lambda_context):
    library_setting("LIBRARY_CURRENCY", "JPY")
    status, body = policies(
        "update_policies", lambda_context, authorizer=admin, body={"fine_per_day": "20", "fine_cap": 500}
    )
    assert status == 200 and (body["data"]["fine_per_day"], body["data"]["fine_cap"]) == ("20.00", "500.00")
    library_setting("LIBRARY_CURRENCY", "KWD")
    status, body = policies("update_policies", lambda_context, authorizer=admin, body={"fine_per_day": "0.25"})
    assert status == 200 and body["data"]["fine_per_day"] == "0.25"


def test_a_stored_amount_finer_than_the_currency_is_named_by_the_next_change(library_setting, admin, lambda_context):
    """The seeded 0.25 a day, in a library deployed with JPY: no change keeps it; the one that sends it whole is
    taken."""
    library_setting("LIBRARY_CURRENCY", "JPY")
    status, body = policies("update_policies", lambda_context, authorizer=admin, body={"max_loans": 5})
    assert status == 422
    assert body["errors"] == [
        {
            "field": "fine_per_day",
            "message": "is 0.25: must be a whole number of JPY, which has no minor unit; send it too",
        }
    ]
    assert policies("get_policies", lambda_context)[1]["data"]["max_loans"] == 3

    status, body = policies(
        "update_policies", lambda_context, authorizer=admin, body={"max_loans": 5, "fine_per_day": 25}
    )
    assert status == 200 and (body["data"]["max_loans"], body["data"]["fine_per_day"]) == (5, "25.00")
