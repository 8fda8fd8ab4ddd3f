"""`sam build` output works as Lambda runs it: each handler imported in a fresh interpreter with only its own
folder, the layer and the runtime's boto3 on sys.path, without importing boto3 at import time, and answering
one of its events where it has one that needs no AWS service."""

import json

import pytest

from devtools import build, template
from library_common import tokens

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return build.sam_build(tmp_path_factory.mktemp("sam-build"), native=True)


@pytest.mark.parametrize("logical_id", sorted(template.load().functions))
def test_every_built_handler_imports_alone_and_answers_an_event(build_dir, logical_id, database_url, data_dir):
    event = build.sample_event(logical_id)
    key = tokens.signing_key()
    environment = {
        "DATABASE_URL": database_url,
        "LIBRARY_DATA_DIR": str(data_dir),
        "JWT_PUBLIC_KEYS": json.dumps({key.kid: key.public_pem}),
    }
    if event is not None and event.get("type") == "TOKEN":
        event["authorizationToken"] = "Bearer " + tokens.issue_access_token(1, "admin", [])
    report = build.invoke_fresh(build_dir, logical_id, event, environment)
    assert report["boto3_at_import"] is False, "boto3 is imported at module level: import it where it is used"
    if event is None:
        return
    result = report["result"]
    assert "exception" not in result, result
    if event.get("type") == "TOKEN":
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    elif "statusCode" in result:
        assert result["statusCode"] < 500, result
        if result["multiValueHeaders"]["Content-Type"][0].startswith("application/json"):
            assert json.loads(result["body"])["status"] == result["statusCode"]
