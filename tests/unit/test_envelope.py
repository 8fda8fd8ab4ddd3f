from decimal import Decimal

from pydantic import BaseModel

from library_common.envelope import Money, error_response, page_of
from library_common.errors import Conflict, ValidationFailed


def test_errors_map_to_status_and_stable_code():
    response = error_response(Conflict("Copies are on loan", code="BOOK_ON_LOAN"))
    assert response.status_code == 409
    assert response.body == {"status": 409, "message": "Copies are on loan", "data": None, "code": "BOOK_ON_LOAN"}


def test_validation_errors_carry_field_messages():
    response = error_response(ValidationFailed(errors=[{"field": "isbn", "message": "bad checksum"}]))
    assert response.status_code == 422
    assert response.body["errors"] == [{"field": "isbn", "message": "bad checksum"}]
    assert response.body["code"] == "VALIDATION_ERROR"


def test_pages_report_totals_and_page_count():
    assert page_of([1, 2], page=3, page_size=2, total=5) == {
        "items": [1, 2],
        "page": 3,
        "page_size": 2,
        "total": 5,
        "pages": 3,
    }
    assert page_of([], page=1, page_size=20, total=0)["pages"] == 0


def test_money_is_a_two_place_decimal_string_in_json():
    class Fine(BaseModel):
        amount: Money

    assert Fine(amount=Decimal("2.5")).model_dump(mode="json") == {"amount": "2.50"}
