"""The shipped sample catalogue, DEMO_DATA loading and the `make import` command line."""

from __future__ import annotations

import csv
import io

from sqlalchemy import make_url, text

from devtools import import_books
from library_books import isbn as isbns
from tests.test_books_support import anonymous, invoke


def sample_rows() -> list[dict[str, str]]:
    with import_books.SAMPLE_CSV.open(encoding="utf-8") as sample:
        return list(csv.DictReader(sample))


def test_the_sample_has_hundreds_of_books_with_valid_unique_isbns():
    rows = sample_rows()
    assert len(rows) >= 300
    normalized = [isbns.normalize(row["isbn"]) for row in rows]
    assert len(set(normalized)) == len(rows)
    assert all(row["title"] and row["author"] and row["genre"] and row["language"] for row in rows)


def test_the_sample_imports_cleanly_through_the_api(users):
    librarian = users.create("librarian")
    status, body = invoke(
        "import_books",
        users=users,
        user=librarian,
        body=import_books.SAMPLE_CSV.read_text(encoding="utf-8"),
        query={"atomic": "true"},
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200, body
    assert (body["data"]["created"], body["data"]["failed"]) == (len(sample_rows()), 0)
    dune = anonymous("list_books", query={"search": "dune herbert"})[1]["data"]["items"][0]
    assert (dune["title"], dune["isbn"], dune["published_date"]) == ("Dune", "9780441172719", "1965-01-01")


def test_demo_data_loads_only_into_an_empty_catalogue(users, database_url, engine):
    url = make_url(database_url)
    assert import_books.load_sample_if_empty(url) == len(sample_rows())
    assert import_books.load_sample_if_empty(url) is None
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM books")).scalar() == len(sample_rows())


def test_the_command_line_import_reports_progress(users):
    shown = io.StringIO()
    content = "title,author\n" + "".join(f"Book {n},Author {n}\n" for n in range(5)) + "No author,\n"
    progress = import_books.ProgressBar(6, shown)
    report = import_books.import_text(content, dry_run=False, atomic=False, progress=progress)
    assert (report["created"], report["failed"]) == (5, 1)
    assert "[##############################] 100% 6/6 rows" in shown.getvalue()
    assert shown.getvalue().endswith("\n")
