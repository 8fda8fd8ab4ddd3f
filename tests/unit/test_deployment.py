"""The deployment as CloudFormation receives it: template.yaml translated offline by the SAM translator, in the
full-stack mode (the two questions answered) and the bring-your-own mode, each with its conditions applied.

Written over every resource of a kind, so that a function, bucket or role added later is held to the same rules.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from devtools import cloudformation, template

MODES = sorted(cloudformation.MODES)
# Routes where one request costs a password hash, an account or a model call: a stricter limit than the stage's.
SENSITIVE_ROUTES = {
    ("POST", "/auth/login"),
    ("POST", "/auth"),
    ("POST", "/library/chat"),
    ("POST", "/auth/password-reset"),
}
# Actions that IAM cannot scope to a resource (Resource "*" is the only form).
UNSCOPABLE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
ALLOWED_MANAGED_POLICIES = {
    "service-role/AWSLambdaBasicExecutionRole",
    "service-role/AWSLambdaVPCAccessExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs",
}


@cache
def deployed(mode: str, extra: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    parameters = {**cloudformation.MODES[mode], **dict(extra)}
    return cloudformation.resolve_conditions(cloudformation.translate(parameters), parameters)


def resources(mode: str, kind: str, **extra: str) -> dict[str, dict[str, Any]]:
    everything = deployed(mode, tuple(sorted(extra.items())))["Resources"]
    return {name: resource for name, resource in everything.items() if resource["Type"] == kind}


def functions(mode: str) -> dict[str, dict[str, Any]]:
    return resources(mode, "AWS::Lambda::Function")


def refs(value: Any) -> set[str]:
    """Every resource a value names through Ref, GetAtt or ${...}."""
    text = json.dumps(value)
    found = set(re.findall(r'"Ref": "([A-Za-z0-9]+)"', text))
    found |= set(re.findall(r'"Fn::GetAtt": \["([A-Za-z0-9]+)"', text))
    found |= {name.split(".")[0] for name in re.findall(r"\$\{([A-Za-z0-9.]+)\}", text)}
    return found


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        document = policy["PolicyDocument"]
        found += document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- Both modes are valid templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_cfn_lint_is_clean_with_each_modes_parameters(mode, tmp_path):
    sam = cloudformation.with_defaults(cloudformation.sam_template(), cloudformation.MODES[mode])
    path = tmp_path / f"{mode}.json"
    path.write_text(json.dumps(sam))
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    completed = subprocess.run([str(cfn_lint), str(path)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


# -- Network: every function in the VPC, in the right security group ------------------------------------------------


def test_every_function_runs_in_the_stacks_private_subnets_and_function_security_group():
    for name, function in functions("full-stack").items():
        vpc = function["Properties"]["VpcConfig"]
        assert vpc["SubnetIds"] == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}], name
        assert vpc["SecurityGroupIds"] == [{"Ref": "FunctionSecurityGroup"}], name


def test_bring_your_own_puts_every_function_in_the_given_subnets_and_groups():
    given = cloudformation.BRING_YOUR_OWN
    for name, function in functions("bring-your-own").items():
        vpc = function["Properties"]["VpcConfig"]
        assert vpc["SubnetIds"] == {"Ref": "SubnetIds"}, name
        assert vpc["SecurityGroupIds"] == {"Fn::Split": [",", {"Fn::Join": [",", {"Ref": "SecurityGroupIds"}]}]}, name
    assert given["SubnetIds"] and given["SecurityGroupIds"]


def test_only_functions_reach_the_proxy_and_only_the_proxy_reaches_the_database():
    groups = resources("full-stack", "AWS::EC2::SecurityGroup")
    ingress = [
        (name, rule) for name, group in groups.items() for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    ingress += [
        (resource["Properties"]["GroupId"]["Ref"], resource["Properties"])
        for resource in resources("full-stack", "AWS::EC2::SecurityGroupIngress").values()
    ]
    reachable = {(name, rule["SourceSecurityGroupId"]["Ref"], rule["FromPort"]) for name, rule in ingress}
    assert reachable == {
        ("ProxySecurityGroup", "FunctionSecurityGroup", 5432),
        ("DatabaseSecurityGroup", "ProxySecurityGroup", 5432),
        ("EndpointSecurityGroup", "FunctionSecurityGroup", 443),
    }
    assert not any("CidrIp" in rule for _, rule in ingress), "nothing is reachable from an address range"
    assert groups["FunctionSecurityGroup"]["Properties"]["SecurityGroupEgress"][0]["FromPort"] == 443


@pytest.mark.parametrize(
    ("extra", "endpoints"),
    [
        ({}, {"secretsmanager", "s3", "email"}),
        (
            {"BedrockModelId": "anthropic.claude-3-haiku-20240307-v1:0"},
            {"secretsmanager", "s3", "email", "bedrock-runtime"},
        ),
    ],
    ids=["rule-based chat", "Bedrock chat"],
)
def test_the_vpc_endpoints_are_those_the_configured_features_need(extra, endpoints):
    found = resources("full-stack", "AWS::EC2::VPCEndpoint", **extra).values()
    names = {endpoint["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1] for endpoint in found}
    assert names == endpoints


def test_a_nat_gateway_only_when_asked_for():
    assert not resources("full-stack", "AWS::EC2::NatGateway")
    (nat,) = resources("full-stack", "AWS::EC2::NatGateway", NatGateway="true").values()
    routes = resources("full-stack", "AWS::EC2::Route", NatGateway="true")
    assert routes["PrivateDefaultRoute"]["Properties"]["RouteTableId"] == {"Ref": "PrivateRouteTable"}
    assert nat["Properties"]["SubnetId"] == {"Ref": "PublicSubnet"}


def test_bring_your_own_creates_no_network_database_or_signing_key():
    made = {resource["Type"] for resource in deployed("bring-your-own")["Resources"].values()}
    assert not {t for t in made if t.startswith(("AWS::EC2::", "AWS::RDS::"))}
    assert "Custom::SigningKeys" not in made
    secrets = resources("bring-your-own", "AWS::SecretsManager::Secret")
    assert set(secrets) == {"AdminPasswordSecret"}


# -- Nothing public, everything encrypted ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_nothing_is_publicly_accessible(mode):
    for name, bucket in resources(mode, "AWS::S3::Bucket").items():
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert all(
            block[key] is True
            for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        ), name
    for name, policy in resources(mode, "AWS::S3::BucketPolicy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*" and "AWS" not in statement["Principal"], name
    for name, instance in resources(mode, "AWS::RDS::DBInstance").items():
        assert instance["Properties"]["PubliclyAccessible"] is False, name
    for name, subnet in resources(mode, "AWS::EC2::Subnet").items():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False, name


@pytest.mark.parametrize("mode", MODES)
def test_every_bucket_refuses_plain_http_and_logs_access_or_says_why_not(mode):
    policies = {p["Properties"]["Bucket"]["Ref"]: p for p in resources(mode, "AWS::S3::BucketPolicy").values()}
    for name, bucket in resources(mode, "AWS::S3::Bucket").items():
        (deny,) = [s for s in policies[name]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Action"] == "s3:*", name
        assert {json.dumps(r) for r in deny["Resource"]} == {
            json.dumps({"Fn::GetAtt": [name, "Arn"]}),
            json.dumps({"Fn::Sub": f"${{{name}.Arn}}/*"}),
        }
        skips = {skip["id"]: skip["comment"] for skip in bucket.get("Metadata", {}).get("checkov", {}).get("skip", [])}
        assert "LoggingConfiguration" in bucket["Properties"] or skips.get("CKV_AWS_18"), name


@pytest.mark.parametrize("mode", MODES)
def test_storage_is_encrypted(mode):
    for name, bucket in resources(mode, "AWS::S3::Bucket").items():
        assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
    for name, cluster in resources(mode, "AWS::RDS::DBCluster").items():
        assert cluster["Properties"]["StorageEncrypted"] is True, name
    for name, queue in resources(mode, "AWS::SQS::Queue").items():
        assert queue["Properties"].get("SqsManagedSseEnabled") or queue["Properties"].get("KmsMasterKeyId"), name
    for name, topic in resources(mode, "AWS::SNS::Topic").items():
        assert topic["Properties"]["KmsMasterKeyId"], name


# -- The database --------------------------------------------------------------------------------------------------


def test_the_database_is_aurora_serverless_v2_that_snapshots_on_delete_and_is_protected():
    (cluster,) = resources("full-stack", "AWS::RDS::DBCluster").values()
    assert (cluster["DeletionPolicy"], cluster["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")
    properties = cluster["Properties"]
    assert properties["Engine"] == "aurora-postgresql" and int(properties["EngineVersion"].split(".")[0]) >= 16
    assert properties["DeletionProtection"] == {"Ref": "DatabaseDeletionProtection"}
    assert properties["BackupRetentionPeriod"] == {"Ref": "DatabaseBackupRetentionDays"}
    scaling = properties["ServerlessV2ScalingConfiguration"]
    assert scaling["MinCapacity"] == {"Ref": "DatabaseMinCapacity"}
    parameters = deployed("full-stack")["Parameters"]
    assert parameters["DatabaseMinCapacity"]["Default"] == 0, "an idle library pays for storage only"
    assert parameters["DatabaseDeletionProtection"]["Default"] == "true"
    # Credentials generated by Secrets Manager, resolved by CloudFormation: never a literal.
    assert "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}" in json.dumps(properties)


def test_the_functions_reach_the_database_only_through_the_proxy_and_the_proxy_requires_tls():
    (proxy,) = resources("full-stack", "AWS::RDS::DBProxy").values()
    assert proxy["Properties"]["RequireTLS"] is True
    (parameters,) = resources("full-stack", "AWS::RDS::DBClusterParameterGroup").values()
    assert parameters["Properties"]["Parameters"]["rds.force_ssl"] == "1"
    for name, function in functions("full-stack").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["DB_HOST"] == {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}, name
        assert "DB_CA_BUNDLE" not in variables, name
    for name, function in functions("bring-your-own").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["DB_CA_BUNDLE"] == {"Ref": "DatabaseCaBundle"}, name


def test_reserved_concurrency_never_asks_the_proxy_for_more_connections_than_its_pool():
    """The README's arithmetic: DB_CONNECTIONS per container (1 but for the uploads function), so the functions that
    use the database may together hold at most the proxy's pool at the default maximum ACUs."""
    parameters = deployed("full-stack")["Parameters"]
    max_acu = parameters["DatabaseMaxCapacity"]["Default"]
    # Aurora PostgreSQL: max_connections = DBInstanceClassMemory / 9,531,392; 2 GiB per ACU (an upper bound).
    max_connections = min(max_acu * 2 * 1024**3 // 9_531_392, 5000)
    (target_group,) = resources("full-stack", "AWS::RDS::DBProxyTargetGroup").values()
    pool = (
        max_connections * target_group["Properties"]["ConnectionPoolConfigurationInfo"]["MaxConnectionsPercent"] // 100
    )
    per_api_function = parameters["ApiFunctionConcurrency"]["Default"]
    total = 0
    for name, function in functions("full-stack").items():
        if "DB_SECRET_ARN" not in function["Properties"]["Environment"]["Variables"]:
            continue
        reserved = function["Properties"].get("ReservedConcurrentExecutions")
        assert reserved is not None, f"{name} has no reserved concurrency: it could take every connection"
        containers = per_api_function if reserved == {"Ref": "ApiFunctionConcurrency"} else reserved
        total += containers * int(function["Properties"]["Environment"]["Variables"].get("DB_CONNECTIONS", 1))
    assert total <= pool, (total, pool)


# -- Signing keys ---------------------------------------------------------------------------------------------------


def test_the_signing_key_is_generated_by_the_custom_resource_and_never_output():
    (keys,) = resources("full-stack", "Custom::SigningKeys").values()
    assert keys["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["SigningKeysFunction", "Arn"]}
    assert keys["Properties"]["Generation"] == {"Ref": "SigningKeyGeneration"}
    auth = functions("full-stack")["AuthFunction"]["Properties"]["Environment"]["Variables"]
    assert auth["JWT_SIGNING_SECRET_ARN"] == {"Fn::GetAtt": ["SigningKeys", "SigningSecretArn"]}
    authorizer = functions("full-stack")["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    assert authorizer["JWT_PUBLIC_KEYS_SECRET_ARN"] == {"Fn::GetAtt": ["SigningKeys", "PublicKeysSecretArn"]}
    # No key in its environment: empty, declared only so that `sam local`'s env.json may set it.
    assert authorizer.get("JWT_PUBLIC_KEYS", "") == ""
    for mode in MODES:
        values = json.dumps([output["Value"] for output in deployed(mode)["Outputs"].values()])
        assert "SecretString" not in values and "resolve:secretsmanager" not in values


def test_bring_your_own_key_reaches_auth_and_the_authorizer_as_before():
    variables = {name: f["Properties"]["Environment"]["Variables"] for name, f in functions("bring-your-own").items()}
    assert variables["AuthFunction"]["JWT_SIGNING_SECRET_ARN"] == {"Ref": "JwtSigningSecretArn"}
    assert variables["AuthorizerFunction"]["JWT_PUBLIC_KEYS"] == {"Ref": "JwtPublicKeys"}


# -- Roles ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_role_is_scoped_to_named_resources(mode):
    for name, role in resources(mode, "AWS::IAM::Role").items():
        for statement in statements(role):
            if statement["Effect"] != "Allow":
                continue
            resources_named = _as_list(statement["Resource"])
            if "*" in resources_named:
                assert set(_as_list(statement["Action"])) <= UNSCOPABLE_ACTIONS, (name, statement)
            for action in _as_list(statement["Action"]):
                assert not action.endswith(":*") and action != "*", (name, action)
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            policy = (arn["Fn::Sub"] if isinstance(arn, dict) else arn).split(":policy/")[1]
            assert policy in ALLOWED_MANAGED_POLICIES, (name, policy)


# -- Logs, alarms, dashboard ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_function_logs_json_to_its_own_log_group_with_the_retention_parameter(mode):
    groups = resources(mode, "AWS::Logs::LogGroup")
    used = set()
    for name, function in functions(mode).items():
        logging = function["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", name
        group = logging["LogGroup"]["Ref"]
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        used.add(group)
    assert len(used) == len(functions(mode)), "one log group per function"


@pytest.mark.parametrize("mode", MODES)
def test_every_function_has_an_alarm_on_its_errors_and_throttles(mode):
    alarms = resources(mode, "AWS::CloudWatch::Alarm")
    for name in functions(mode):
        watching = []
        for alarm in alarms.values():
            metrics = [m["MetricStat"]["Metric"] for m in alarm["Properties"].get("Metrics", []) if "MetricStat" in m]
            named = {
                m["MetricName"] for m in metrics if {"Name": "FunctionName", "Value": {"Ref": name}} in m["Dimensions"]
            }
            if {"Errors", "Throttles"} <= named:
                watching.append(alarm)
        assert watching, f"{name} has no alarm on its errors and throttles"
        assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in watching), name


def test_the_operations_alarms_exist():
    alarms = resources("full-stack", "AWS::CloudWatch::Alarm")
    watched = {
        json.dumps(alarm["Properties"].get("MetricName") or alarm["Properties"]["Metrics"]) for alarm in alarms.values()
    }
    text = " ".join(watched)
    for metric in (
        "5XXError",
        "Latency",
        "ApproximateNumberOfMessagesVisible",
        "MaxDatabaseConnectionsAllowed",
        "ACUUtilization",
    ):
        assert metric in text, metric
    assert "DeliveryRunFailingAlarm" in alarms
    assert (
        not {"ProxyConnectionsAlarm", "DatabaseCapacityAlarm"}
        & resources("bring-your-own", "AWS::CloudWatch::Alarm").keys()
    )


def test_the_alarm_email_is_subscribed_only_when_given():
    assert not resources("full-stack", "AWS::SNS::Subscription")
    (subscription,) = resources("full-stack", "AWS::SNS::Subscription", AlarmEmail="it@library.example").values()
    assert subscription["Properties"]["Protocol"] == "email"


@pytest.mark.parametrize("mode", MODES)
def test_the_dashboard_is_valid_json_with_the_business_metrics(mode):
    (dashboard,) = resources(mode, "AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    body = "".join(
        p if isinstance(p, str) else (p["Fn::Sub"] if isinstance(p["Fn::Sub"], str) else p["Fn::Sub"][0]) for p in parts
    )
    widgets = json.loads(re.sub(r"\$\{([^}]+)\}", "0", body))["widgets"]
    text = json.dumps(widgets)
    for metric in ("LoansBorrowed", "LoansReturned", "LoginsSucceeded", "NoticesSent", "5XXError"):
        assert metric in text, metric
    assert ("ACUUtilization" in text) == (mode == "full-stack")


# -- API Gateway: throttling, access logs, WAF -----------------------------------------------------------------------


def _stage(mode: str = "full-stack", **extra: str) -> dict[str, Any]:
    (stage,) = resources(mode, "AWS::ApiGateway::Stage", **extra).values()
    return stage["Properties"]


def test_the_stage_is_throttled_and_the_sensitive_routes_more_strictly():
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in _stage()["MethodSettings"]}
    stage_wide = settings[("*", "/*")]
    assert (stage_wide["ThrottlingRateLimit"], stage_wide["ThrottlingBurstLimit"]) == (
        {"Ref": "ApiThrottleRate"},
        {"Ref": "ApiThrottleBurst"},
    )
    routes = {(route.method, route.path) for route in template.load().routes}
    for method, path in SENSITIVE_ROUTES & routes:
        strict = settings[(method, "/" + path.replace("/", "~1"))]
        assert strict["ThrottlingRateLimit"] == {"Ref": "SensitiveRouteRate"}, path
        assert strict["ThrottlingBurstLimit"] == {"Ref": "SensitiveRouteBurst"}, path
    stricter = {(m, p[1:].replace("~1", "/")) for m, p in settings if m != "*"}
    assert stricter <= routes, f"a limit on a route that does not exist: {stricter - routes}"
    assert {("POST", "/auth/login"), ("POST", "/auth"), ("POST", "/library/chat")} <= stricter


def test_access_logs_are_json_with_what_an_operator_needs():
    access = _stage()["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    record = json.loads(access["Format"])
    variables = set(record.values())
    for needed in (
        "$context.requestId",
        "$context.identity.sourceIp",
        "$context.authorizer.principalId",
        "$context.httpMethod",
        "$context.path",
        "$context.status",
        "$context.responseLatency",
        "$context.integrationLatency",
        "$context.authorizer.error",
    ):
        assert needed in variables, needed
    (group,) = [g for n, g in resources("full-stack", "AWS::Logs::LogGroup").items() if n == "ApiAccessLogGroup"]
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_waf_only_when_enabled_with_the_common_rules_and_a_rate_limit_per_ip():
    assert not resources("full-stack", "AWS::WAFv2::WebACL")
    (acl,) = resources("full-stack", "AWS::WAFv2::WebACL", EnableWaf="true").values()
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    assert rules["RateLimitPerClientIp"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert rules["AwsCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]["Name"] == "AWSManagedRulesCommonRuleSet"
    (association,) = resources("full-stack", "AWS::WAFv2::WebACLAssociation", EnableWaf="true").values()
    assert "LibraryApi" in refs(association)


# -- checkov skips carry their reasons ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_checkov_skip_says_why(mode):
    for name, resource in deployed(mode)["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]) and len(skip.get("comment", "")) > 20, (name, skip)
