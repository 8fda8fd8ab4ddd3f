"""The authorizer in front of a protected route (GET /auth), over HTTP: every kind of bad token is a 401.

tests/unit/test_tokens.py checks the same cases on the verification function alone; these prove the gateway
path refuses them before the function runs, with the template's 401 envelope.
"""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from library_common import tokens
from tests.http.client import call

pytestmark = pytest.mark.http


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def claims(user, **changes):
    now = int(time.time())
    return {
        "sub": str(user["id"]),
        "role": user["role"],
        "perms": [],
        "type": "access",
        "iss": "library-api",
        "aud": "library-clients",
        "iat": now,
        "exp": now + 600,
        **changes,
    }


def signed(user, key=None, **changes):
    signing = tokens.signing_key()
    return jwt.encode(
        claims(user, **changes), key or signing.private_key, algorithm="EdDSA", headers={"kid": signing.kid}
    )


def assert_refused(local_api, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    reply = call(local_api, "GET", "/auth", headers=headers)
    assert reply.status == 401, authorization
    assert reply.body == {
        "status": 401,
        "message": "Missing, invalid or expired token",
        "data": None,
        "code": "UNAUTHORIZED",
    }


def test_a_well_formed_token_gets_through(local_api, users):
    member = users.create("member")
    assert call(local_api, "GET", "/auth", headers={"Authorization": f"Bearer {signed(member)}"}).status == 200


def test_no_token(local_api):
    assert_refused(local_api, None)


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Token abc", "Basic Zm9v"])
def test_malformed_token(local_api, authorization):
    assert_refused(local_api, authorization)


def test_wrong_signature(local_api, users):
    member = users.create("member")
    assert_refused(local_api, f"Bearer {signed(member, key=Ed25519PrivateKey.generate())}")
    header, _payload, signature = signed(member).split(".")
    tampered_payload = b64(json.dumps(claims(member, role="admin")).encode()).decode()
    assert_refused(local_api, f"Bearer {header}.{tampered_payload}.{signature}")


def test_alg_none(local_api, users):
    member = users.create("member")
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": tokens.signing_key().kid}).encode())
    payload = b64(json.dumps(claims(member, role="admin")).encode())
    assert_refused(local_api, f"Bearer {header.decode()}.{payload.decode()}.")


def test_hs256_signed_with_the_public_key(local_api, users):
    member = users.create("member")
    key = tokens.signing_key()
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64(json.dumps(claims(member, role="admin")).encode())
    signing_input = header + b"." + payload
    signature = b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    assert_refused(local_api, f"Bearer {(signing_input + b'.' + signature).decode()}")


def test_expired(local_api, users):
    member = users.create("member")
    expired = tokens.issue_access_token(member["id"], "member", [], now=time.time() - 3600)
    assert_refused(local_api, f"Bearer {expired}")


@pytest.mark.parametrize("changes", [{"iss": "someone-else"}, {"aud": "another-app"}, {"type": "refresh"}])
def test_wrong_issuer_audience_or_type(local_api, users, changes):
    member = users.create("member")
    assert_refused(local_api, f"Bearer {signed(member, **changes)}")


def test_a_refresh_token_used_as_an_access_token(local_api, users):
    member = users.create("member")
    login = call(local_api, "POST", "/auth/login", json_body={"email": member["email"], "password": member["password"]})
    assert_refused(local_api, f"Bearer {login.body['data']['refresh_token']}")
