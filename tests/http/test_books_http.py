"""The catalogue over HTTP through the local API: the template's routes, the authorizer, the books function."""

from __future__ import annotations

import pytest

from tests.http.client import call
from tests.test_books_support import lend

pytestmark = pytest.mark.http

DUNE = {"title": "Dune", "author": "Frank Herbert", "isbn": "0441172717", "genre": "Science Fiction", "quantity": 2}


def test_staff_manage_books_and_anyone_reads_them(local_api, users):
    librarian, member = users.create("librarian"), users.create("member")
    assert call(local_api, "POST", "/books", json_body=DUNE).status == 401
    assert call(local_api, "POST", "/books", json_body=DUNE, token=users.token(member)).status == 403
    created = call(local_api, "POST", "/books", json_body=DUNE, token=users.token(librarian))
    assert created.status == 201 and created.body["data"]["isbn"] == "9780441172719"
    book_id = created.body["data"]["id"]
    again = call(local_api, "POST", "/books", json_body=DUNE, token=users.token(librarian))
    assert again.status == 409 and again.body["code"] == "DUPLICATE_ISBN"

    for path in (
        "/books?search=dune",
        "/book?title=DUN",
        "/books?available=true&genre=fiction",
        "/books?isbn=0-441-17271-7",
    ):
        reply = call(local_api, "GET", path)
        assert reply.status == 200, path
        assert [book["id"] for book in reply.body["data"]["items"]] == [book_id], path
    assert call(local_api, "GET", f"/books/{book_id}").body["data"]["copies_available"] == 2
    assert call(local_api, "GET", "/genres").body["data"]["items"] == [{"name": "Science Fiction", "book_count": 1}]
    assert call(local_api, "GET", "/authors?search=herb").body["data"]["total"] == 1
    bad = call(local_api, "GET", "/books?ordering=price")
    assert bad.status == 422 and bad.body["code"] == "VALIDATION_ERROR"

    token = users.token(librarian)
    patched = call(local_api, "PATCH", f"/books/{book_id}", json_body={"quantity": 4}, token=token)
    assert patched.status == 200 and patched.body["data"]["quantity"] == 4
    replaced = call(
        local_api, "PUT", f"/books/{book_id}", json_body={"title": "Dune", "author": "Herbert"}, token=token
    )
    assert replaced.status == 200 and replaced.body["data"]["genre"] is None
    assert call(local_api, "DELETE", f"/books/{book_id}", token=token).body["data"] == {
        "id": book_id,
        "archived": False,
    }
    assert call(local_api, "GET", f"/books/{book_id}").status == 404


def test_a_csv_import_over_http(local_api, users):
    librarian = users.create("librarian")
    csv_text = b"title,author,isbn,quantity\nEmma,Jane Austen,9780141439587,2\nNo Author,,,\n"
    reply = call(
        local_api,
        "POST",
        "/books/import?dry_run=false",
        data=csv_text,
        headers={"Content-Type": "text/csv"},
        token=users.token(librarian),
    )
    assert reply.status == 200, reply.text
    assert (reply.body["data"]["created"], reply.body["data"]["failed"]) == (1, 1)
    assert reply.body["data"]["errors"] == [{"row": 3, "field": "author", "message": "is required"}]
    wrong_type = call(
        local_api,
        "POST",
        "/books/import",
        data=b'{"title": "Emma"}',
        headers={"Content-Type": "application/json"},
        token=users.token(librarian),
    )
    assert wrong_type.status == 415
    assert call(local_api, "POST", "/books/import", data=csv_text, headers={"Content-Type": "text/csv"}).status == 401


def test_reviews_over_http(local_api, users, engine):
    librarian, reader = users.create("librarian"), users.create("member", name="Rae")
    book_id = call(local_api, "POST", "/books", json_body=DUNE, token=users.token(librarian)).body["data"]["id"]
    refused = call(local_api, "POST", f"/books/{book_id}/reviews", json_body={"rating": 5}, token=users.token(reader))
    assert refused.status == 403 and refused.body["code"] == "NOT_A_BORROWER"
    lend(engine, book_id, reader["id"], returned=True)
    added = call(
        local_api,
        "POST",
        f"/books/{book_id}/reviews",
        json_body={"rating": 4, "comment": "Spice!"},
        token=users.token(reader),
    )
    assert added.status == 201 and added.body["data"]["user_name"] == "Rae"
    listed = call(local_api, "GET", f"/books/{book_id}/reviews")
    assert listed.status == 200 and listed.body["data"]["total"] == 1
    assert call(local_api, "GET", f"/books/{book_id}").body["data"]["average_rating"] == 4.0
    removed = call(local_api, "DELETE", f"/reviews/{added.body['data']['id']}", token=users.token(reader))
    assert removed.status == 200


def test_uploads_need_s3_which_a_local_run_does_not_have(local_api, users):
    librarian = users.create("librarian")
    token = users.token(librarian)
    book_id = call(local_api, "POST", "/books", json_body=DUNE, token=token).body["data"]["id"]
    cover = call(local_api, "POST", f"/books/{book_id}/cover", json_body={"content_type": "image/png"}, token=token)
    assert cover.status == 503 and cover.body["code"] == "STORAGE_NOT_CONFIGURED"
    started = call(local_api, "POST", "/books/imports", token=token)
    assert started.status == 503 and started.body["code"] == "STORAGE_NOT_CONFIGURED"
    missing = call(local_api, "GET", "/books/imports/12345", token=token)
    assert missing.status == 404 and missing.body["code"] == "IMPORT_NOT_FOUND"


def test_text_beyond_ascii_arrives_whole_through_the_local_api(local_api, users):
    """The answer's body crosses from the worker as UTF-8 bytes counted in bytes, not characters."""
    librarian = users.create("librarian")
    book = {"title": "Cien años de soledad — 百年の孤独", "author": "Gabriel García Márquez", "quantity": 1}
    created = call(local_api, "POST", "/books", json_body=book, token=users.token(librarian))
    assert created.status == 201, created.text
    read = call(local_api, "GET", f"/books/{created.body['data']['id']}")
    assert (read.body["data"]["title"], read.body["data"]["author"]) == (book["title"], book["author"])
