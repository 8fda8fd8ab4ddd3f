"""POST /books/import: a CSV body validated row by row and upserted by ISBN."""

from __future__ import annotations

import base64

from sqlalchemy import text

from tests.test_books_support import add_book, invoke, lend, live_book_count, queue_hold

HEADER = "title,author,isbn,publisher,published_date,genre,language,quantity\n"


def send(users, user, csv_text: str, *, content_type: str = "text/csv", **query: str):
    event = {
        "body": csv_text,
        "query": query or None,
        "headers": {"Content-Type": content_type},
    }
    return invoke("import_books", users=users, user=user, **event)


def books(engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT isbn, title, author, publisher, published_date, quantity, created_by FROM books ORDER BY id")
        )
        return {row.isbn or row.title: tuple(row)[1:] for row in rows}


def test_valid_rows_are_created_and_bad_rows_reported_by_row_number(users, engine):
    librarian = users.create("librarian")
    csv_text = (
        HEADER
        + "Dune,Frank Herbert,0-441-17271-7,Ace,1965,Science Fiction,English,3\n"
        + ",Nobody,,,,,,\n"
        + "Emma,Jane Austen,978-0-14-143958-7,Penguin,1815-12-23,Classics,English,\n"
        + "Bad Isbn,Someone,0-441-17271-8,,,,,\n"
        + "\n"
        + "Negative,Someone,,,,,,-2\n"
        + "Dune again,Frank Herbert,9780441172719,,,,,\n"
        + '"Quoted, title",Someone,,,"not a date",,,\n'
    )
    status, body = send(users, librarian, csv_text)
    assert status == 200, body
    report = body["data"]
    assert (report["rows"], report["created"], report["updated"], report["failed"]) == (7, 2, 0, 5)
    assert report["applied"] is True and report["errors_truncated"] is False
    assert report["errors"] == [
        {"row": 3, "field": "title", "message": "is required"},
        {"row": 5, "field": "isbn", "message": "ISBN check digit does not match"},
        {"row": 7, "field": "quantity", "message": "must be a whole number from 0 to 100000"},
        {"row": 8, "field": "isbn", "message": "repeats the ISBN of row 2"},
        {"row": 9, "field": "published_date", "message": "must be a date YYYY-MM-DD or a year YYYY"},
    ]
    stored = books(engine)
    assert stored["9780441172719"][:5] == ("Dune", "Frank Herbert", "Ace", __import__("datetime").date(1965, 1, 1), 3)
    assert stored["9780141439587"][4] == 1  # quantity defaults to 1
    assert stored["9780441172719"][5] == librarian["id"]
    assert live_book_count(engine) == (2, 2)


def test_rows_with_a_known_isbn_update_that_book_and_empty_cells_keep_its_values(users, engine):
    librarian = users.create("librarian")
    book_id = add_book(title="Dune", isbn="9780441172719", publisher="Chilton", quantity=2)
    status, body = send(
        users, librarian, "isbn,title,author,publisher,quantity\n0441172717,Dune (40th anniversary),F. Herbert,,5\n"
    )
    assert status == 200
    assert (body["data"]["created"], body["data"]["updated"], body["data"]["failed"]) == (0, 1, 0)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT title, author, publisher, quantity, updated_by FROM books WHERE id = :id"), {"id": book_id}
        ).one()
    assert tuple(row) == ("Dune (40th anniversary)", "F. Herbert", "Chilton", 5, librarian["id"])


def test_a_quantity_below_the_copies_out_fails_only_that_row(users, engine):
    librarian = users.create("librarian")
    reader = users.create("member")
    book_id = add_book(title="Dune", isbn="9780441172719", quantity=2)
    lend(engine, book_id, reader["id"])
    lend(engine, book_id, users.create("member")["id"])
    status, body = send(users, librarian, HEADER + "Dune,Frank Herbert,9780441172719,,,,,1\nEmma,Jane Austen,,,,,,\n")
    assert status == 200
    assert (body["data"]["created"], body["data"]["updated"], body["data"]["failed"]) == (1, 0, 1)
    assert body["data"]["errors"] == [
        {
            "row": 2,
            "field": "quantity",
            "message": "2 copies are on loan or on the hold shelf; quantity cannot be lower",
        }
    ]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT quantity FROM books WHERE id = :id"), {"id": book_id}).scalar() == 2


