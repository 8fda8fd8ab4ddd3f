"""The one mapping from failures to the envelope, exercised through a resolver built like every function's."""

import json
import logging

import pytest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from library_common import db
from library_common.api import create_app, lambda_handler_for
from library_common.api import logger as api_logger
from library_common.envelope import ok
from tests.conftest import LambdaContext, load_event

app = create_app()


class Note(BaseModel):
    text: str


@app.post("/notes")
def add_note(note: Note):
    return ok({"text": note.text})


@app.get("/overflow")
def overflow():
    with db.transaction() as session:
        session.execute(text("SELECT CAST(:n AS bigint)"), {"n": str(2**70)})
    return ok(None)


def _call(method, path, body=None, content_type="application/json"):
    event = load_event("service/health.json", httpMethod=method, path=path, resource=path, body=body)
    event["headers"]["Content-Type"] = content_type
    event["multiValueHeaders"]["Content-Type"] = [content_type]
    response = app.resolve(event, None)
    return response["statusCode"], json.loads(response["body"])


def test_malformed_json_is_400():
    status, body = _call("POST", "/notes", "{not json")
    assert (status, body["code"], body["data"]) == (400, "MALFORMED_REQUEST", None)


def test_failed_validation_is_422_with_the_field_named():
    status, body = _call("POST", "/notes", json.dumps({"text": 5}))
    assert (status, body["code"]) == (422, "VALIDATION_ERROR")
    assert body["errors"][0]["field"] == "text"


def test_an_unsupported_content_type_is_415_not_500():
    status, body = _call("POST", "/notes", "text=hello", content_type="text/plain")
    assert (status, body["code"], body["status"]) == (415, "UNSUPPORTED_MEDIA_TYPE", 415)


def test_a_value_the_database_rejects_is_422_not_500(database_url):
    status, body = _call("GET", "/overflow")
    assert (status, body["code"]) == (422, "INVALID_VALUE")


def test_an_unknown_route_is_a_404_envelope():
    status, body = _call("GET", "/nowhere")
    assert (status, body["code"]) == (404, "ROUTE_NOT_FOUND")


@app.get("/duplicate")
def duplicate():
    with db.transaction() as session:
        session.execute(text("CREATE TEMP TABLE once (id int PRIMARY KEY)"))
        session.execute(text("INSERT INTO once VALUES (1), (1)"))
    return ok(None)


def test_an_unanticipated_unique_violation_is_409_not_500(database_url):
    status, body = _call("GET", "/duplicate")
    assert (status, body["code"]) == (409, "CONFLICT")


def test_form_bodies_are_415_even_when_malformed(lambda_context):
    handler = lambda_handler_for(app)
    for content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        event = load_event("service/health.json", httpMethod="POST", path="/notes", resource="/notes", body="a=b")
        event["headers"]["Content-Type"] = content_type
        response = handler(event, lambda_context)
        body = json.loads(response["body"])
        assert (response["statusCode"], body["code"], body["status"]) == (415, "UNSUPPORTED_MEDIA_TYPE", 415)


def test_a_body_that_is_not_utf8_is_400(lambda_context):
    import base64

    event = load_event("service/health.json", httpMethod="POST", path="/notes", resource="/notes")
    event.update(body=base64.b64encode(b"#\xd3\x11b").decode(), isBase64Encoded=True)
    response = lambda_handler_for(app)(event, lambda_context)
    assert (response["statusCode"], json.loads(response["body"])["code"]) == (400, "MALFORMED_REQUEST")


SECRET = "s3cret-member@example.org"


