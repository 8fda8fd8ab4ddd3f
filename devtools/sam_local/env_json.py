"""env.json for `sam local ... --env-vars`: every function pointed at the local database and the local signing key.

SAM passes a function only the variables its template declares, and resolves references to the stack's own
resources (secrets, buckets, the RDS Proxy) to nothing usable locally: those are set to "" here, which the settings
read as unset. Generated, never committed (it holds the local signing key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from devtools.template import TEMPLATE, _CloudFormationLoader, _Resolver
from library_common import tokens


def declared_variables(template_path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """{function logical id: {variable: its template value, intrinsics unresolved}}, Globals included."""
    document = yaml.load(template_path.read_text(), Loader=_CloudFormationLoader)  # noqa: S506 - safe subclass
    shared = document.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return {
        logical_id: {**shared, **resource.get("Properties", {}).get("Environment", {}).get("Variables", {})}
        for logical_id, resource in document["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _parameter_defaults(template_path: Path) -> dict[str, Any]:
    document = yaml.load(template_path.read_text(), Loader=_CloudFormationLoader)  # noqa: S506 - safe subclass
    return {name: spec.get("Default") for name, spec in document.get("Parameters", {}).items()}


def local_signing_key(data_dir: Path) -> tuple[str, tokens.SigningKey]:
    """The key `make run` signs with (created the first time), so tokens from either are accepted by both."""
    key = tokens._local_key(data_dir.resolve())
    return (data_dir / tokens.LOCAL_KEY_FILE).read_text(), key


def environment(
    database_url: str, data_dir: Path, admin_email: str = "admin@library.local", template_path: Path = TEMPLATE
) -> dict[str, dict[str, str]]:
    pem, key = local_signing_key(data_dir)
    resolve = _Resolver(_parameter_defaults(template_path))
    local = {
        "DATABASE_URL": database_url,
        # The migrations function's first admin, as `make run` creates it (so it is there: no password secret read).
        "ADMIN_EMAIL": admin_email,
        # Declared by the auth function alone: the only one that signs. The others verify, as deployed.
        "JWT_SIGNING_KEY": pem,
        "JWT_PUBLIC_KEYS": json.dumps({key.kid: key.public_pem}),
    }
    document: dict[str, dict[str, str]] = {}
    for logical_id, variables in declared_variables(template_path).items():
        values = {}
        for name, raw in variables.items():
            if name in local:
                values[name] = local[name]
            elif resolve(raw) in (None, ""):
                values[name] = ""  # a stack resource or a deployment-only parameter: unset locally
        document[logical_id] = values
    return document


def write(path: Path, database_url: str, data_dir: Path, admin_email: str) -> Path:
    path.write_text(json.dumps(environment(database_url, data_dir, admin_email), indent=2) + "\n")
    path.chmod(0o600)
    return path
