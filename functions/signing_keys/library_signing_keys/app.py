"""The signing-keys function: backs the `SigningKeys` custom resource, drops retired public keys on a schedule, and
rotates the key when invoked with `{"action": "rotate"}` (`make rotate-signing-key`).

- Create: generates the first Ed25519 signing key into the signing secret and publishes its public key.
- Update: rotates when the `Generation` property went up (the `SigningKeyGeneration` parameter); otherwise, and on
  a rollback to a lower generation, only republishes.
- Delete: nothing. The secrets are the stack's own resources and go with it; a Delete that follows a replacement
  must not touch the keys the new resource uses.

The answer's Data names the current key id and the two secrets, never a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from library_common import custom_resource
from library_common.settings import SettingsError, get_settings
from library_signing_keys import keys

logger = Logger()

PHYSICAL_RESOURCE_ID = "library-signing-keys"


def _secrets() -> keys.KeySecrets:
    import boto3

    settings = get_settings()
    if not (settings.jwt_signing_secret_arn and settings.jwt_public_keys_secret_arn):
        raise SettingsError("JWT_SIGNING_SECRET_ARN and JWT_PUBLIC_KEYS_SECRET_ARN must both be set")
    return keys.KeySecrets(
        client=boto3.client("secretsmanager"),
        signing_secret=settings.jwt_signing_secret_arn,
        public_keys_secret=settings.jwt_public_keys_secret_arn,
        access_token_ttl_seconds=settings.access_token_ttl_seconds,
    )


def _generation(properties: Mapping[str, Any] | None) -> int:
    return int((properties or {}).get("Generation", 1))


def apply(request: Mapping[str, Any]) -> dict[str, str]:
    secrets = _secrets()
    request_type = request["RequestType"]
    if request_type == "Delete":
        return {}
    if request_type == "Create":
        keys.ensure(secrets)
    elif request_type == "Update":
        if _generation(request.get("ResourceProperties")) > _generation(request.get("OldResourceProperties")):
            keys.rotate(secrets)
    else:
        raise ValueError(f"unknown custom resource request type {request_type!r}")
    published = keys.publish(secrets)
    return {
        "Kid": keys.ensure(secrets).kid,
        "PublishedKids": ",".join(sorted(published)),
        "SigningSecretArn": secrets.signing_secret,
        "PublicKeysSecretArn": secrets.public_keys_secret,
    }


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
    if "RequestType" in event:
        custom_resource.handle(event, context, PHYSICAL_RESOURCE_ID, apply)
        return None
    if event.get("action") == "rotate":
        new = keys.rotate(_secrets(), revoke=bool(event.get("revoke")))
        return {"kid": new.kid, "published": sorted(keys.publish(_secrets()))}
    if event.get("detail-type") == "Scheduled Event":
        return {"published": sorted(keys.publish(_secrets()))}
    raise ValueError("expected a CloudFormation request, a scheduled event or {'action': 'rotate'}")
