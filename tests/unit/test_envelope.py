import importlib
from decimal import Decimal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from library_common.envelope import Money, Schema, error_response, page_of, trimmed
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


def test_trimmed_text_is_counted_and_matched_as_sent_then_stripped():
    five = TypeAdapter(trimmed(max_length=5, pattern=r"^[^\n]*$"))
    assert five.validate_python("  abc") == "abc"
    for refused in ("abc   ", "  abc\n", "\u3000" * 6):
        with pytest.raises(ValidationError):
            five.validate_python(refused)
    assert five.validate_python("   ") == ""
    required = TypeAdapter(trimmed(min_length=1, max_length=5))
    with pytest.raises(ValidationError) as refused:
        required.validate_python(" \t ")
    assert refused.value.errors()[0]["type"] == "blank"
    assert required.json_schema() == {"type": "string", "minLength": 1, "maxLength": 5}


def _strips(schema) -> bool:
    if isinstance(schema, dict):
        if schema.get("strip_whitespace") or schema.get("str_strip_whitespace"):
            return True
        return any(_strips(value) for value in schema.values())
    if isinstance(schema, list | tuple):
        return any(_strips(value) for value in schema)
    return False


def test_no_request_model_strips_text_before_counting_it():
    # pydantic's own stripping counts the stripped text: padding would pass a documented maxLength.
    modules = ["library_auth.schemas", "library_books.schemas", "library_chat.schemas", "library_loans.schemas"]
    modules += ["library_loans.routes.notifications", "library_service.app"]
    for module in modules:
        importlib.import_module(module)
    models = []
    pending = [Schema]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        models.append(model)
    assert len(models) > 50
    for model in models:
        if "[" in model.__name__:  # a generic's parametrisation (Envelope[Book]) is checked as its origin
            continue
        model.model_rebuild(force=True)
        assert not _strips(model.__pydantic_core_schema__), model.__name__