def test_dry_run_counts_exactly_and_saves_nothing(users, engine):
    librarian = users.create("librarian")
    add_book(title="Dune", isbn="9780441172719")
    csv_text = HEADER + "Dune,Frank Herbert,9780441172719,,,,,\nEmma,Jane Austen,,,,,,\n,,bad,,,,,\n"
    status, body = send(users, librarian, csv_text, dry_run="true")
    assert status == 200 and body["message"].startswith("Dry run")
    report = body["data"]
    assert (report["created"], report["updated"], report["failed"], report["applied"]) == (1, 1, 1, False)
    assert list(books(engine)) == ["9780441172719"]
    assert live_book_count(engine) == (1, 1)


def test_atomic_import_saves_nothing_when_any_row_fails(users, engine):
    librarian = users.create("librarian")
    csv_text = HEADER + "Emma,Jane Austen,,,,,,\nNo Author,,,,,,,\n"
    status, body = send(users, librarian, csv_text, atomic="true")
    assert status == 422 and body["code"] == "IMPORT_REJECTED"
    assert body["errors"] == [{"row": 3, "field": "author", "message": "is required"}]
    assert books(engine) == {}
    status, body = send(users, librarian, HEADER + "Emma,Jane Austen,,,,,,\n", atomic="true")
    assert status == 200 and body["data"]["created"] == 1


def test_the_file_itself_must_be_csv_with_a_usable_header(users):
    librarian = users.create("librarian")
    status, body = send(users, librarian, "name,writer\nDune,Frank Herbert\n")
    assert status == 422 and body["code"] == "CSV_BAD_HEADER"
    assert {"field": "name", "message": "is not a book field"} in body["errors"]
    assert {"field": "title", "message": "is a required column"} in body["errors"]
    status, body = send(users, librarian, "")
    assert status == 422 and body["code"] == "CSV_EMPTY"
    status, body = send(users, librarian, "title,author,title\n")
    assert status == 422 and {"field": "title", "message": "appears twice"} in body["errors"]
    status, body = send(users, librarian, HEADER + "Dune,Frank Herbert\n", content_type="application/json")
    assert status == 415 and body["code"] == "UNSUPPORTED_MEDIA_TYPE"
    status, body = send(users, librarian, 'title,author\n"Dune,Frank Herbert\n' + "x" * 200_000)
    assert status == 422 and body["code"] == "CSV_MALFORMED"


def test_a_byte_order_mark_a_charset_and_a_base64_body_are_understood(users, engine):
    librarian = users.create("librarian")
    content = "\ufefftitle,author,language\nL'Étranger,Albert Camus,Français\n".encode()
    event = {
        "body": base64.b64encode(content).decode(),
        "is_base64": True,
        "headers": {"Content-Type": "text/csv; charset=utf-8"},
    }
    status, body = invoke("import_books", users=users, user=librarian, query=None, **event)
    assert status == 200 and body["data"]["created"] == 1
    assert "L'Étranger" in books(engine)
    event["body"] = base64.b64encode("title,author\nCaf\xe9,X\n".encode("latin-1")).decode()
    status, body = invoke("import_books", users=users, user=librarian, query=None, **event)
    assert status == 400 and body["code"] == "MALFORMED_REQUEST"


def test_only_holders_of_books_import_may_import(users):
    member = users.create("member")
    assert send(users, member, HEADER + "Emma,Jane Austen,,,,,,\n")[0] == 403


def test_more_than_a_thousand_errors_are_counted_but_not_all_listed(users):
    librarian = users.create("librarian")
    csv_text = "title,author\n" + ",\n".join(f"Title {n}" for n in range(1500)) + ",\n"
    status, body = send(users, librarian, csv_text)
    assert status == 200
    assert body["data"]["failed"] == 1500 and len(body["data"]["errors"]) == 1000
    assert body["data"]["errors_truncated"] is True
    assert body["data"]["errors"][0]["row"] == 2


