"""The authorizer invoked as Lambda invokes it, with events/authorizer/token.json."""

import json

import pytest

from library_authorizer.app import lambda_handler
from library_common import secret_reader, tokens
from library_common.settings import get_settings
from tests.aws_server import secrets_client
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
    claims = tokens.verify_access_token(token)
    assert result["context"] == {
        "user_id": "42",
        "role": "librarian",
        "permissions": "books.create,loans.manage",
        "token_version": "0",
        "expires_at": str(claims["exp"]),
    }


@pytest.mark.parametrize("authorization", ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not.a.token"])
def test_missing_or_malformed_tokens_are_unauthorized(event, authorization):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(event(authorization), None)


@pytest.fixture
def published_keys(event, moto_endpoint, monkeypatch):
    """The full-stack setup: the authorizer reads {kid: PEM} from a secret (moto over HTTP), not from its environment.

    Returns a function that publishes a new document, as the signing-keys function does."""
    client = secrets_client(moto_endpoint)
    current = tokens.signing_key()
    arn = client.create_secret(Name="library-jwt-public-keys", SecretString=_document(current))["ARN"]
    monkeypatch.delenv("JWT_PUBLIC_KEYS", raising=False)
    monkeypatch.setenv("JWT_PUBLIC_KEYS_SECRET_ARN", arn)
    get_settings.cache_clear()
    tokens.clear_caches()
    yield lambda *keys: client.put_secret_value(SecretId=arn, SecretString=_document(*keys))
    get_settings.cache_clear()
    tokens.clear_caches()


def _document(*keys: tokens.SigningKey) -> str:
    return json.dumps({key.kid: key.public_pem for key in keys})


def _signed_with(key: tokens.SigningKey, monkeypatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(tokens, "signing_key", lambda: key)
        return tokens.issue_access_token(42, "member", [])


def test_the_published_public_keys_are_read_from_their_secret(event, published_keys):
    token = tokens.issue_access_token(42, "member", [])
    assert lambda_handler(event(f"Bearer {token}"), None)["principalId"] == "42"


def test_a_token_signed_with_a_just_rotated_key_is_accepted_at_once(event, published_keys, monkeypatch):
    old = tokens.signing_key()
    assert lambda_handler(event(f"Bearer {tokens.issue_access_token(42, 'member', [])}"), None)
    new = tokens.load_signing_key(tokens.generate_pem())
    published_keys(new, old)
    # Within the cache's life, only a kid the authorizer does not know makes it read the secret again.
    monkeypatch.setattr(tokens, "REREAD_UNKNOWN_KID_SECONDS", 0)
    assert lambda_handler(event(f"Bearer {_signed_with(new, monkeypatch)}"), None)["principalId"] == "42"
    assert lambda_handler(event(f"Bearer {_signed_with(old, monkeypatch)}"), None)["principalId"] == "42"


def test_a_dropped_key_is_refused_once_the_cached_keys_are_reread(event, published_keys, monkeypatch):
    old = tokens.signing_key()
    old_token = _signed_with(old, monkeypatch)
    assert lambda_handler(event(f"Bearer {old_token}"), None)
    published_keys(tokens.load_signing_key(tokens.generate_pem()))
    monkeypatch.setattr(tokens, "PUBLIC_KEYS_MAX_AGE_SECONDS", 0)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(event(f"Bearer {old_token}"), None)


def test_an_unknown_kid_rereads_the_secret_at_most_once_per_interval(event, published_keys, monkeypatch):
    stranger = tokens.load_signing_key(tokens.generate_pem())
    reads = []
    real_read = secret_reader.get_secret_string
    monkeypatch.setattr(secret_reader, "get_secret_string", lambda arn: reads.append(arn) or real_read(arn))
    for _ in range(5):
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            lambda_handler(event(f"Bearer {_signed_with(stranger, monkeypatch)}"), None)
    # The cold-start read only: forged kids cannot make every request call Secrets Manager.
    assert len(reads) == 1
