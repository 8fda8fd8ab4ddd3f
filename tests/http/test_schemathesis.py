"""Property-based tests of the running local API against its own /openapi.json: no 5xx, and every response
(status, content type, body) matches what the document says. Bounded examples per operation keep it quick."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devtools import openapi

pytestmark = pytest.mark.http

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def admin_headers(users):
    # An admin token reaches past the authorizer and every permission check, so the handlers themselves are fuzzed.
    return users.headers(users.create("admin"))


# The document the service function serves (a test elsewhere keeps it equal to the routes).
schema = schemathesis.openapi.from_path(openapi.DOCUMENT)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_document(case, local_api, admin_headers):
    case.call_and_validate(
        base_url=local_api,
        headers=admin_headers,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
