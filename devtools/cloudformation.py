"""template.yaml as CloudFormation receives it: translated offline by the SAM translator, in either deployment mode.

`sam deploy` uploads the code and sends AWS the SAM template, which CloudFormation transforms; here the same
translator (samtranslator, the library aws-sam-cli uses) runs locally, with the local code folders replaced by
S3 locations as `sam validate` does. The result is what checkov, the template tests and the moto deploy rehearsal
examine.

The two modes are two sets of parameter values: FULL_STACK (the two questions answered, everything else created)
and BRING_YOUR_OWN (an existing database, network and signing key).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from devtools import template

ARTIFACT_BUCKET = "library-deployment-artifacts"
REGION = "us-east-1"
ACCOUNT = "123456789012"

FULL_STACK = {"AdminEmail": "head.librarian@library.example", "NoticesSender": "notices@library.example"}
BRING_YOUR_OWN = {
    **FULL_STACK,
    "DatabaseHost": "library-db.cluster-abcdefghijkl.us-east-1.rds.amazonaws.com",
    "DatabaseSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:library-db-AbCdEf",
    "DatabaseCaBundle": "/opt/python/library_common/certs/rds-global-bundle.pem",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    "SecurityGroupIds": "sg-0123456789abcdef0",
    "JwtSigningSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:library-jwt-signing-AbCdEf",
    "JwtPublicKeys": '{"0123456789abcdef": "-----BEGIN PUBLIC KEY-----..."}',
}
MODES = {"full-stack": FULL_STACK, "bring-your-own": BRING_YOUR_OWN}

_CODE_PROPERTIES = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def sam_template(path: Path = template.TEMPLATE) -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse

    return yaml_parse(path.read_text())


def with_defaults(sam: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The template with `parameters` as its parameters' defaults: what linters resolve is then this mode."""
    changed = copy.deepcopy(sam)
    for name, value in parameters.items():
        changed["Parameters"][name]["Default"] = value
    return changed


def _code_in_s3(sam: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(sam)
    for resource in changed["Resources"].values():
        key = _CODE_PROPERTIES.get(resource["Type"])
        local = resource.get("Properties", {}).get(key)
        if isinstance(local, str) and not local.startswith("s3://"):
            resource["Properties"][key] = f"s3://{ARTIFACT_BUCKET}/{local}"
    return changed


def translate(parameters: dict[str, str], sam: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CloudFormation template AWS would deploy for these parameter values."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    source = _code_in_s3(sam if sam is not None else sam_template())
    values = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", **parameters}
    # A session only to name the Region; nothing is called.
    session = boto3.session.Session(region_name=REGION, aws_access_key_id="offline", aws_secret_access_key="offline")
    translator = Translator(managed_policy_map=None, sam_parser=Parser(), plugins=[], boto_session=session)
    # Plain dicts and lists (the translator returns its own dict type, which compares keys differently).
    translated = translator.translate(sam_template=source, parameter_values=values, get_managed_policy_map=dict)
    translated = json.loads(json.dumps(translated))
    _carry_checkov_skips(source, translated)
    return translated


def _carry_checkov_skips(sam: dict[str, Any], translated: dict[str, Any]) -> None:
    """SAM writes one resource as several (an Api as RestApi, Deployment and Stage): a checkov skip written on the
    SAM resource, with its reason, applies to each resource generated from it (their ids start with its id)."""
    for logical_id, resource in sam["Resources"].items():
        skips = resource.get("Metadata", {}).get("checkov")
        if not skips or not resource["Type"].startswith("AWS::Serverless::"):
            continue
        for generated_id, generated in translated["Resources"].items():
            if generated_id.startswith(logical_id):
                generated.setdefault("Metadata", {}).setdefault("checkov", skips)


def parameter_values(translated: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    values = {name: spec.get("Default") for name, spec in translated.get("Parameters", {}).items()}
    values.update(parameters)
    for name, spec in translated.get("Parameters", {}).items():
        if spec["Type"] in ("CommaDelimitedList",) or spec["Type"].startswith("List<"):
            values[name] = str(values[name] or "").split(",")
    return values


def _condition(expression: Any, values: dict[str, Any], conditions: dict[str, Any]) -> Any:
    if isinstance(expression, dict) and len(expression) == 1:
        ((function, argument),) = expression.items()
        if function == "Ref":
            return values[argument]
        if function == "Condition":
            return _condition(conditions[argument], values, conditions)
        evaluated = [_condition(item, values, conditions) for item in argument]
        if function == "Fn::Equals":
            return str(evaluated[0]) == str(evaluated[1])
        if function == "Fn::Not":
            return not evaluated[0]
        if function == "Fn::And":
            return all(evaluated)
        if function == "Fn::Or":
            return any(evaluated)
    return expression


_NO_VALUE = object()


def _choose(value: Any, holds: dict[str, bool]) -> Any:
    if isinstance(value, list):
        return [item for item in (_choose(item, holds) for item in value) if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": "AWS::NoValue"}:
        return _NO_VALUE
    if len(value) == 1 and "Fn::If" in value:
        name, when_true, when_false = value["Fn::If"]
        return _choose(when_true if holds[name] else when_false, holds)
    chosen = {key: _choose(item, holds) for key, item in value.items()}
    return {key: item for key, item in chosen.items() if item is not _NO_VALUE}


def resolve_conditions(translated: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The template as CloudFormation would use it with these parameter values: each Fn::If replaced by the branch
    its condition picks, AWS::NoValue removed, and the resources and outputs whose condition is false left out."""
    values = parameter_values(translated, parameters)
    conditions = translated.get("Conditions", {})
    holds = {name: bool(_condition(expression, values, conditions)) for name, expression in conditions.items()}
    chosen = _choose(translated, holds)
    for section in ("Resources", "Outputs"):
        chosen[section] = {
            name: {key: item for key, item in entry.items() if key != "Condition"}
            for name, entry in chosen.get(section, {}).items()
            if holds.get(entry.get("Condition"), True)
        }
    chosen.pop("Conditions", None)
    chosen.pop("Rules", None)
    return chosen


def code_objects(translated: dict[str, Any]) -> list[str]:
    """The S3 keys the translated template's functions and layer load their code from."""
    keys = set()
    for resource in translated["Resources"].values():
        properties = resource.get("Properties", {})
        location = properties.get("Code") or properties.get("Content") or {}
        if location.get("S3Bucket") == ARTIFACT_BUCKET:
            keys.add(location["S3Key"])
    return sorted(keys)


def main() -> None:
    """`python -m devtools.cloudformation OUT_DIR`: writes <mode>.json for each mode (checkov reads them)."""
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for mode, parameters in MODES.items():
        translated = translate(parameters, with_defaults(sam_template(), parameters))
        (out / f"{mode}.json").write_text(json.dumps(translated, indent=1, default=str))


if __name__ == "__main__":
    main()
