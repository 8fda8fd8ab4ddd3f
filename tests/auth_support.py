"""Helpers for the auth function's handler tests: invoke a route with an events/auth/*.json event as a caller.

The caller reaches the function as API Gateway hands it over: in the authorizer context, built here from a
real access token (so its permissions are the ones the token would carry).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from library_auth.app import lambda_handler
from library_authorizer.app import lambda_handler as authorize
from tests.conftest import LambdaContext, api_event

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:api1234567/dev/GET/auth"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    raw: str
    headers: dict[str, list[str]]

    @property
    def data(self) -> Any:
        return self.body["data"]


def authorizer_context(token: str) -> dict[str, str]:
    """The context the real authorizer hands API Gateway for this token."""
    answer = authorize({"authorizationToken": f"Bearer {token}", "methodArn": METHOD_ARN}, None)
    return {"principalId": answer["principalId"], **answer["context"]}


def invoke(
    event_name: str,
    *,
    token: str | None = None,
    body: Any = None,
    path: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> Answer:
    """`token`: the caller's access token (None: anonymous). Public routes get it as a header, like the gateway."""
    event = api_event(
        f"auth/{event_name}.json",
        body=body,
        path_parameters={name: str(value) for name, value in path.items()} if path else None,
        query=query,
    )
    if path:
        event["path"] = event["resource"]
        for name, value in path.items():
            event["path"] = event["path"].replace("{" + name + "}", str(value))
    if query is not None:
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    if event["requestContext"].get("authorizer") is not None:
        if token is None:
            event["requestContext"].pop("authorizer")
        else:
            event["requestContext"]["authorizer"] = authorizer_context(token)
    elif token is not None:
        event["headers"]["Authorization"] = f"Bearer {token}"
    response = lambda_handler(event, LambdaContext())
    return Answer(response["statusCode"], json.loads(response["body"]), response["body"], response["multiValueHeaders"])
