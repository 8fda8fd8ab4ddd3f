"""GET /isbn-check: the verdict a book form shows while the ISBN is typed."""

from sqlalchemy import text

from tests.test_books_support import add_book, anonymous


def check(isbn):
    status, body = anonymous("check_isbn", query={"isbn": isbn})
    assert status == 200, body
    return body["data"]


def test_a_valid_isbn_10_answers_its_isbn_13_and_no_book(clean_db):
    verdict = check("0-441-17271-7")
    assert verdict == {
        "isbn": "0-441-17271-7",
        "valid": True,
        "isbn_13": "9780441172719",
        "message": "Valid ISBN (ISBN-13 9780441172719)",
        "book": None,
    }


def test_a_bad_check_digit_wrong_length_or_prefix_says_why(clean_db):
    assert check("0-441-17271-8")["message"] == "ISBN check digit does not match"
    assert check("12345")["message"] == "An ISBN has 10 or 13 digits (hyphens and spaces are ignored)"
    assert check("9770441172719")["message"] == "An ISBN-13 starts with 978 or 979"
    assert not any(check(isbn)["valid"] for isbn in ("0-441-17271-8", "12345", "9770441172719"))


def test_the_book_already_having_the_isbn_is_named(clean_db):
    book_id = add_book(title="Dune", author="Frank Herbert", isbn="9780441172719")
    verdict = check("978 0 441 17271 9")
    assert verdict["valid"] and verdict["book"] == {"id": book_id, "title": "Dune", "author": "Frank Herbert"}
    assert verdict["message"] == "Already in the catalogue: Dune"


def test_an_archived_book_no_longer_holds_its_isbn(clean_db, engine):
    book_id = add_book(isbn="9780441172719")
    with engine.begin() as connection:
        connection.execute(text("UPDATE books SET archived_on = now() WHERE id = :id"), {"id": book_id})
    assert check("9780441172719")["book"] is None


def test_a_missing_or_overlong_isbn_is_422(clean_db):
    assert anonymous("check_isbn", query={})[0] == 422
    assert anonymous("check_isbn", query={"isbn": "9" * 41})[0] == 422