def test_a_new_isbn_added_by_someone_else_meanwhile_becomes_an_update(users, engine, monkeypatch):
    """The race: between the import's check for known ISBNs and its insert, another transaction adds one.
    Simulated by an insert that does not look for known ISBNs: the unique index refuses it, and the chunk is
    written again with the upsert."""
    from library_books.logic import csv_import

    librarian = users.create("librarian")
    add_book(title="Dune", isbn="9780441172719", quantity=1)
    unchecked = csv_import._INSERT_NEW.split("WHERE s.isbn IS NULL")[0]
    monkeypatch.setattr(csv_import, "_INSERT_NEW", unchecked)
    status, body = send(
        users, librarian, HEADER + "Dune (new),Frank Herbert,9780441172719,,,,,4\nEmma,Jane Austen,,,,,,\n"
    )
    assert status == 200, body
    assert (body["data"]["created"], body["data"]["updated"], body["data"]["failed"]) == (1, 1, 0)
    assert books(engine)["9780441172719"][0] == "Dune (new)"


def test_a_copy_of_new_books_that_the_unique_index_refuses_leaves_nothing_and_the_chunk_is_upserted(
    users, engine, monkeypatch
):
    """A chunk's ISBNs are looked up (the first chunk's, and every chunk's once one has carried a known ISBN), and a
    chunk with none known goes into books with one COPY. The unique index has the last word: here the look-up never
    finds anything, as when another transaction adds the ISBN meanwhile, so the first chunk's COPY (the file updates
    Emma) and the third's are refused. Neither leaves a row behind; both chunks are upserted."""
    from library_books.logic import csv_import

    librarian = users.create("librarian")
    add_book(title="Emma", isbn="9780141439587", quantity=1)
    add_book(title="Dune", isbn="9780441172719", quantity=1)
    monkeypatch.setattr(csv_import, "FIRST_CHUNK_ROWS", 1)
    monkeypatch.setattr(csv_import, "CHUNK_ROWS", 1)
    monkeypatch.setattr(csv_import, "_LIVE_MATCHES", "SELECT 0")
    csv_text = (
        HEADER
        + "Emma (new),Jane Austen,9780141439587,,,,,2\n"
        + "Cosmos,Carl Sagan,9780345539434,,,,,\n"
        + "Dune (new),Frank Herbert,9780441172719,,,,,4\n"
    )
    status, body = send(users, librarian, csv_text)
    assert status == 200, body
    assert (body["data"]["created"], body["data"]["updated"], body["data"]["failed"]) == (1, 2, 0)
    stored = books(engine)
    assert [stored[isbn][::4] for isbn in ("9780141439587", "9780345539434", "9780441172719")] == [
        ("Emma (new)", 2),
        ("Cosmos", 1),
        ("Dune (new)", 4),
    ]
    assert live_book_count(engine) == (3, 3)


def test_a_known_isbn_after_a_first_chunk_of_new_books_is_still_an_update(users, engine, monkeypatch):
    """After a first chunk of new books the chunks are not looked up: the COPY of a chunk with a known ISBN is
    refused by the unique index, and that chunk upserted."""
    from library_books.logic import csv_import

    librarian = users.create("librarian")
    add_book(title="Dune", isbn="9780441172719", quantity=1)
    monkeypatch.setattr(csv_import, "FIRST_CHUNK_ROWS", 1)
    monkeypatch.setattr(csv_import, "CHUNK_ROWS", 1)
    csv_text = HEADER + "Cosmos,Carl Sagan,9780345539434,,,,,\n" + "Dune (new),Frank Herbert,9780441172719,,,,,4\n"
    status, body = send(users, librarian, csv_text)
    assert status == 200, body
    assert (body["data"]["created"], body["data"]["updated"], body["data"]["failed"]) == (1, 1, 0)
    assert books(engine)["9780441172719"][::4] == ("Dune (new)", 4)
    assert live_book_count(engine) == (2, 2)


