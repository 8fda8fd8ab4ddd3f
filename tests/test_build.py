"""`sam build` output works as Lambda runs it: each handler imported in a fresh interpreter with only its own
folder and the layer on sys.path (no site-packages, so no boto3 either), answering one of its events."""

import json

import pytest

from devtools import build, template
from library_common import tokens

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return build.sam_build(tmp_path_factory.mktemp("sam-build"), native=True)


@pytest.mark.parametrize("logical_id", sorted(template.load().functions))
def test_every_built_handler_answers_one_event_in_a_fresh_interpreter(build_dir, logical_id, database_url, data_dir):
    event = build.sample_event(logical_id)
    key = tokens.signing_key()
    environment = {
        "DATABASE_URL": database_url,
        "LIBRARY_DATA_DIR": str(data_dir),
        "JWT_PUBLIC_KEYS": json.dumps({key.kid: key.public_pem}),
    }
    if event.get("type") == "TOKEN":
        event["authorizationToken"] = "Bearer " + tokens.issue_access_token(1, "admin", [])
    report = build.invoke_fresh(build_dir, logical_id, event, environment)
    result = report["result"]
    if event.get("type") == "TOKEN":
        assert result["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    else:
        assert result["statusCode"] < 500, result
        if result["multiValueHeaders"]["Content-Type"][0].startswith("application/json"):
            assert json.loads(result["body"])["status"] == result["statusCode"]
