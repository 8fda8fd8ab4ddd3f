"""The access-token signing keys of a full-stack deployment, kept in two Secrets Manager secrets.

- The signing secret's current version is the Ed25519 private key (PEM) the `auth` function signs with; after a
  rotation its AWSPREVIOUS version is the key before it. The private key is never logged or returned.
- The public-keys secret is `{kid: public PEM}`, what the authorizer accepts: the current key, and the previous
  one while a token signed with it may still be unexpired.

A key signs for at most SIGNING_KEY_MAX_AGE_SECONDS after the rotation (auth containers reread the secret that
often), and its tokens live ACCESS_TOKEN_TTL_SECONDS more: the previous public key is kept that long after the
current key's version was created, plus CLOCK_SKEW_SECONDS, and then dropped by `publish`, which the schedule
runs every 15 minutes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from library_common import tokens

logger = logging.getLogger(__name__)

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
CLOCK_SKEW_SECONDS = 60


class RotationRefused(RuntimeError):
    """A second rotation while the key before the current one is still accepted would cut its tokens short."""


@dataclass(frozen=True)
class KeySecrets:
    """The two secrets and what decides how long a retired key stays published."""

    client: Any  # a boto3 Secrets Manager client
    signing_secret: str
    public_keys_secret: str
    access_token_ttl_seconds: int

    @property
    def retention(self) -> timedelta:
        seconds = tokens.SIGNING_KEY_MAX_AGE_SECONDS + self.access_token_ttl_seconds + CLOCK_SKEW_SECONDS
        return timedelta(seconds=seconds)


def _key(pem: str) -> tokens.SigningKey | None:
    try:
        return tokens.load_signing_key(pem)
    except ValueError:
        # The placeholder CloudFormation generated before the first key, or anything else that is not a key.
        return None


def _version(secrets: KeySecrets, stage: str) -> dict[str, Any] | None:
    # Versions that carry a staging label are always listed (the unlabelled, deprecated ones only on request).
    versions = secrets.client.list_secret_version_ids(SecretId=secrets.signing_secret, MaxResults=100)["Versions"]
    return next((version for version in versions if stage in version.get("VersionStages", [])), None)


def _key_at(secrets: KeySecrets, stage: str) -> tokens.SigningKey | None:
    if _version(secrets, stage) is None:
        return None
    value = secrets.client.get_secret_value(SecretId=secrets.signing_secret, VersionStage=stage)
    return _key(value.get("SecretString", ""))


def _write_public_keys(secrets: KeySecrets, keys: list[tokens.SigningKey]) -> dict[str, str]:
    document = {key.kid: key.public_pem for key in keys}
    text = json.dumps(document, sort_keys=True)
    if secrets.client.get_secret_value(SecretId=secrets.public_keys_secret).get("SecretString") != text:
        secrets.client.put_secret_value(SecretId=secrets.public_keys_secret, SecretString=text)
        logger.info("published public keys %s", sorted(document))
    return document


def _install(secrets: KeySecrets, pem: str) -> None:
    secrets.client.put_secret_value(SecretId=secrets.signing_secret, SecretString=pem)


def ensure(secrets: KeySecrets) -> tokens.SigningKey:
    """The current signing key, generated first if the secret holds none yet (the first deployment)."""
    current = _key_at(secrets, CURRENT)
    if current is not None:
        return current
    pem = tokens.generate_pem()
    key = tokens.load_signing_key(pem)
    # Published before anyone can sign with it.
    _write_public_keys(secrets, [key])
    _install(secrets, pem)
    logger.info("generated the first signing key %s", key.kid)
    return key


def _previous_still_accepted(secrets: KeySecrets, now: datetime) -> tokens.SigningKey | None:
    current_version = _version(secrets, CURRENT)
    previous = _key_at(secrets, PREVIOUS)
    if previous is None or current_version is None:
        return None
    if now < current_version["CreatedDate"] + secrets.retention:
        return previous
    return None


def publish(secrets: KeySecrets, now: datetime | None = None) -> dict[str, str]:
    """Publishes the current key, and the previous one until its last token has expired; then drops it for good."""
    now = now or datetime.now(UTC)
    current = ensure(secrets)
    previous = _previous_still_accepted(secrets, now)
    if previous is None:
        _forget_previous(secrets)
    return _write_public_keys(secrets, [current] if previous is None else [current, previous])


def _forget_previous(secrets: KeySecrets) -> None:
    version = _version(secrets, PREVIOUS)
    if version is not None:
        secrets.client.update_secret_version_stage(
            SecretId=secrets.signing_secret, VersionStage=PREVIOUS, RemoveFromVersionId=version["VersionId"]
        )
        logger.info("the previous signing key is no longer accepted")


def rotate(secrets: KeySecrets, *, revoke: bool = False, now: datetime | None = None) -> tokens.SigningKey:
    """A new signing key. The one it replaces stays accepted for its tokens' lifetime, or not at all with `revoke`
    (a key that leaked: every access token it signed stops working; refresh tokens still do)."""
    now = now or datetime.now(UTC)
    current = ensure(secrets)
    previous = _previous_still_accepted(secrets, now)
    if previous is not None and not revoke:
        until = _version(secrets, CURRENT)["CreatedDate"] + secrets.retention
        raise RotationRefused(
            f"key {previous.kid} is still accepted until {until:%Y-%m-%d %H:%M:%S} UTC; rotate after that, "
            "or revoke the current key now"
        )
    pem = tokens.generate_pem()
    new = tokens.load_signing_key(pem)
    # The authorizer must know the new key before the first token signed with it exists.
    _write_public_keys(secrets, [new] if revoke else [new, current])
    _install(secrets, pem)
    if revoke:
        _forget_previous(secrets)
    logger.info("rotated the signing key %s -> %s%s", current.kid, new.kid, " (revoked the old key)" if revoke else "")
    return new
