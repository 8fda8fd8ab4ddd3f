"""POST /books/{id}/cover and the uploads function, against moto's S3."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
import requests
from moto import mock_aws

from library_books import storage
from library_books.uploads import lambda_handler as uploads_handler
from library_common.settings import get_settings
from tests.conftest import LambdaContext, load_event
from tests.test_books_support import add_book, anonymous, invoke, lend

BUCKET = "library-covers-test"


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("COVERS_BUCKET", BUCKET)
    get_settings.cache_clear()
    storage.s3_client.cache_clear()
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client
    get_settings.cache_clear()
    storage.s3_client.cache_clear()


def uploaded(bucket: str, key: str) -> dict:
    event = load_event("books/cover_uploaded.json")
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"]["key"] = key
    return uploads_handler(event, LambdaContext())


def ask_for_form(users, user, book_id: int, content_type: str = "image/png"):
    return invoke(
        "cover_upload",
        users=users,
        user=user,
        path_parameters={"book_id": str(book_id)},
        body={"content_type": content_type},
    )


def test_a_cover_goes_from_the_form_to_s3_to_the_books_cover_url(users, s3):
    librarian = users.create("librarian")
    book_id = add_book()
    status, body = ask_for_form(users, librarian, book_id)
    assert status == 200, body
    form = body["data"]
    assert form["key"].startswith(f"covers/{book_id}/") and form["key"].endswith(".png")
    assert (form["max_bytes"], form["content_type"], form["fields"]["key"]) == (
        5 * 1024 * 1024,
        "image/png",
        form["key"],
    )
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", 1, 5 * 1024 * 1024] in policy["conditions"]

    image = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    reply = requests.post(
        form["url"], data=form["fields"], files={"file": ("cover.png", image, "image/png")}, timeout=5
    )
    assert reply.status_code == 204
    assert anonymous("get_book", path_parameters={"book_id": str(book_id)})[1]["data"]["cover_url"] is None

    assert uploaded(BUCKET, form["key"]) == {"handled": True}
    cover_url = anonymous("get_book", path_parameters={"book_id": str(book_id)})[1]["data"]["cover_url"]
    assert "X-Amz-Signature=" in cover_url
    assert requests.get(cover_url, timeout=5).content == image
    listed = anonymous("list_books", query={"title": "dune"})[1]["data"]["items"][0]
    assert listed["cover_url"] and listed["cover_url"].split("?")[0] == cover_url.split("?")[0]


def test_only_jpeg_png_or_webp_for_a_live_book_by_staff(users, s3, engine):
    librarian, member = users.create("librarian"), users.create("member")
    book_id = add_book()
    status, body = ask_for_form(users, librarian, book_id, "image/gif")
    assert status == 422 and body["errors"][0]["field"] == "content_type"
    assert ask_for_form(users, member, book_id)[0] == 403
    assert ask_for_form(users, librarian, 999_999)[1]["code"] == "BOOK_NOT_FOUND"
    assert ask_for_form(users, librarian, book_id, "image/webp")[1]["data"]["key"].endswith(".webp")


def test_uploads_this_api_did_not_hand_out_or_for_removed_books_change_nothing(users, s3, engine):
    librarian = users.create("librarian")
    book_id = add_book()
    key = ask_for_form(users, librarian, book_id)[1]["data"]["key"]
    lend(engine, book_id, users.create("member")["id"], returned=True)
    invoke("delete_book", users=users, user=librarian, path_parameters={"book_id": str(book_id)})
    assert uploaded(BUCKET, key) == {"handled": False}
    assert uploaded(BUCKET, "covers/elsewhere/picture.png") == {"handled": False}
    assert uploaded("some-other-bucket", key) == {"handled": False}


def test_without_a_covers_bucket_the_route_answers_503(users, monkeypatch):
    monkeypatch.delenv("COVERS_BUCKET", raising=False)
    get_settings.cache_clear()
    status, body = ask_for_form(users, users.create("librarian"), add_book())
    assert status == 503 and body["code"] == "STORAGE_NOT_CONFIGURED"
