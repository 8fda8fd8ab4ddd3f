"""The signing-keys function as CloudFormation, its schedule and `make rotate-signing-key` run it: the events in
events/signing_keys/ against moto's Secrets Manager (two secrets holding CloudFormation's placeholders, as the
template creates them), the answer PUT to a local server standing in for the pre-signed S3 URL, and the keys it
leaves checked by what uses them: tokens signed the way `auth` signs, verified with the published public keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from moto import mock_aws

from library_common import tokens
from library_common.settings import get_settings
from library_signing_keys import app, keys
from tests.aws_server import fake_credentials
from tests.conftest import load_event
from tests.custom_resource_support import DeployContext, Responses

REGION = "us-east-1"


@dataclass
class Stack:
    client: Any
    signing_secret: str
    public_keys_secret: str
    monkeypatch: pytest.MonkeyPatch

    def signing_pem(self, stage: str = "AWSCURRENT") -> str:
        return self.client.get_secret_value(SecretId=self.signing_secret, VersionStage=stage)["SecretString"]

    def published(self) -> dict[str, str]:
        return json.loads(self.client.get_secret_value(SecretId=self.public_keys_secret)["SecretString"])

    def key_secrets(self) -> keys.KeySecrets:
        return keys.KeySecrets(self.client, self.signing_secret, self.public_keys_secret, access_token_ttl_seconds=900)

    def token(self) -> str:
        """An access token signed as the auth function signs: with the key its secret holds now."""
        DEFAULT_PROVIDERS.clear()
        tokens.clear_caches()
        return tokens.issue_access_token(7, "member", [])

    def accepts(self, token: str) -> bool:
        """Whether an authorizer given the published public keys accepts the token."""
        with self.monkeypatch.context() as patch:
            patch.delenv("JWT_PUBLIC_KEYS_SECRET_ARN")
            patch.setenv("JWT_PUBLIC_KEYS", json.dumps(self.published()))
            get_settings.cache_clear()
            tokens.clear_caches()
            try:
                return tokens.verify_access_token(token)["sub"] == "7"
            except tokens.InvalidToken:
                return False
            finally:
                get_settings.cache_clear()
                tokens.clear_caches()


@pytest.fixture
def stack(monkeypatch) -> Iterator[Stack]:
    fake_credentials(monkeypatch, DATABASE_URL="postgresql://unused@127.0.0.1/unused", ACCESS_TOKEN_TTL_SECONDS="900")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        # What GenerateSecretString leaves before the custom resource runs.
        signing = client.create_secret(Name="library-jwt-signing-key", SecretString="Kq3Zr8PlaceholderXw2Ty7Nm4Vb6")
        public = client.create_secret(Name="library-jwt-public-keys", SecretString="Pl4ceholderH9sD2fJ5kL8mN1bV3c")
        monkeypatch.setenv("JWT_SIGNING_SECRET_ARN", signing["ARN"])
        monkeypatch.setenv("JWT_PUBLIC_KEYS_SECRET_ARN", public["ARN"])
        get_settings.cache_clear()
        tokens.clear_caches()
        DEFAULT_PROVIDERS.clear()
        yield Stack(client, signing["ARN"], public["ARN"], monkeypatch)
    DEFAULT_PROVIDERS.clear()
    get_settings.cache_clear()
    tokens.clear_caches()


def deploy(request: str, responses: Responses, **properties: str) -> dict[str, Any]:
    """Invokes the function with events/signing_keys/<request>.json; returns the answer CloudFormation got."""
    event = load_event(f"signing_keys/{request}.json", ResponseURL=responses.url)
    event["ResourceProperties"].update(properties)
    assert app.lambda_handler(event, DeployContext()) is None
    body = responses.received[-1]["body"]
    assert "PRIVATE KEY" not in json.dumps(body), "the private key never leaves its secret"
    return body


def test_create_generates_a_key_that_signs_tokens_the_published_keys_verify(stack, responses):
    answer = deploy("create", responses)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "library-signing-keys"), answer
    key = tokens.load_signing_key(stack.signing_pem())
    assert answer["Data"] == {
        "Kid": key.kid,
        "PublishedKids": key.kid,
        "SigningSecretArn": stack.signing_secret,
        "PublicKeysSecretArn": stack.public_keys_secret,
    }
    assert stack.published() == {key.kid: key.public_pem}
    assert stack.accepts(stack.token())


def test_a_repeated_create_keeps_the_key_it_generated(stack, responses):
    first = deploy("create", responses)["Data"]["Kid"]
    assert deploy("create", responses)["Data"]["Kid"] == first
    assert list(stack.published()) == [first]


def test_raising_the_generation_rotates_and_the_old_key_stays_accepted(stack, responses):
    old_kid = deploy("create", responses)["Data"]["Kid"]
    old_token = stack.token()

    answer = deploy("update", responses)  # Generation 1 -> 2
    assert answer["Status"] == "SUCCESS", answer
    new_kid = answer["Data"]["Kid"]
    assert new_kid != old_kid
    assert set(stack.published()) == {old_kid, new_kid}
    assert tokens.load_signing_key(stack.signing_pem("AWSPREVIOUS")).kid == old_kid
    new_token = stack.token()
    assert json.loads(_header(new_token))["kid"] == new_kid
    assert stack.accepts(old_token) and stack.accepts(new_token)


@pytest.mark.parametrize(("old", "new"), [("1", "1"), ("2", "1")], ids=["same generation", "rollback"])
def test_an_update_that_does_not_raise_the_generation_keeps_the_key(stack, responses, old, new):
    kid = deploy("create", responses)["Data"]["Kid"]
    event = load_event("signing_keys/update.json", ResponseURL=responses.url)
    event["ResourceProperties"]["Generation"] = new
    event["OldResourceProperties"]["Generation"] = old
    app.lambda_handler(event, DeployContext())
    answer = responses.received[-1]["body"]
    assert (answer["Status"], answer["Data"]["Kid"]) == ("SUCCESS", kid)
    assert list(stack.published()) == [kid]


def test_the_old_public_key_is_dropped_once_its_last_token_has_expired(stack, responses):
    old_kid = deploy("create", responses)["Data"]["Kid"]
    new_kid = deploy("update", responses)["Data"]["Kid"]
    secrets = stack.key_secrets()
    # Auth containers sign with the old key for up to 5 minutes more; its tokens live 15 minutes; a minute of skew.
    assert secrets.retention == timedelta(seconds=300 + 900 + 60)
    rotated = datetime.now(UTC)
    assert set(keys.publish(secrets, now=rotated + secrets.retention - timedelta(seconds=30))) == {old_kid, new_kid}
    assert set(keys.publish(secrets, now=rotated + secrets.retention + timedelta(seconds=30))) == {new_kid}
    assert list(stack.published()) == [new_kid]
    # Dropped for good: the schedule's next run does not bring it back.
    assert app.lambda_handler(load_event("signing_keys/publish.json"), DeployContext()) == {"published": [new_kid]}


def test_a_second_rotation_while_the_previous_key_is_accepted_fails_with_the_time_to_wait(stack, responses):
    deploy("create", responses)
    kept = deploy("update", responses)["Data"]["Kid"]
    answer = deploy("update", responses, Generation="3")
    assert answer["Status"] == "FAILED"
    assert "RotationRefused" in answer["Reason"] and "still accepted until" in answer["Reason"]
    assert tokens.load_signing_key(stack.signing_pem()).kid == kept


def test_rotate_with_revoke_stops_accepting_the_current_key_at_once(stack, responses):
    deploy("create", responses)
    leaked = stack.token()
    result = app.lambda_handler({"action": "rotate", "revoke": True}, DeployContext())
    assert result["published"] == [result["kid"]]
    assert not stack.accepts(leaked)
    assert stack.accepts(stack.token())


def test_make_rotate_signing_key_invokes_a_rotation(stack, responses):
    old_kid = deploy("create", responses)["Data"]["Kid"]
    result = app.lambda_handler(load_event("signing_keys/rotate.json"), DeployContext())
    assert result["kid"] != old_kid and set(result["published"]) == {old_kid, result["kid"]}


def test_delete_leaves_both_secrets_as_they_are(stack, responses):
    deploy("create", responses)
    before = (stack.signing_pem(), stack.published())
    answer = deploy("delete", responses)
    assert (answer["Status"], answer["PhysicalResourceId"], answer["Data"]) == ("SUCCESS", "library-signing-keys", {})
    assert (stack.signing_pem(), stack.published()) == before


def test_an_event_it_does_not_know_is_refused(stack):
    with pytest.raises(ValueError, match="expected a CloudFormation request"):
        app.lambda_handler({"detail-type": "Object Created"}, DeployContext())


def _header(token: str) -> str:
    import base64

    segment = token.split(".")[0]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()
