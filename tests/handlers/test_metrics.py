"""The library's metrics as CloudWatch reads them: the embedded-metric-format lines a handler prints to stdout,
one per invocation, in the `Library` namespace with the `service` dimension; counts only for what committed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from library_auth.app import lambda_handler as auth_handler
from library_chat.app import lambda_handler as chat_handler
from library_common import metrics
from library_loans.app import lambda_handler as loans_handler
from tests.conftest import api_event
from tests.test_circulation_support import add_book


def emf_lines(printed: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in printed.splitlines() if line.startswith("{") and '"_aws"' in line]
    for line in lines:
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Library"
        assert all("service" in dimensions for dimensions in directive["Dimensions"])
    return lines


def counted(printed: str) -> dict[str, float]:
    """Every metric printed, summed by name."""
    totals: dict[str, float] = {}
    for line in emf_lines(printed):
        for metric in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(line[metric["Name"]])
    return totals


def member_context(user: dict) -> dict[str, str]:
    return {"user_id": str(user["id"]), "role": "member", "permissions": "", "principalId": str(user["id"])}


@pytest.fixture(autouse=True)
def no_metrics_left_over(capsys):
    """Tests that call domain functions outside a handler leave counts no invocation flushed."""
    metrics.publish()
    capsys.readouterr()


@pytest.fixture
def member(users):
    users.create("admin")  # user 1, whom the sample events name
    return users.create("member")


def test_a_borrow_prints_one_emf_line_with_the_loan(member, lambda_context, capsys):
    capsys.readouterr()
    book_id = add_book(quantity=1)
    response = loans_handler(
        api_event("loans/borrow.json", body={"book_id": book_id}, authorizer=member_context(member)), lambda_context
    )
    assert response["statusCode"] == 201
    printed = capsys.readouterr().out
    assert len(emf_lines(printed)) == 1, "flushed once, at the end of the invocation"
    assert counted(printed) == {"LoansBorrowed": 1.0}


def test_a_refused_borrow_counts_no_loan(member, users, lambda_context, capsys):
    book_id = add_book(quantity=1)
    other = users.create("member")
    loans_handler(
        api_event("loans/borrow.json", body={"book_id": book_id}, authorizer=member_context(other)), lambda_context
    )
    capsys.readouterr()
    response = loans_handler(
        api_event("loans/borrow.json", body={"book_id": book_id}, authorizer=member_context(member)), lambda_context
    )
    assert response["statusCode"] == 409
    assert "LoansBorrowed" not in counted(capsys.readouterr().out)


def test_a_hold_placed_and_served_by_the_return(member, users, lambda_context, capsys):
    book_id = add_book(quantity=1)
    borrower = users.create("member")
    borrowed = loans_handler(
        api_event("loans/borrow.json", body={"book_id": book_id}, authorizer=member_context(borrower)), lambda_context
    )
    loan_id = json.loads(borrowed["body"])["data"]["id"]
    capsys.readouterr()
    loans_handler(
        api_event("loans/place_hold.json", body={"book_id": book_id}, authorizer=member_context(member)), lambda_context
    )
    assert counted(capsys.readouterr().out) == {"HoldsPlaced": 1.0}
    loans_handler(
        api_event(
            "loans/return_loan.json", path_parameters={"loan_id": str(loan_id)}, authorizer=member_context(borrower)
        )
        | {"path": f"/loans/{loan_id}/return"},
        lambda_context,
    )
    assert counted(capsys.readouterr().out) == {"LoansReturned": 1.0, "HoldsServed": 1.0}


def test_logins_ok_and_failed_are_counted(member, lambda_context, capsys):
    capsys.readouterr()
    good = {"email": member["email"], "password": member["password"]}
    assert auth_handler(api_event("auth/login.json", body=good), lambda_context)["statusCode"] == 200
    assert counted(capsys.readouterr().out) == {"LoginsSucceeded": 1.0}
    wrong = {"email": member["email"], "password": "not the password at all"}
    assert auth_handler(api_event("auth/login.json", body=wrong), lambda_context)["statusCode"] == 401
    assert counted(capsys.readouterr().out) == {"LoginsFailed": 1.0}


def test_a_chat_question_is_counted_by_its_intent(member, lambda_context, capsys):
    add_book(quantity=2)
    capsys.readouterr()
    response = chat_handler(
        api_event("chat/post_chat.json", body={"message": "Is Dune available?"}, authorizer=member_context(member)),
        lambda_context,
    )
    assert response["statusCode"] == 200
    (line,) = emf_lines(capsys.readouterr().out)
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "intent"]]
    assert (line["intent"], line["ChatQuestions"]) == ("availability", [1.0])


def test_a_login_refused_while_locked_out_is_a_lockout_not_a_failed_login(member, lambda_context, capsys):
    wrong = {"email": member["email"], "password": "not the password at all"}
    for _ in range(5):
        assert auth_handler(api_event("auth/login.json", body=wrong), lambda_context)["statusCode"] == 401
    capsys.readouterr()
    right = {"email": member["email"], "password": member["password"]}
    assert auth_handler(api_event("auth/login.json", body=right), lambda_context)["statusCode"] == 429
    assert counted(capsys.readouterr().out) == {"LoginLockouts": 1.0}


def test_a_renewal_is_counted(member, lambda_context, capsys):
    book_id = add_book(quantity=1)
    borrowed = loans_handler(
        api_event("loans/borrow.json", body={"book_id": book_id}, authorizer=member_context(member)), lambda_context
    )
    loan_id = json.loads(borrowed["body"])["data"]["id"]
    capsys.readouterr()
    renewed = loans_handler(
        api_event("loans/renew_loan.json", path_parameters={"loan_id": str(loan_id)}, authorizer=member_context(member))
        | {"path": f"/loans/{loan_id}/renew"},
        lambda_context,
    )
    assert renewed["statusCode"] == 200, renewed["body"]
    assert counted(capsys.readouterr().out) == {"LoansRenewed": 1.0}


def test_an_invocation_that_counts_nothing_prints_no_emf_line(member, lambda_context, capsys):
    capsys.readouterr()
    response = loans_handler(api_event("loans/list_loans.json", authorizer=member_context(member)), lambda_context)
    assert response["statusCode"] == 200
    assert emf_lines(capsys.readouterr().out) == []


CLOUDWATCH_VALUES_PER_LINE = 100  # EMF's limit of values per metric in one line


def test_more_values_of_a_metric_than_cloudwatch_takes_in_a_line_go_in_several(capsys):
    capsys.readouterr()

    @metrics.flushed
    def counting(_event, _context):
        for _ in range(CLOUDWATCH_VALUES_PER_LINE + 1):
            metrics.count(metrics.NOTICES_SENT)

    counting({}, None)
    lines = emf_lines(capsys.readouterr().out)
    assert [len(line[metrics.NOTICES_SENT]) for line in lines] == [CLOUDWATCH_VALUES_PER_LINE, 1]


def test_a_handler_that_raises_still_prints_what_it_counted(capsys):
    capsys.readouterr()

    @metrics.flushed
    def failing(_event, _context):
        metrics.count(metrics.LOGINS_FAILED, 2)
        raise RuntimeError("after the count")

    with pytest.raises(RuntimeError):
        failing({}, None)
    assert counted(capsys.readouterr().out) == {"LoginsFailed": 2.0}