def test_new_books_get_the_defaults_and_the_importer_whichever_way_they_are_written(users, engine):
    """A chunk of new ISBNs goes into books with COPY, a chunk with a known one through the staging table: both
    store the same book (an empty quantity is 1, quantity 0 stays 0, the importer is the creator)."""
    librarian = users.create("librarian")
    add_book(title="Dune", isbn="9780441172719", quantity=1)
    rows = "{title},Someone,{isbn},Ace,1999-02-03,Poetry,French,{quantity}\n"
    new_only = (
        HEADER
        + rows.format(title="A", isbn="9780141439587", quantity="")
        + rows.format(title="B", isbn="", quantity="0")
    )
    with_known = (
        HEADER
        + rows.format(title="C", isbn="9780306406157", quantity="")
        + rows.format(title="D", isbn="", quantity="0")
        + rows.format(title="Dune", isbn="9780441172719", quantity="2")
    )
    for csv_text in (new_only, with_known):
        status, body = send(users, librarian, csv_text)
        assert status == 200 and body["data"]["failed"] == 0, body
    stored = books(engine)
    day = __import__("datetime").date(1999, 2, 3)
    for title, key in (("A", "9780141439587"), ("C", "9780306406157")):
        assert stored[key] == (title, "Someone", "Ace", day, 1, librarian["id"])
    for title in ("B", "D"):
        assert stored[title] == (title, "Someone", "Ace", day, 0, librarian["id"])


def test_rows_that_would_change_nothing_leave_their_book_untouched(users, engine):
    librarian = users.create("librarian")
    csv_text = HEADER + "Dune,Frank Herbert,9780441172719,Ace,1965,Science Fiction,English,3\n"
    assert send(users, librarian, csv_text)[1]["data"]["created"] == 1

    def version() -> tuple:
        with engine.connect() as connection:
            return tuple(connection.execute(text("SELECT xmin::text, updated_on, quantity FROM books")).one())

    before = version()
    status, body = send(users, librarian, csv_text)
    assert status == 200 and (body["data"]["created"], body["data"]["updated"]) == (0, 1)
    assert version() == before
    status, body = send(users, librarian, csv_text.replace(",3\n", ",4\n"))
    assert status == 200 and body["data"]["updated"] == 1
    after = version()
    assert after[2] == 4 and after[:2] != before[:2]


def test_copies_added_by_an_import_go_to_the_waiting_members_first(users, engine):
    librarian = users.create("librarian")
    reader, first, second = (users.create("member") for _ in range(3))
    book_id = add_book(quantity=1, isbn="9780441172719")
    lend(engine, book_id, reader["id"])
    for member in (first, second):
        queue_hold(engine, book_id, member["id"])

    status, body = send(users, librarian, "title,author,isbn,quantity\nDune,Frank Herbert,9780441172719,2\n")

    assert status == 200 and body["data"]["updated"] == 1, body
    with engine.connect() as connection:
        holds = connection.execute(
            text("SELECT user_id, status, updated_by FROM holds WHERE book_id = :b ORDER BY id"), {"b": book_id}
        ).all()
        told = connection.execute(text("SELECT user_id FROM notifications WHERE kind = 'hold_ready'")).all()
    # The hold was readied on the importer's behalf, in the import's transaction.
    assert [tuple(hold) for hold in holds] == [(first["id"], "ready", librarian["id"]), (second["id"], "waiting", None)]
    assert [row.user_id for row in told] == [first["id"]]


def test_an_import_counts_its_rows_created_updated_and_failed(users, capsys):
    from tests.handlers.test_metrics import counted

    add_book(title="Dune", isbn="9780441172719")
    librarian = users.create("librarian")
    csv_text = (
        HEADER
        + "Dune,Frank Herbert,0-441-17271-7,Ace,1965,Science Fiction,English,3\n"
        + "Emma,Jane Austen,,,,,,\n"
        + "Negative,Someone,,,,,,-2\n"
    )
    capsys.readouterr()
    status, body = send(users, librarian, csv_text)
    assert status == 200, body
    assert counted(capsys.readouterr().out) == {"ImportRowsCreated": 1, "ImportRowsUpdated": 1, "ImportRowsFailed": 1}
