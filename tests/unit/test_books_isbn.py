"""ISBN-10 and ISBN-13 in the forms people write them, checksums verified, always ISBN-13 out."""

import pytest

from library_books.isbn import InvalidIsbn, normalize


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("9780441172719", "9780441172719"),
        ("978-0-441-17271-9", "9780441172719"),
        ("0441172717", "9780441172719"),
        ("0-441-17271-7", "9780441172719"),
        ("0 441 17271 7", "9780441172719"),
        ("080442957X", "9780804429573"),
        ("0-8044-2957-x", "9780804429573"),
        ("979-10-90636-07-1", "9791090636071"),
    ],
)
def test_valid_isbns_become_isbn_13(written, stored):
    assert normalize(written) == stored


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("9780441172718", "check digit"),
        ("0441172718", "check digit"),
        ("9770441172719", "978 or 979"),
        ("97804411727a9", "13 digits"),
        ("04411727X7", "check digit (0-9 or X)"),
        ("044117271²", "check digit (0-9 or X)"),
        ("١٢٣٤٥٦٧٨٩٠١٢٣", "13 digits"),
        ("12345", "10 or 13 digits"),
        ("", "10 or 13 digits"),
    ],
)
def test_invalid_isbns_say_why(written, reason):
    with pytest.raises(InvalidIsbn, match=reason.replace("(", r"\(").replace(")", r"\)")):
        normalize(written)
