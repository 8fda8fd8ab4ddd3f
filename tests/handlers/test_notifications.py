"""GET /notifications on the loans function, invoked with events/loans/get_notifications.json."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from library_common import db, notices
from library_common.models import Notification
from library_loans.app import lambda_handler
from tests.conftest import api_event


def as_member(user: dict, permissions: str = "") -> dict:
    return {
        "principalId": str(user["id"]),
        "user_id": str(user["id"]),
        "role": user["role"],
        "permissions": permissions,
    }


def call(lambda_context, authorizer: dict, query: dict | None = None) -> tuple[int, dict]:
    event = api_event("loans/get_notifications.json", authorizer=authorizer, query=query)
    answer = lambda_handler(event, lambda_context)
    return answer["statusCode"], json.loads(answer["body"])


def queue(user: dict, kind: str, subject: str, **context) -> None:
    with db.transaction() as session:
        notices.queue_notice(session, user_id=user["id"], kind=kind, subject=subject, context=context)


@pytest.fixture
def ada_and_grace(users):
    ada = users.create("member", name="Ada", email="ada@example.org")
    grace = users.create("member", name="Grace", email="grace@example.org")
    book = {"title": "Dune", "author": "Frank Herbert", "due_date": "2026-03-24"}
    for number in range(3):
        queue(ada, "borrow_receipt", f"loan:{number}", **book)
    queue(ada, "due_soon", "loan:0", **book)
    queue(grace, "borrow_receipt", "loan:9", **book)
    with db.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.kind == "due_soon")
            .values(status="sent", attempts=1, message_id="ses-1", sent_on=Notification.created_on)
        )
    return ada, grace


def test_a_member_sees_only_their_own_notices_newest_first_with_delivery_status(lambda_context, ada_and_grace):
    ada, _ = ada_and_grace
    status, body = call(lambda_context, as_member(ada), query={})
    assert status == 200
    page = body["data"]
    assert (page["total"], page["page"], page["page_size"], page["pages"]) == (4, 1, 20, 1)
    assert [item["kind"] for item in page["items"]] == [
        "due_soon",
        "borrow_receipt",
        "borrow_receipt",
        "borrow_receipt",
    ]
    newest = page["items"][0]
    assert newest["subject"] == '"Dune" is due back on 2026-03-24'
    assert (newest["status"], newest["attempts"], newest["recipient"]) == ("sent", 1, "ada@example.org")
    assert newest["sent_on"] is not None and "Hello Ada," in newest["body_text"]
    assert {item["user_id"] for item in page["items"]} == {ada["id"]}
    assert {item["status"] for item in page["items"][1:]} == {"queued"}


def test_notices_filter_by_status_and_kind_and_paginate(lambda_context, ada_and_grace):
    ada, _ = ada_and_grace
    _, sent = call(lambda_context, as_member(ada), query={"status": "sent"})
    assert [item["kind"] for item in sent["data"]["items"]] == ["due_soon"]
    _, receipts = call(lambda_context, as_member(ada), query={"kind": "borrow_receipt", "page_size": "2", "page": "2"})
    assert (receipts["data"]["total"], receipts["data"]["pages"], len(receipts["data"]["items"])) == (3, 2, 1)
    _, past_the_end = call(lambda_context, as_member(ada), query={"page": "5"})
    assert past_the_end["data"]["items"] == [] and past_the_end["data"]["total"] == 4


def test_a_member_may_not_read_someone_elses_notices_but_staff_with_users_view_may(
    lambda_context, users, ada_and_grace
):
    ada, grace = ada_and_grace
    status, body = call(lambda_context, as_member(ada), query={"user_id": str(grace["id"])})
    assert (status, body["code"]) == (403, "FORBIDDEN")
    librarian = users.create("librarian")
    status, body = call(lambda_context, as_member(librarian, "users.view"), query={"user_id": str(grace["id"])})
    assert status == 200 and [item["recipient"] for item in body["data"]["items"]] == ["grace@example.org"]
    _, everyone = call(lambda_context, as_member(librarian, "users.view"), query={})
    assert everyone["data"]["total"] == 5


@pytest.mark.parametrize("query", [{"status": "lost"}, {"kind": "spam"}, {"page_size": "101"}, {"page": "0"}])
def test_bad_filters_are_a_validation_error(lambda_context, ada_and_grace, query):
    ada, _ = ada_and_grace
    status, body = call(lambda_context, as_member(ada), query=query)
    assert (status, body["code"]) == (422, "VALIDATION_ERROR")


def test_the_event_file_lists_the_first_admins_notices(lambda_context, users):
    admin = users.create("admin")
    assert admin["id"] == 1
    answer = lambda_handler(api_event("loans/get_notifications.json"), lambda_context)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["data"]["items"] == []
