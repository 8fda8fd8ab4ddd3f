"""POST /books/imports, the S3 upload, the uploads function running the import, GET /books/imports/{id}."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
import requests
from moto import mock_aws
from sqlalchemy import text

from devtools import template
from library_books import storage
from library_books.logic import csv_import, import_jobs
from library_books.uploads import lambda_handler as uploads_handler
from library_common import db
from library_common.settings import get_settings
from tests.conftest import LambdaContext, load_event
from tests.test_books_support import invoke

BUCKET = "library-imports-test"
GOOD_CSV = (
    "title,author,isbn,published_date,quantity\n"
    "Dune,Frank Herbert,0441172717,1965,2\n"
    "Emma,Jane Austen,,1815,\n"
    "No Author,,,,\n"
    "Middlemarch,George Eliot,,1871,1\n"
    "Persuasion,Jane Austen,,1817,1\n"
)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("IMPORTS_BUCKET", BUCKET)
    # The uploads function's own connection limit, as deployed.
    monkeypatch.setenv("DB_CONNECTIONS", template.load().functions["BookUploadsFunction"].environment["DB_CONNECTIONS"])
    db.reset()
    storage.s3_client.cache_clear()
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client
    monkeypatch.delenv("DB_CONNECTIONS")
    db.reset()
    storage.s3_client.cache_clear()


def start(users, user, **query: str) -> dict:
    status, body = invoke("start_import", users=users, user=user, query=query or None)
    assert status == 201, body
    return body["data"]


def upload(form: dict, content: bytes) -> None:
    reply = requests.post(
        form["url"], data=form["fields"], files={"file": ("books.csv", content, "text/csv")}, timeout=5
    )
    assert reply.status_code == 204


def s3_reports_upload(key: str) -> dict:
    event = load_event("books/import_uploaded.json")
    event["detail"]["bucket"]["name"] = BUCKET
    event["detail"]["object"]["key"] = key
    return uploads_handler(event, LambdaContext())


def job(users, user, job_id: int) -> tuple[int, dict]:
    return invoke("get_import", users=users, user=user, path_parameters={"job_id": str(job_id)})


def test_an_uploaded_csv_is_imported_once_with_progress_and_row_errors(users, s3, engine, monkeypatch):
    librarian = users.create("librarian")
    started = start(users, librarian)
    assert started["job"]["status"] == "pending" and started["job"]["rows_total"] == 0
    form = started["upload"]
    assert form["fields"]["key"].startswith("imports/") and form["max_bytes"] == 100 * 1024 * 1024
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert {"Content-Type": "text/csv"} in policy["conditions"]

    # Progress is recorded in its own transactions, visible while the import's transaction is still open.
    seen = []
    record = import_jobs._record

    def watching(job_id, **values):
        record(job_id, **values)
        with engine.connect() as connection:
            seen.append(
                connection.execute(text("SELECT rows_done FROM import_jobs WHERE id = :i"), {"i": job_id}).scalar()
            )

    monkeypatch.setattr(import_jobs, "_record", watching)
    monkeypatch.setattr(csv_import, "FIRST_CHUNK_ROWS", 2)
    monkeypatch.setattr(csv_import, "CHUNK_ROWS", 2)

    upload(form, GOOD_CSV.encode())
    assert s3_reports_upload(form["fields"]["key"]) == {"handled": True}
    assert seen[1:4] == [2, 4, 5]

    status, body = job(users, librarian, started["job"]["id"])
    report = body["data"]
    assert status == 200
    assert (report["status"], report["rows_total"], report["rows_done"]) == ("succeeded", 5, 5)
    assert (report["created"], report["updated"], report["failed"]) == (4, 0, 1)
    assert report["errors"] == [{"row": 4, "field": "author", "message": "is required"}]
    assert report["finished_on"] and report["message"] is None
    with engine.connect() as connection:
        makers = connection.execute(text("SELECT DISTINCT created_by FROM books")).scalars().all()
    assert makers == [librarian["id"]]

    # S3 may deliver an event twice; the job runs once.
    assert s3_reports_upload(form["fields"]["key"]) == {"handled": False}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM books")).scalar() == 4


def test_an_atomic_job_with_a_bad_row_fails_and_saves_nothing(users, s3, engine):
    librarian = users.create("librarian")
    started = start(users, librarian, atomic="true")
    upload(started["upload"], GOOD_CSV.encode())
    s3_reports_upload(started["upload"]["fields"]["key"])
    report = job(users, librarian, started["job"]["id"])[1]["data"]
    assert (report["status"], report["atomic"], report["failed"]) == ("failed", True, 1)
    assert report["message"] == "1 rows failed; nothing was saved (atomic import)"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM books")).scalar() == 0


def test_a_dry_run_job_reports_without_saving(users, s3, engine):
    librarian = users.create("librarian")
    started = start(users, librarian, dry_run="true")
    upload(started["upload"], GOOD_CSV.encode())
    s3_reports_upload(started["upload"]["fields"]["key"])
    report = job(users, librarian, started["job"]["id"])[1]["data"]
    assert (report["status"], report["created"], report["failed"]) == ("succeeded", 4, 1)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM books")).scalar() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,author\nCaf\xe9,X\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"name,writer\nDune,Frank Herbert\n", "The header row must name book fields"),
    ],
)
def test_an_unusable_file_fails_the_job_with_the_reason(users, s3, content, message):
    librarian = users.create("librarian")
    started = start(users, librarian)
    upload(started["upload"], content)
    s3_reports_upload(started["upload"]["fields"]["key"])
    report = job(users, librarian, started["job"]["id"])[1]["data"]
    assert report["status"] == "failed" and report["message"].startswith(message)


def test_jobs_are_for_importers_only_and_unknown_ones_404(users, s3):
    librarian, member = users.create("librarian"), users.create("member")
    job_id = start(users, librarian)["job"]["id"]
    assert invoke("start_import", users=users, user=member, query=None)[0] == 403
    assert job(users, member, job_id)[0] == 403
    status, body = job(users, librarian, 424242)
    assert status == 404 and body["code"] == "IMPORT_NOT_FOUND"
    assert s3_reports_upload("imports/never-handed-out.csv") == {"handled": False}


def test_without_an_imports_bucket_starting_a_job_answers_503(users, monkeypatch):
    monkeypatch.delenv("IMPORTS_BUCKET", raising=False)
    get_settings.cache_clear()
    status, body = invoke("start_import", users=users, user=users.create("librarian"), query=None)
    assert status == 503 and body["code"] == "STORAGE_NOT_CONFIGURED"


@pytest.mark.parametrize(("silent_minutes", "status"), [(5, "running"), (17, "failed")])
def test_a_job_whose_function_was_stopped_is_reported_failed(users, s3, engine, silent_minutes, status):
    librarian = users.create("librarian")
    job_id = start(users, librarian)["job"]["id"]
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE import_jobs SET status = 'running', rows_total = 100000, rows_done = 40000, "
                "updated_on = now() - make_interval(mins => :minutes) WHERE id = :id"
            ),
            {"minutes": silent_minutes, "id": job_id},
        )

    report = job(users, librarian, job_id)[1]["data"]

    assert report["status"] == status
    if status == "failed":
        assert report["message"] == import_jobs.STALLED and report["finished_on"] is not None
    else:
        assert report["message"] is None and report["finished_on"] is None
