"""Reads template.yaml into what the local API needs: functions, routes, the authorizer, gateway responses.

The template is the one source of truth: nothing about routes or auth is configured anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
LAYER_DIR = ROOT / "layers" / "common"


CORS_HEADERS = {
    "AllowOrigin": "Access-Control-Allow-Origin",
    "AllowHeaders": "Access-Control-Allow-Headers",
    "AllowMethods": "Access-Control-Allow-Methods",
}


class _CloudFormationLoader(yaml.SafeLoader):
    """Understands the short intrinsic forms (!Ref, !Sub, !GetAtt ...) as {"Ref": ...} / {"Fn::X": ...}."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    authorized: bool
    pattern: re.Pattern[str] = field(compare=False)

    @property
    def specificity(self) -> tuple[int, int]:
        # API Gateway prefers literal segments over {params}, and {params} over a greedy {proxy+}.
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        greedy = sum(1 for s in segments if s.endswith("+}"))
        return (-greedy, literal)


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    environment: dict[str, str]
    event_types: frozenset[str]


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Authorizer:
    function: str
    header: str
    ttl_seconds: int


@dataclass(frozen=True)
class Api:
    stage: str
    functions: dict[str, Function]
    routes: list[Route]
    authorizer: Authorizer | None
    gateway_responses: dict[str, GatewayResponse]
    cors_headers: dict[str, str]


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
        elif segment.startswith("{"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


class _Resolver:
    """Resolves the intrinsics the template uses, against parameter values."""

    def __init__(self, parameters: dict[str, Any]):
        self.parameters = parameters

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                name = argument.split(".")[0]
                return self.parameters.get(name)
            if key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self.parameters.get(m.group(1), "")), text)
            return None
        return value


def load(template_path: Path = TEMPLATE, parameter_overrides: dict[str, str] | None = None) -> Api:
    template = yaml.load(template_path.read_text(), Loader=_CloudFormationLoader)  # noqa: S506 - safe subclass
    parameters = {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}
    parameters.update(parameter_overrides or {})
    parameters.setdefault("AWS::Region", "us-east-1")
    resolve = _Resolver(parameters)

    function_globals = template.get("Globals", {}).get("Function", {})
    global_env = function_globals.get("Environment", {}).get("Variables", {})
    functions: dict[str, Function] = {}
    routes: list[Route] = []
    api_resource: dict[str, Any] = {}

    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Api":
            api_resource = properties
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        variables = {**global_env, **properties.get("Environment", {}).get("Variables", {})}
        environment = {}
        for name, raw in variables.items():
            value = resolve(raw)
            if value not in (None, ""):
                environment[name] = str(value)
        functions[logical_id] = Function(
            logical_id=logical_id,
            code_dir=(template_path.parent / properties["CodeUri"]).resolve(),
            handler=properties["Handler"],
            timeout=int(properties.get("Timeout", function_globals.get("Timeout", 3))),
            environment=environment,
            event_types=frozenset(event["Type"] for event in properties.get("Events", {}).values()),
        )
        for event in properties.get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            spec = event["Properties"]
            authorized = (spec.get("Auth") or {}).get("Authorizer") != "NONE"
            routes.append(
                Route(
                    method=spec["Method"].upper(),
                    path=spec["Path"],
                    function=logical_id,
                    authorized=authorized,
                    pattern=_path_pattern(spec["Path"]),
                )
            )

    auth = api_resource.get("Auth", {})
    authorizer = None
    if auth.get("DefaultAuthorizer"):
        spec = auth["Authorizers"][auth["DefaultAuthorizer"]]
        function_ref = spec["FunctionArn"]
        target = function_ref.get("Ref") or function_ref.get("Fn::GetAtt", [""])[0]
        authorizer = Authorizer(
            function=target.split(".")[0],
            header=spec.get("Identity", {}).get("Header", "Authorization"),
            ttl_seconds=int(spec.get("Identity", {}).get("ReauthorizeEvery", 300)),
        )
    else:
        routes = [Route(r.method, r.path, r.function, False, r.pattern) for r in routes]

    gateway_responses = {}
    for response_type, spec in api_resource.get("GatewayResponses", {}).items():
        headers = {
            name: str(resolve(value)).strip("'")
            for name, value in spec.get("ResponseParameters", {}).get("Headers", {}).items()
        }
        gateway_responses[response_type] = GatewayResponse(
            status=int(spec["StatusCode"]),
            body=spec.get("ResponseTemplates", {}).get("application/json", ""),
            headers={"Content-Type": "application/json", **headers},
        )

    cors = api_resource.get("Cors") or {}
    cors_headers = {
        header: str(resolve(cors[setting])).strip("'") for setting, header in CORS_HEADERS.items() if setting in cors
    }

    routes.sort(key=lambda r: r.specificity, reverse=True)
    return Api(
        stage=str(resolve(api_resource.get("StageName")) or "local"),
        functions=functions,
        routes=routes,
        authorizer=authorizer,
        gateway_responses=gateway_responses,
        cors_headers=cors_headers,
    )
