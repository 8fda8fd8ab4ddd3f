"""The authorizer's boto3-free GetSecretValue: signed exactly as botocore signs, and read from moto over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from library_common import secret_reader
from tests.aws_server import secrets_client

ENVIRON = {
    "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEFORTESTS",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLE//session",
}


@pytest.mark.parametrize("session_token", [True, False], ids=["role credentials", "user credentials"])
def test_the_signature_is_the_one_botocore_computes(session_token):
    environ = dict(ENVIRON) if session_token else {k: v for k, v in ENVIRON.items() if k != "AWS_SESSION_TOKEN"}
    url = "https://secretsmanager.eu-west-1.amazonaws.com/"
    body = b'{"SecretId": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:library-jwt-public-keys-AbCdEf"}'
    now = datetime(2026, 12, 2, 7, 30, 5, tzinfo=UTC)
    ours = secret_reader.signed_headers(url, body, environ, "eu-west-1", now)

    headers = {"Content-Type": secret_reader.CONTENT_TYPE, "X-Amz-Target": secret_reader.TARGET}
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    credentials = Credentials(
        environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"], environ.get("AWS_SESSION_TOKEN")
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=now.replace(tzinfo=None)):
        SigV4Auth(credentials, "secretsmanager", "eu-west-1").add_auth(request)
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"]
    assert ours.get("x-amz-security-token") == request.headers.get("X-Amz-Security-Token")


def test_it_reads_the_current_value_of_a_secret_over_http(moto_endpoint):
    client = secrets_client(moto_endpoint)
    arn = client.create_secret(Name="library-jwt-public-keys", SecretString='{"a": "first"}')["ARN"]
    client.put_secret_value(SecretId=arn, SecretString='{"b": "second"}')
    assert secret_reader.get_secret_string(arn) == '{"b": "second"}'


def test_a_missing_secret_is_an_error_naming_it(moto_endpoint):
    with pytest.raises(secret_reader.SecretReadError, match=r"no-such-secret: HTTP 4\d\d .*ResourceNotFoundException"):
        secret_reader.get_secret_string("no-such-secret")


def test_an_unreachable_endpoint_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(secret_reader.SecretReadError, match="library-keys"):
        secret_reader.get_secret_string("library-keys")
