"""moto as a real HTTP endpoint on loopback, for code that calls AWS without boto3 (the authorizer's secret read)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


@pytest.fixture
def moto_endpoint(monkeypatch) -> Iterator[str]:
    """The URL of a fresh moto server, which the environment's credentials, Region and endpoint now name."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps its state per process: start every test from an empty account.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    for name, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEFORTESTS",
        "AWS_SECRET_ACCESS_KEY": "secret-for-tests",
        "AWS_SESSION_TOKEN": "session-token-for-tests",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": url,
    }.items():
        monkeypatch.setenv(name, value)
    yield url
    server.stop()


def fake_credentials(monkeypatch, **variables: str) -> None:
    """The Region and credentials moto expects (never real ones), and any other variables a test needs."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **variables,
    }.items():
        monkeypatch.setenv(name, value)


def secrets_client(endpoint: str):
    return boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
