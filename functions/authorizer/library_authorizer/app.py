"""API Gateway TOKEN authorizer: verifies our access JWTs and hands the caller to the functions.

The policy it returns allows every method and path of the stage, because API Gateway caches it per
token: a policy naming only the first path seen would deny the same token's next call elsewhere.
Permission checks happen in the functions, from the context passed here.
"""

from __future__ import annotations

from library_common import cold_start

# No garbage collection while the modules load (library_common.cold_start): pyjwt and cryptography with them, which
# `tokens` imports only where a token is verified (for the other functions, which seldom are) and every call here
# needs. Their import is most of this function's cold start.
cold_start.pause_collection()

from typing import Any

import jwt  # noqa: F401

from library_common import tokens

cold_start.resume_collection()

# Raising exactly this message makes API Gateway answer 401 (the UNAUTHORIZED gateway response).
UNAUTHORIZED = "Unauthorized"


def _stage_wide(method_arn: str) -> str:
    # arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{METHOD}/{path...}
    prefix, _, route = method_arn.partition("/")
    stage = route.split("/", 1)[0]
    return f"{prefix}/{stage}/*/*"


def lambda_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    try:
        token = tokens.bearer_token(event.get("authorizationToken"))
        if token is None:
            raise tokens.InvalidToken("no token")
        claims = tokens.verify_access_token(token)
    except tokens.InvalidToken:
        raise Exception(UNAUTHORIZED) from None
    context = {
        "user_id": claims["sub"],
        "role": claims["role"],
        "permissions": ",".join(claims.get("perms", [])),
        # API Gateway caches this answer per token (at most 60 s): the functions check both, on every request.
        "token_version": str(claims.get(tokens.VERSION_CLAIM, 0)),
        "expires_at": str(claims["exp"]),
    }
    if claims.get(tokens.PASSWORD_CHANGE_CLAIM):
        context["must_change_password"] = "true"
    return {
        "principalId": claims["sub"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _stage_wide(event["methodArn"])}
            ],
        },
        "context": context,
    }
