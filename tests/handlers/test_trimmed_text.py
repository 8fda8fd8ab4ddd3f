"""Text fields are held to their documented maxLength, minLength and pattern as sent, then their surrounding
whitespace is removed (`library_common.envelope.trimmed`): padding past the limit is a 422, as the OpenAPI document
says, never a value accepted once stripped; whitespace alone where a value is required is a 422 too. A CSV import's
cells follow the same rule (`library_common.envelope.stripped_within`): a cell padded past its limit fails its row."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text as sa_text

from tests.auth_support import invoke as auth
from tests.test_books_support import invoke as books

PASSWORD = "analytical engine"
# (auth event, the body around the field, the field, its documented maxLength)
AUTH_FIELDS = [
    ("register", {"email": "ada@example.org", "password": PASSWORD}, "name", 200),
    ("create_group", {}, "name", 100),
    ("create_permission", {"code": "reports.export"}, "name", 200),
]
# (the field, its documented maxLength); the rest of the body is a valid book
BOOK_FIELDS = [("title", 500), ("author", 300), ("publisher", 300), ("genre", 100), ("description", 20_000)]
BOOK = {"title": "Dune", "author": "Frank Herbert"}


def _auth(users, event: str, body: dict):
    token = users.token(users.create("admin")) if event != "register" else None
    return auth(event, token=token, body=body)


def _errors(envelope: dict) -> list[str]:
    assert envelope["status"] == 422 and envelope["code"] == "VALIDATION_ERROR"
    return [error["field"] for error in envelope["errors"]]


@pytest.mark.parametrize(("event", "body", "field", "limit"), AUTH_FIELDS)
def test_auth_text_padded_past_its_limit_is_a_422(users, event, body, field, limit):
    for padding in (" ", "\u00a0", "\u3000"):
        answer = _auth(users, event, {**body, field: "x" * (limit - 1) + padding * 2})
        assert answer.status == 422 and field in _errors(answer.body), padding
    assert _auth(users, event, {**body, field: "x" * limit}).status == 201


@pytest.mark.parametrize(("event", "body", "field", "limit"), AUTH_FIELDS)
def test_auth_text_within_its_limit_loses_its_surrounding_whitespace(users, event, body, field, limit):
    padded = "  Ada " + " " * (limit - 8)
    answer = _auth(users, event, {**body, field: padded})
    assert answer.status == 201 and answer.data[field] == "Ada"


@pytest.mark.parametrize(("event", "body", "field", "limit"), AUTH_FIELDS)
def test_auth_text_of_whitespace_alone_is_a_422(users, event, body, field, limit):
    answer = _auth(users, event, {**body, field: "   "})
    assert answer.status == 422 and _errors(answer.body) == [field]
    assert answer.body["errors"][0]["message"] == "must not be empty or only whitespace"


def test_a_group_name_in_a_users_groups_is_trimmed_and_counted_as_sent(users):
    admin_token = users.token(users.create("admin"))
    assert auth("create_group", token=admin_token, body={"name": "auditors"}).status == 201
    body = {"name": "Mia", "email": "mia@example.org", "password": PASSWORD}
    created = auth("create_user", token=admin_token, body={**body, "permission_groups": ["  auditors "]})
    assert created.status == 201 and [group["name"] for group in created.data["groups"]] == ["auditors"]
    padded = auth("create_user", token=admin_token, body={**body, "permission_groups": ["auditors" + " " * 93]})
    assert padded.status == 422


def test_an_email_to_log_in_with_is_counted_as_sent(users):
    member = users.create("member", email="mia@example.org")
    trimmed = auth("login", body={"email": "  MIA@example.org ", "password": member["password"]})
    assert trimmed.status == 200
    padded = auth("login", body={"email": "mia@example.org" + " " * 306, "password": member["password"]})
    assert padded.status == 422 and _errors(padded.body) == ["email"]
    blank = auth("request_password_reset", body={"email": "   "})
    assert blank.status == 422 and _errors(blank.body) == ["email"]


def test_an_email_to_register_is_matched_against_its_pattern_as_sent(users):
    # The document's pattern for an account's email has no whitespace: surrounding spaces are refused, not stripped.
    answer = auth("register", body={"name": "Ada", "email": " ada@example.org ", "password": PASSWORD})
    assert answer.status == 422 and _errors(answer.body) == ["email"]


@pytest.mark.parametrize(("field", "limit"), BOOK_FIELDS)
def test_book_text_padded_past_its_limit_is_a_422(users, field, limit):
    librarian = users.create("librarian")
    padding = "\n" if field == "description" else " "
    status, envelope = books(
        "create_book", users=users, user=librarian, body={**BOOK, field: "x" * (limit - 1) + padding * 2}
    )
    assert status == 422 and _errors(envelope) == [field]
    status, envelope = books("create_book", users=users, user=librarian, body={**BOOK, field: "x" * limit})
    assert status == 201, envelope


@pytest.mark.parametrize(("field", "limit"), BOOK_FIELDS)
def test_book_text_within_its_limit_loses_its_surrounding_whitespace(users, field, limit):
    librarian = users.create("librarian")
    status, envelope = books("create_book", users=users, user=librarian, body={**BOOK, field: "  Ace \t"})
    assert status == 201 and envelope["data"][field] == "Ace"


@pytest.mark.parametrize("field", ["title", "author"])
def test_a_books_required_text_of_whitespace_alone_is_a_422(users, field):
    librarian = users.create("librarian")
    book_id = books("create_book", users=users, user=librarian, body=BOOK)[1]["data"]["id"]
    status, envelope = books("create_book", users=users, user=librarian, body={**BOOK, field: " \n\t "})
    assert status == 422 and _errors(envelope) == [field]
    status, envelope = books(
        "update_book", users=users, user=librarian, path_parameters={"book_id": str(book_id)}, body={field: "   "}
    )
    assert status == 422 and _errors(envelope) == [field]


def test_a_books_optional_text_of_whitespace_alone_is_cleared(users):
    librarian = users.create("librarian")
    status, envelope = books("create_book", users=users, user=librarian, body={**BOOK, "publisher": "   "})
    assert status == 201 and envelope["data"]["publisher"] is None


def _imported(users, librarian, field: str, value: str) -> dict:
    """POST /books/import of one row, the book `BOOK` with `field` set to `value`: the import's report."""
    row = {**BOOK, field: value}
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    event = {"body": text.getvalue(), "query": None, "headers": {"Content-Type": "text/csv"}}
    status, envelope = books("import_books", users=users, user=librarian, **event)
    assert status == 200, envelope
    return envelope["data"]


