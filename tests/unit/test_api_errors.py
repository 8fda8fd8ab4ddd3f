"""The one mapping from failures to the envelope, exercised through a resolver built like every function's."""

import json

from pydantic import BaseModel
from sqlalchemy import text

from library_common import db
from library_common.api import create_app, lambda_handler_for
from library_common.envelope import ok
from tests.conftest import load_event

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
