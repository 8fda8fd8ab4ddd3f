"""Property-based tests of the running local API against its own /openapi.json: no 5xx, and every response
(status, content type, body) matches what the document says, for a member, a librarian and an admin: every
operation on its own, then sequences that follow the document's links (a book created, then read, changed,
borrowed; the loan renewed, returned...). Bounded examples keep it quick."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance, unsupported_method

from devtools import openapi
from tests.test_circulation_support import add_book, assert_copies_add_up

pytestmark = pytest.mark.http

# Per operation and role: bounded for CI; `make bench` (bench/bench_fuzz.py) runs a bigger pass with FUZZ_EXAMPLES.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# Sequences of linked calls per role, and calls per sequence: bounded for CI, bigger with FUZZ_SEQUENCES.
SEQUENCES = int(os.environ.get("FUZZ_SEQUENCES", "15"))
STEPS_PER_SEQUENCE = 6
RUNS_AFTER_AN_INCONSISTENT_REPLAY = 2
ROLES = ("member", "librarian", "admin")
SEEDED_TITLES = ("Dune", "Emma", "Kindred")
REQUEST_TIMEOUT_SECONDS = 60
# The one documented 5xx a correct local deployment gives: uploads need S3 buckets, which `make run` has none of.
DOCUMENTED_UNAVAILABLE = (503, "STORAGE_NOT_CONFIGURED")


def no_server_error(ctx, response, case):
    """No 5xx, except the documented answer of a deployment without file storage."""
    if response.status_code < 500:
        return None
    try:
        code = response.json().get("code")
    except ValueError:
        code = None
    if (response.status_code, code) != DOCUMENTED_UNAVAILABLE:
        raise AssertionError(f"server error {response.status_code}: {response.text[:500]}")
    return None


@pytest.fixture(params=ROLES)
def caller_headers(request, users):
    """A caller of each role, its token obtained before the fuzzing starts (the fuzzer's own failed logins can then
    lock nobody out). An admin reaches past every permission check, so the handlers themselves are fuzzed; a member
    and a librarian meet the refusals."""
    return users.headers(users.create(request.param))


# The document the service function serves (a test elsewhere keeps it equal to the routes).
schema = schemathesis.openapi.from_path(openapi.DOCUMENT)
# Each request carries its caller's token (caller_headers): a case that left out or mangled the Authorization
# header would be sent with it all the same, and its other flaws judged as if it had none.
schema.config.generation.update(with_security_parameters=False)


# Every check schemathesis has (its CLI's `--checks all`) but these, which are wrong for this API by design:
EXCLUDED_CHECKS = {
    # Replaced by no_server_error, which allows the one documented 5xx.
    not_a_server_error,
    # A method a resource lacks: API Gateway's REST API answers it as a missing route (MISSING_AUTHENTICATION_TOKEN,
    # which template.yaml's gateway responses make a 404 ROUTE_NOT_FOUND in the envelope) and has no 405 with an
    # Allow header to give; the local API answers as API Gateway does.
    unsupported_method,
    allow_header_conformance,
    # "Data the document allows is accepted": the API refuses, with a 422 in the envelope, what JSON Schema cannot
    # say: an ISBN's check digit, a wrong or missing current password, a password too like its owner's name,
    # text PostgreSQL cannot store, a permission code that does not exist.
    positive_data_acceptance,
}
load_all_checks()
CHECKS = [no_server_error, *(check for check in REGISTERED_CHECKS.get_all() if check not in EXCLUDED_CHECKS)]


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_document(case, local_api, caller_headers):
    case.call_and_validate(
        base_url=local_api,
        headers=caller_headers,
        checks=CHECKS,
        # A worker's cold start on a loaded 2-core machine can pass schemathesis's default 10 s; a hang would not.
        timeout=REQUEST_TIMEOUT_SECONDS,
    )


def test_linked_sequences_have_no_server_errors_match_the_document_and_keep_the_copies_counted(
    local_api, caller_headers, engine, record_property
):
    for title in SEEDED_TITLES:  # something for a member's links to start from (the catalogue's first page)
        add_book(quantity=2, title=title)
    calls = _run_linked_sequences(local_api, caller_headers)
    record_property("linked_sequence_calls", calls.total)  # bench/bench_fuzz.py reports them
    record_property("calls_that_followed_a_link", calls.linked)
    assert not calls.failures, "\n\n".join(calls.failures[:5])
    assert_copies_add_up(engine)


class _Calls:
    def __init__(self):
        self.total = 0
        self.linked = 0
        self.failures: list[str] = []


def _run_linked_sequences(local_api, caller_headers) -> _Calls:
    """Sequences of calls that follow the document's links (schemathesis's state machine), each response checked.
    Failures are collected rather than raised: the database keeps what earlier sequences did, so a replay of a
    sequence cannot be expected to draw the same way (Hypothesis would report that as flaky, not as the failure);
    for the same reason only the generate phase runs, and an inconsistent replay starts a fresh run, as the
    schemathesis CLI does."""
    calls = _Calls()

    class LinkedCalls(schema.as_state_machine()):
        def step(self, step_input):
            calls.total += 1
            calls.linked += step_input.transition is not None and step_input.is_applied
            return super().step(step_input)

        def get_call_kwargs(self, case):
            return {"base_url": local_api, "headers": caller_headers, "timeout": REQUEST_TIMEOUT_SECONDS}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except Exception as failure:  # schemathesis's FailureGroup of failed checks, or our own AssertionError
                calls.failures.append(f"{case.as_curl_command()}\n{failure}")

    sequences = settings(
        max_examples=SEQUENCES,
        stateful_step_count=STEPS_PER_SEQUENCE,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    for _ in range(RUNS_AFTER_AN_INCONSISTENT_REPLAY + 1):
        try:
            LinkedCalls.run(settings=sequences)
            break
        except FlakyStrategyDefinition:
            continue
    return calls