@pytest.mark.parametrize(("field", "limit"), BOOK_FIELDS)
def test_a_csv_cell_padded_past_its_limit_fails_its_row_as_the_json_field_is_a_422(users, field, limit):
    librarian = users.create("librarian")
    padding = "\n" if field == "description" else " "
    report = _imported(users, librarian, field, "x" * (limit - 1) + padding * 2)
    assert (report["created"], report["failed"]) == (0, 1)
    assert report["errors"] == [{"row": 2, "field": field, "message": f"at most {limit} characters"}]
    report = _imported(users, librarian, field, "x" * limit)
    assert (report["created"], report["failed"]) == (1, 0), report


@pytest.mark.parametrize(("field", "limit"), BOOK_FIELDS)
def test_a_csv_cell_within_its_limit_loses_its_surrounding_whitespace(users, engine, field, limit):
    librarian = users.create("librarian")
    report = _imported(users, librarian, field, " " + "x" * (limit - 2) + "\t")
    assert (report["created"], report["failed"]) == (1, 0), report
    with engine.connect() as connection:
        stored = connection.execute(sa_text(f"SELECT {field} FROM books")).scalar_one()
    assert stored == "x" * (limit - 2)


# 320 characters as sent, 321 once lower-cased: 'İ'.lower() is 'i' and a combining dot above.
LENGTHENED_BY_LOWER_CASE = "a" * 307 + "\u0130" + "@example.org"


def test_an_email_longer_than_its_limit_once_lower_cased_is_a_422_naming_it(users):
    assert len(LENGTHENED_BY_LOWER_CASE) == 320 and len(LENGTHENED_BY_LOWER_CASE.lower()) == 321
    admin_token = users.token(users.create("admin"))
    body = {"name": "Ada", "email": LENGTHENED_BY_LOWER_CASE, "password": PASSWORD}
    for event, token in (("register", None), ("create_user", admin_token)):
        answer = auth(event, token=token, body=body)
        assert answer.status == 422 and answer.body["code"] == "VALIDATION_ERROR", (event, answer.body)
        assert answer.body["errors"] == [
            {"field": "email", "message": "must be at most 320 characters once in lower case"}
        ]
    within = auth("register", body={**body, "email": LENGTHENED_BY_LOWER_CASE[1:]})
    assert within.status == 201 and within.data["email"] == LENGTHENED_BY_LOWER_CASE[1:].lower()


def test_an_email_to_match_longer_than_its_limit_once_lower_cased_is_a_422_naming_it(users):
    for event, body in (
        ("login", {"email": LENGTHENED_BY_LOWER_CASE, "password": PASSWORD}),
        ("request_password_reset", {"email": LENGTHENED_BY_LOWER_CASE}),
    ):
        answer = auth(event, body=body)
        assert answer.status == 422 and _errors(answer.body) == ["email"], (event, answer.body)
