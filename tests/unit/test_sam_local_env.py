"""env.json for `sam local`: SAM passes a function only the variables its template declares, so each one the local
run needs must be declared, and env.json must give every function the local database and the local key."""

from __future__ import annotations

import json

import pytest
import yaml

from devtools import cloudformation, template
from devtools.sam_local import env_json, stack
from devtools.template import TEMPLATE, _CloudFormationLoader
from library_common import tokens
from library_common.settings import get_settings

LOCAL_URL = "postgresql://postgres@172.17.0.1:31354/library?sslmode=disable"


@pytest.fixture(scope="module")
def translated():
    return cloudformation.translate({"AdminEmail": "a@example.org", "NoticesSender": "n@example.org"})


@pytest.fixture
def document(tmp_path):
    return env_json.environment(LOCAL_URL, tmp_path)


def _use_environment_of(logical_id: str, document: dict, monkeypatch) -> None:
    """The variables `sam local` hands the function: the template's, overridden by env.json's entries for it."""
    for variables in env_json.declared_variables().values():
        for name in variables:
            monkeypatch.delenv(name, raising=False)
    for name, value in {**template.load().functions[logical_id].environment, **document[logical_id]}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    tokens.clear_caches()


def test_every_function_gets_the_local_database_and_no_stack_resource(document):
    assert set(document) == set(env_json.declared_variables())
    for logical_id, variables in document.items():
        assert variables["DATABASE_URL"] == LOCAL_URL, logical_id
        assert variables["DB_SECRET_ARN"] == variables["DB_HOST"] == "", logical_id


def test_a_token_the_auth_function_signs_is_accepted_by_the_authorizer(document, monkeypatch):
    _use_environment_of("AuthFunction", document, monkeypatch)
    token = tokens.issue_access_token(7, "member", [])
    _use_environment_of("AuthorizerFunction", document, monkeypatch)
    assert get_settings().jwt_signing_key is None  # only the auth function holds the private key
    assert tokens.verify_access_token(token)["sub"] == "7"
    get_settings.cache_clear()
    tokens.clear_caches()


def test_the_key_is_the_one_make_run_signs_with(tmp_path, document):
    assert document["AuthFunction"]["JWT_SIGNING_KEY"] == (tmp_path / tokens.LOCAL_KEY_FILE).read_text()


def test_deployed_functions_run_on_the_architecture_parameter_arm64_by_default():
    parsed = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)
    assert parsed["Parameters"]["Architecture"]["Default"] == "arm64"
    assert parsed["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]
    layer = parsed["Resources"]["CommonLayer"]["Properties"]
    assert layer["CompatibleArchitectures"] == [{"Ref": "Architecture"}]


def _sam_routes(template_path) -> dict[str, str | None]:
    """{path: authorizer} as `sam local start-api` reads them from a template (its own provider)."""
    from samcli.lib.providers.api_provider import ApiProvider
    from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

    stacks, _ = SamLocalStackProvider.get_stacks(str(template_path), parameter_overrides={"Architecture": "x86_64"})
    return {route.path: route.authorizer_name for route in ApiProvider(stacks).api.routes}


def test_sam_local_runs_the_authorizer_on_the_local_build(tmp_path):
    """The deployment names the authorizer by its alias, which `sam local start-api` cannot resolve: it skips the
    authorizer and runs every route unauthorised. The local build names the function instead; where SAM would
    merge a public and a protected method into one route, both are left to the function's own token check."""
    built = tmp_path / "template.yaml"
    # Long-form intrinsics, as `sam build` writes them; JSON (YAML too) whatever mapping type SAM CLI's loader,
    # once imported, makes the YAML loaders produce.
    built.write_text(json.dumps(yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)))
    assert _sam_routes(built)["/loans"] is None
    mixed = stack.prepare_for_sam(built)
    routes = _sam_routes(built)
    assert routes["/loans"] == routes["/users"] == routes["/auth/logout"] == "LibraryAuthorizer"
    assert {"/auth", "/books"} <= set(mixed)
    assert routes["/auth"] is routes["/books"] is routes["/health"] is None


def test_every_api_function_verifies_tokens_with_the_published_keys(translated):
    """A token sent to a public route is honoured (library_common.api), so each API function verifies tokens: with
    the generated keys' secret, which its role may read, not a key of its own in /tmp (which refuses every token)."""
    resources = translated["Resources"]
    # The console serves static files and reads no token.
    api_functions = {route.function for route in template.load().routes if not route.authorized} - {"ConsoleFunction"}
    assert api_functions >= {"AuthFunction", "BooksFunction", "LoansFunction", "ServiceFunction"}
    for logical_id in sorted(api_functions):
        variables = resources[logical_id]["Properties"]["Environment"]["Variables"]
        assert "SigningKeys" in json.dumps(variables["JWT_PUBLIC_KEYS_SECRET_ARN"]), logical_id
        role = resources[resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]]
        assert '{"Ref": "PublicKeysSecret"}' in json.dumps(role["Properties"]["Policies"]), logical_id
