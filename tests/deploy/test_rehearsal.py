"""A deploy rehearsal: the SAM-translated template created in moto's CloudFormation, in both modes.

moto models part of CloudFormation's resource types. The rest (NOT_MODELLED and NOT_CREATABLE_HERE below) are left
out of the rehearsal, and every reference to them becomes a placeholder string, so that what moto does model is
created from the very
template AWS gets, wired as AWS would wire it: the functions in the subnets and security group the stack
creates, their log groups, roles, buckets, queue, topic, VPC endpoints. The custom resources' functions run only in
Docker under moto; their handlers are tested directly (tests/handlers/test_signing_keys_function.py and
test_migrations_function.py).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.parsing import get_model_map

from devtools import cloudformation
from tests.aws_server import fake_credentials

# Resource types of the translated template that moto 5.2's CloudFormation does not create.
NOT_MODELLED = {
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Stage",
    "AWS::CloudWatch::Alarm",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBClusterParameterGroup",
    "AWS::RDS::DBProxy",
    "AWS::RDS::DBProxyTargetGroup",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
}
# Types moto models that it cannot create from this template here, and why.
NOT_CREATABLE_HERE = {
    "AWS::ApiGateway::Deployment": "moto's RestApi ignores the OpenAPI Body SAM writes, so it has no method to deploy",
    "AWS::RDS::DBInstance": "moto creates stand-alone instances only; this one is a member of the cluster it lacks",
    "Custom::DatabaseSchema": "backed by MigrationsFunction, which moto runs only in Docker",
    "Custom::SigningKeys": "backed by SigningKeysFunction, which moto runs only in Docker",
}
REGION = cloudformation.REGION


def _placeholders(value: Any, dropped: dict[str, Any]) -> Any:
    """`value` with every Ref, GetAtt and ${...} of a dropped resource replaced by a literal placeholder (a Ref of a
    function alias by the function it points to, which moto models)."""
    if isinstance(value, list):
        return [_placeholders(item, dropped) for item in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {"Ref"} and value["Ref"] in dropped:
        resource = dropped[value["Ref"]]
        if resource["Type"] == "AWS::Lambda::Alias":
            return resource["Properties"]["FunctionName"]
        return f"placeholder-{value['Ref']}"
    if value.keys() == {"Fn::GetAtt"} and value["Fn::GetAtt"][0] in dropped:
        return f"placeholder-{'.'.join(value['Fn::GetAtt'])}"
    if value.keys() == {"Fn::Sub"}:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]

        def literal(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.split(".")[0] not in dropped or name in variables:
                return match.group(0)
            alias = dropped[name].get("Properties", {}).get("FunctionName", {}) if name in dropped else {}
            return "${" + alias["Ref"] + "}" if "Ref" in alias else f"placeholder-{name}"

        return {"Fn::Sub": [re.sub(r"\$\{([^}!]+)\}", literal, text), _placeholders(variables, dropped)]}
    return {key: _placeholders(item, dropped) for key, item in value.items()}


def rehearsal_template(translated: dict[str, Any]) -> dict[str, Any]:
    left_out = NOT_MODELLED | NOT_CREATABLE_HERE.keys()
    dropped = {name: resource for name, resource in translated["Resources"].items() if resource["Type"] in left_out}
    kept = {}
    for name, resource in translated["Resources"].items():
        if name in dropped:
            continue
        resource = _placeholders(resource, dropped)
        depends = resource.get("DependsOn")
        if depends is not None:
            remaining = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in dropped]
            resource["DependsOn"] = remaining
        kept[name] = resource
    outputs = _placeholders(translated.get("Outputs", {}), dropped)
    return {**translated, "Resources": kept, "Outputs": outputs}


def _deploy(mode: str) -> tuple[Any, dict[str, Any]]:
    parameters = cloudformation.MODES[mode]
    translated = cloudformation.translate(parameters)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=cloudformation.ARTIFACT_BUCKET)
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("placeholder.py", "")
    for key in cloudformation.code_objects(translated):
        s3.put_object(Bucket=cloudformation.ARTIFACT_BUCKET, Key=key, Body=package.getvalue())
    client = boto3.client("cloudformation", region_name=REGION)
    client.create_stack(
        StackName="library",
        TemplateBody=json.dumps(rehearsal_template(cloudformation.resolve_conditions(translated, parameters))),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    return client, translated


@pytest.fixture
def aws(monkeypatch):
    fake_credentials(monkeypatch)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        yield


@pytest.mark.parametrize("mode", sorted(cloudformation.MODES))
def test_the_types_moto_does_not_model_are_exactly_the_listed_ones(mode):
    translated = cloudformation.translate(cloudformation.MODES[mode])
    types = {resource["Type"] for resource in translated["Resources"].values()}
    unmodelled = {t for t in types if t not in get_model_map() and not t.startswith("Custom::")}
    # A new type moto lacks must be listed (and so thought about); one moto gained must leave the list.
    assert unmodelled == NOT_MODELLED & types


def _created(client) -> dict[str, dict[str, Any]]:
    summaries = client.list_stack_resources(StackName="library")["StackResourceSummaries"]
    return {summary["LogicalResourceId"]: summary for summary in summaries}


def test_the_full_stack_deploys_its_network_and_puts_every_function_in_it(aws):
    client, translated = _deploy("full-stack")
    stack = client.describe_stacks(StackName="library")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    created = _created(client)
    ec2 = boto3.client("ec2", region_name=REGION)
    subnets = {created[name]["PhysicalResourceId"] for name in ("PrivateSubnetA", "PrivateSubnetB")}
    zones = {subnet["AvailabilityZone"] for subnet in ec2.describe_subnets(SubnetIds=sorted(subnets))["Subnets"]}
    assert len(zones) == 2, "two private subnets in two availability zones"
    function_group = created["FunctionSecurityGroup"]["PhysicalResourceId"]

    functions = [name for name, r in translated["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) >= 9
    lambdas = boto3.client("lambda", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    for name in functions:
        configuration = lambdas.get_function_configuration(FunctionName=created[name]["PhysicalResourceId"])
        assert set(configuration["VpcConfig"]["SubnetIds"]) == subnets, name
        assert configuration["VpcConfig"]["SecurityGroupIds"] == [function_group], name
        # moto keeps no LoggingConfig; the group the template names must exist with its retention.
        group = translated["Resources"][name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        group_name = created[group]["PhysicalResourceId"]
        described = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
        assert [(g["logGroupName"], g["retentionInDays"]) for g in described if g["logGroupName"] == group_name] == [
            (group_name, 30)
        ], name

    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    services = {endpoint["ServiceName"].rsplit(".", 1)[1] for endpoint in endpoints}
    assert services == {"secretsmanager", "s3", "email"}, "Bedrock's endpoint only with a model configured"
    assert not ec2.describe_nat_gateways()["NatGateways"], "no NAT gateway unless NatGateway is true"


def test_bring_your_own_creates_no_network_and_uses_the_given_subnets(aws):
    client, _ = _deploy("bring-your-own")
    assert client.describe_stacks(StackName="library")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    created = _created(client)
    assert not {"Vpc", "PrivateSubnetA", "SigningKeysFunction", "DatabaseSubnetGroup"} & created.keys()
    assert not boto3.client("ec2", region_name=REGION).describe_vpc_endpoints()["VpcEndpoints"]
    lambdas = boto3.client("lambda", region_name=REGION)
    given = cloudformation.BRING_YOUR_OWN
    for name in ("AuthFunction", "AuthorizerFunction", "RemindersFunction"):
        configuration = lambdas.get_function_configuration(FunctionName=created[name]["PhysicalResourceId"])
        assert configuration["VpcConfig"]["SubnetIds"] == given["SubnetIds"].split(","), name
        assert configuration["VpcConfig"]["SecurityGroupIds"] == [given["SecurityGroupIds"]], name
        variables = configuration["Environment"]["Variables"]
        assert variables["DB_HOST"] == given["DatabaseHost"]
        assert variables["DB_CA_BUNDLE"] == given["DatabaseCaBundle"]


def test_the_buckets_are_encrypted(aws):
    # moto's CloudFormation applies neither a bucket's public access block nor its access logging;
    # tests/unit/test_deployment.py checks both in the template.
    client, _ = _deploy("full-stack")
    created = _created(client)
    s3 = boto3.client("s3", region_name=REGION)
    for name in ("CoversBucket", "ImportsBucket"):
        bucket = created[name]["PhysicalResourceId"]
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