class _Lines(logging.Handler):
    """Every log line the API's logger writes, as its formatter writes it."""

    def __init__(self):
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(api_logger.registered_formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    handler = _Lines()
    api_logger.addHandler(handler)
    yield handler.lines
    api_logger.removeHandler(handler)


@app.get("/duplicate-email")
def duplicate_email():
    with db.transaction() as session:
        session.execute(text("CREATE TEMP TABLE people (email text CONSTRAINT people_email_key UNIQUE)"))
        session.execute(text("INSERT INTO people VALUES (:e), (:e)"), {"e": SECRET})
    return ok(None)


@app.get("/missing-name")
def missing_name():
    with db.transaction() as session:
        session.execute(text("CREATE TEMP TABLE named (email text, name text NOT NULL)"))
        session.execute(text("INSERT INTO named VALUES (:e, NULL)"), {"e": SECRET})
    return ok(None)


@app.get("/refused-by-a-function")
def refused_by_a_function():
    with db.transaction() as session:
        session.execute(
            text(
                "CREATE FUNCTION pg_temp.refuse(e text) RETURNS void LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused %', e USING DETAIL = e, COLUMN = 'name'; END $$"
            )
        )
        session.execute(text("SELECT pg_temp.refuse(:e)"), {"e": SECRET})
    return ok(None)


def test_a_unique_violation_is_logged_by_sqlstate_and_constraint_never_by_its_values(database_url, log_lines):
    status, _body = _call("GET", "/duplicate-email")
    assert status == 409
    (line,) = [json.loads(line) for line in log_lines]
    assert (line["sqlstate"], line["constraint"], line["table"]) == ("23505", "people_email_key", "people")
    assert SECRET not in "".join(log_lines)


def test_an_unexpected_database_error_is_logged_with_its_stack_but_without_the_row(database_url, log_lines):
    status, body = _call("GET", "/refused-by-a-function")
    assert (status, body["code"]) == (500, "INTERNAL_ERROR")
    (line,) = [json.loads(line) for line in log_lines]
    assert (line["sqlstate"], line["column"], line["error_type"]) == ("P0001", "name", "ProgrammingError")
    assert "refused_by_a_function" in line["stack"]
    assert SECRET not in "".join(log_lines)


def test_a_not_null_violation_is_422_and_logged_without_the_row(database_url, log_lines):
    # pg8000 raises it as ProgrammingError, not IntegrityError: the SQLSTATE (class 23) tells it.
    status, body = _call("GET", "/missing-name")
    assert (status, body["code"]) == (422, "INVALID_VALUE")
    (line,) = [json.loads(line) for line in log_lines]
    assert (line["sqlstate"], line["column"], line["error_type"]) == ("23502", "name", "ProgrammingError")
    assert SECRET not in "".join(log_lines)


@app.get("/out-of-bounds")
def out_of_bounds():
    with db.transaction() as session:
        session.execute(text("CREATE TEMP TABLE bounded (n int CONSTRAINT small CHECK (n < 10))"))
        session.execute(text("INSERT INTO bounded VALUES (11)"))
    return ok(None)


@app.get("/dangling")
def dangling():
    with db.transaction() as session:
        session.execute(text("CREATE TEMP TABLE parent (id int PRIMARY KEY)"))
        session.execute(text("CREATE TEMP TABLE child (parent_id int CONSTRAINT to_parent REFERENCES parent)"))
        session.execute(text("INSERT INTO child VALUES (1)"))
    return ok(None)


@app.get("/by-a-vanished-actor")
def by_a_vanished_actor():
    with db.transaction() as session:
        session.execute(text("INSERT INTO permissions (code, name, created_by) VALUES ('notes.keep', 'Keep', -1)"))
    return ok(None)


@pytest.mark.parametrize(
    ("path", "answer", "sqlstate", "constraint"),
    [
        ("/out-of-bounds", (422, "INVALID_VALUE"), "23514", "small"),
        ("/dangling", (409, "CONFLICT"), "23503", "to_parent"),
        ("/by-a-vanished-actor", (401, "TOKEN_REVOKED"), "23503", "fk_permissions_created_by_users"),
    ],
)
def test_an_unanticipated_integrity_violation_is_a_4xx_not_500(
    database_url, log_lines, path, answer, sqlstate, constraint
):
    status, body = _call("GET", path)
    assert (status, body["code"]) == answer
    (line,) = [json.loads(line) for line in log_lines]
    assert (line["sqlstate"], line["constraint"], line["error_type"]) == (sqlstate, constraint, "ProgrammingError")


def test_the_engine_keeps_bind_values_out_of_exception_text(database_url):
    with pytest.raises(DBAPIError) as raised, db.transaction() as session:
        session.execute(text("SELECT CAST(:n AS integer)"), {"n": SECRET})
    assert SECRET not in str(raised.value).replace(str(raised.value.orig), "")
    assert "hidden due to hide_parameters" in str(raised.value)


calls: list[int] = []


@app.get("/backend")
def backend():
    with db.transaction() as session:
        calls.append(session.execute(text("SELECT pg_backend_pid()")).scalar())
    return ok(None)


def _terminate(engine, pid: int) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_pooled_connection_found_dead_is_discarded_and_the_request_run_again_once(database_url, engine):
    handler = lambda_handler_for(app)
    event = load_event("service/health.json", httpMethod="GET", path="/backend", resource="/backend")
    assert handler(event, LambdaContext())["statusCode"] == 200
    _terminate(engine, calls[-1])  # what a database restart does to every idle pooled connection
    calls.clear()
    answer = handler(event, LambdaContext())
    assert answer["statusCode"] == 200
    assert len(calls) == 1  # the first attempt died on its first statement, before it could record anything


def test_an_unreachable_database_is_503_database_unavailable_with_retry_after(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    db.reset()
    try:
        response = lambda_handler_for(app)(
            load_event("service/health.json", httpMethod="GET", path="/backend", resource="/backend"), LambdaContext()
        )
    finally:
        monkeypatch.undo()
        db.reset()
    body = json.loads(response["body"])
    assert (response["statusCode"], body["code"], body["status"]) == (503, "DATABASE_UNAVAILABLE", 503)
    assert response["multiValueHeaders"]["Retry-After"] == ["5"]


attempts: list[int] = []
# A deadlock's victim as PostgreSQL reports it: its SQLSTATE, the transaction rolled back.
DEADLOCK_VICTIM = "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"


@app.get("/deadlocked")
def deadlocked():
    """Chosen as a deadlock's victim on the first attempt only; with ?committed=1 after a commit of its own."""
    attempts.append(len(attempts) + 1)
    if app.current_event.get_query_string_value("committed"):
        with db.transaction() as session:
            session.execute(text("SELECT 1"))
    if len(attempts) == 1:
        with db.transaction() as session:
            session.execute(text(DEADLOCK_VICTIM))
    return ok({"attempts": len(attempts)})


@pytest.mark.parametrize(("committed", "answer"), [(None, (200, None)), ("1", (409, "CONFLICT"))])
def test_a_deadlocks_victim_is_run_again_once_unless_it_had_committed(database_url, committed, answer):
    attempts.clear()
    event = load_event("service/health.json", httpMethod="GET", path="/deadlocked", resource="/deadlocked")
    event["queryStringParameters"] = {"committed": committed} if committed else None
    event["multiValueQueryStringParameters"] = {"committed": [committed]} if committed else None
    response = lambda_handler_for(app)(event, LambdaContext())
    body = json.loads(response["body"])
    assert (response["statusCode"], body.get("code")) == answer
    assert len(attempts) == (2 if committed is None else 1)
