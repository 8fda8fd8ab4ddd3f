"""The authorizer invoked as Lambda invokes it, with events/authorizer/token.json."""

import pytest

from library_authorizer.app import lambda_handler
from library_common import tokens
from tests.conftest import load_event


@pytest.fixture
def event(database_url):
    def make(authorization):
        return load_event("authorizer/token.json", authorizationToken=authorization)

    return make


def test_a_valid_token_allows_the_whole_stage_and_passes_the_caller_on(event):
    token = tokens.issue_access_token(42, "librarian", ["books.create", "loans.manage"])
    result = lambda_handler(event(f"Bearer {token}"), None)
    statement = result["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    # Cached per token: the policy must cover every route, not only the one first called.
    assert statement["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev/*/*"
    assert result["principalId"] == "42"
    assert result["context"] == {"user_id": "42", "role": "librarian", "permissions": "books.create,loans.manage"}


@pytest.mark.parametrize("authorization", ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not.a.token"])
def test_missing_or_malformed_tokens_are_unauthorized(event, authorization):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(event(authorization), None)
