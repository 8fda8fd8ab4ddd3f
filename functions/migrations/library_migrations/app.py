"""The migrations function: the handler of the `DatabaseSchema` custom resource in template.yaml.

- Create / Update: apply the layer's Alembic migrations, then create the first admin (ADMIN_EMAIL, with the
  password in the ADMIN_PASSWORD_SECRET_ARN secret) unless a user with that email exists. The resource's
  `Layer` property is the layer version, so every new layer (every new migration) sends an Update. The
  functions that use the database depend on the resource, so new code never runs on an old schema.
- Delete: nothing. The database outlives the stack; a library's data is never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from library_common import custom_resource, db, migrate
from library_common.settings import SettingsError, get_settings
from library_migrations import logic

logger = Logger()

# One schema per stack, whatever its properties: a new id would make CloudFormation delete the old one.
PHYSICAL_RESOURCE_ID = "library-schema"


def _admin_password() -> str:
    from aws_lambda_powertools.utilities.parameters import get_secret

    secret_arn = get_settings().admin_password_secret_arn
    if not secret_arn:
        raise SettingsError("ADMIN_PASSWORD_SECRET_ARN is not set")
    # Read once per deployment that creates the admin; nothing to gain from a cached value.
    return get_secret(secret_arn, force_fetch=True)


def _migrate_and_bootstrap() -> dict[str, Any]:
    admin_email = get_settings().admin_email
    if not admin_email:
        raise SettingsError("ADMIN_EMAIL is not set")
    migrate.upgrade(db.get_engine())
    with db.transaction() as session:
        admin_created = logic.ensure_first_admin(session, admin_email, _admin_password)
        revision = migrate.current_revision(session.connection())
    logger.info("database ready", extra={"schema_version": revision, "admin_created": admin_created})
    return {"SchemaVersion": revision}


def apply(request_type: str) -> Mapping[str, Any]:
    if request_type in ("Create", "Update"):
        return _migrate_and_bootstrap()
    if request_type == "Delete":
        return {}
    raise ValueError(f"unknown custom resource request type {request_type!r}")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    custom_resource.handle(event, context, PHYSICAL_RESOURCE_ID, lambda request: apply(request["RequestType"]))
