import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from library_common import tokens


@pytest.fixture
def key(database_url):
    return tokens.signing_key()


def test_an_issued_token_verifies_with_its_claims(key):
    claims = tokens.verify_access_token(tokens.issue_access_token(7, "librarian", ["books.create"]))
    assert (claims["sub"], claims["role"], claims["perms"], claims["type"]) == (
        "7",
        "librarian",
        ["books.create"],
        "access",
    )


def test_an_expired_token_is_rejected(key):
    token = tokens.issue_access_token(7, "member", [], now=time.time() - 3600)
    with pytest.raises(tokens.InvalidToken, match="expired"):
        tokens.verify_access_token(token)


def _claims(**changes):
    now = int(time.time())
    claims = {
        "sub": "7",
        "role": "admin",
        "perms": [],
        "type": "access",
        "iss": "library-api",
        "aud": "library-clients",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return claims


def _signed(key, **changes):
    return jwt.encode(_claims(**changes), key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


@pytest.mark.parametrize("changes", [{"iss": "someone-else"}, {"aud": "other-app"}, {"type": "refresh"}])
def test_wrong_issuer_audience_or_type_is_rejected(key, changes):
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(_signed(key, **changes))


def test_alg_none_is_rejected(key):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": key.kid}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(f"{header.decode()}.{payload.decode()}.")


def test_hs256_signed_with_the_public_key_is_rejected(key):
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    import hashlib
    import hmac

    signing_input = forged.rstrip(b"=") + b"." + base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token((signing_input + b"." + signature).decode())


def test_a_token_signed_by_another_key_is_rejected(key):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": key.kid})
    with pytest.raises(tokens.InvalidToken, match=r"[Ss]ignature"):
        tokens.verify_access_token(stranger)


@pytest.mark.parametrize("value", ["not-a-jwt", "a.b.c", ""])
def test_malformed_tokens_are_rejected(key, value):
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(value)


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer   ", "token"])
def test_only_bearer_headers_carry_a_token(header):
    with pytest.raises(tokens.InvalidToken):
        tokens.bearer_token(header)
