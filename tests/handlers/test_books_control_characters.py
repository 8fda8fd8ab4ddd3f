"""Single-line book fields refuse CR, LF and the other control characters on create, update and import: a title
reaches the header of every notice about the book."""

from __future__ import annotations

import pytest

from tests.handlers.test_import_csv import HEADER, books, send
from tests.test_books_support import add_book, invoke

POISON = ("Dune\r\nBcc: everyone@example.org", "Du\nne", "Dune\x1b[2J", "Du\x85ne", "Dune\u2028Messiah", "Du\tne")


@pytest.mark.parametrize("title", POISON)
def test_a_title_with_a_control_character_is_refused_on_create(users, title):
    status, body = invoke(
        "create_book", users=users, user=users.create("librarian"), body={"title": title, "author": "F"}
    )
    assert status == 422 and body["errors"][0]["field"] == "title"
    assert "single line" in body["errors"][0]["message"]


@pytest.mark.parametrize("field", ["author", "publisher", "publication", "genre", "language"])
def test_every_single_line_field_is_checked_on_replace_and_update(users, field):
    librarian = users.create("librarian")
    book_id = str(add_book())
    whole = {"title": "Dune", "author": "Frank Herbert", field: "Ace\r\nBooks"}
    status, body = invoke("replace_book", users=users, user=librarian, path_parameters={"book_id": book_id}, body=whole)
    assert status == 422 and body["errors"][0]["field"] == field
    status, body = invoke(
        "update_book", users=users, user=librarian, path_parameters={"book_id": book_id}, body={field: "a\nb"}
    )
    assert status == 422 and body["errors"][0]["field"] == field


def test_a_description_may_span_lines_but_holds_no_other_control_character(users):
    librarian = users.create("librarian")
    book = {"title": "Dune", "author": "Frank Herbert"}
    status, _ = invoke("create_book", users=users, user=librarian, body={**book, "description": "One.\r\n\tTwo."})
    assert status == 201
    status, body = invoke("create_book", users=users, user=librarian, body={**book, "description": "One\x1b[2J"})
    assert status == 422 and body["errors"][0]["field"] == "description"


def test_an_import_row_with_a_control_character_fails_that_row_alone(users, engine):
    librarian = users.create("librarian")
    csv_text = HEADER + '"Dune\rMessiah",Frank Herbert,,,,,,\n' + 'Emma,"Jane\nAusten",,,,,,\n' + "Kim,Kipling,,,,,,\n"
    status, body = send(users, librarian, csv_text)
    assert status == 200, body
    report = body["data"]
    assert (report["created"], report["failed"]) == (1, 2)
    assert [(error["row"], error["field"]) for error in report["errors"]] == [(2, "title"), (3, "author")]
    assert list(books(engine)) == ["Kim"]
