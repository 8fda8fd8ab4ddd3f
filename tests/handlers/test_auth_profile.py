import json

from library_auth.app import lambda_handler
from tests.conftest import api_event


def test_profile_shows_role_groups_and_effective_permissions(users, lambda_context):
    librarian = users.create("librarian", name="Lena")
    event = api_event(
        "auth/get_profile.json",
        authorizer={
            "user_id": str(librarian["id"]),
            "role": "librarian",
            "permissions": "",
            "principalId": str(librarian["id"]),
        },
    )
    response = lambda_handler(event, lambda_context)
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert body["data"]["name"] == "Lena" and body["data"]["role"] == "librarian"
    assert [group["name"] for group in body["data"]["groups"]] == ["librarians"]
    assert "books.create" in body["data"]["permissions"]
    assert "users.manage" not in body["data"]["permissions"]
    assert "password_hash" not in response["body"]


def test_profile_without_a_caller_is_401_in_the_envelope(users, lambda_context):
    event = api_event("auth/get_profile.json")
    event["requestContext"].pop("authorizer")
    response = lambda_handler(event, lambda_context)
    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {
        "status": 401,
        "message": "Authentication required",
        "data": None,
        "code": "UNAUTHORIZED",
    }
