"""Secrets Manager's GetSecretValue over HTTPS with the standard library: one signed POST, no boto3.

Only the authorizer uses it, to read the public keys at cold start. Importing boto3 and creating a client costs
about 240 ms here, three times the authorizer's whole cold start; http.client (with ssl) costs about a tenth of
that, plus the round trip (bench/results/cold_start.md). Functions that already pay for boto3 keep using
Powertools' `get_secret`.

The request is Signature Version 4 (the `secretsmanager` service, the function's Region and its role's
temporary credentials from the environment Lambda sets). `AWS_ENDPOINT_URL_SECRETS_MANAGER` or
`AWS_ENDPOINT_URL` replace the endpoint as they do for the SDKs (tests point them at moto's server).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

SERVICE = "secretsmanager"
TARGET = "secretsmanager.GetSecretValue"
CONTENT_TYPE = "application/x-amz-json-1.1"
TIMEOUT_SECONDS = 5


class SecretReadError(RuntimeError):
    """Secrets Manager refused the request or could not be reached."""


def _endpoint(environ: Mapping[str, str], region: str) -> str:
    return (
        environ.get("AWS_ENDPOINT_URL_SECRETS_MANAGER")
        or environ.get("AWS_ENDPOINT_URL")
        or f"https://secretsmanager.{region}.amazonaws.com"
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signed_headers(url: str, body: bytes, environ: Mapping[str, str], region: str, now: datetime) -> dict[str, str]:
    """The headers of a SigV4-signed POST of `body` to `url` (the SDKs' canonical form, for one JSON action)."""
    host = urlsplit(url).netloc
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-type": CONTENT_TYPE, "host": host, "x-amz-date": amz_date, "x-amz-target": TARGET}
    if environ.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = environ["AWS_SESSION_TOKEN"]
    names = sorted(headers)
    canonical = "\n".join(
        [
            "POST",
            urlsplit(url).path or "/",
            "",
            "".join(f"{name}:{headers[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{SERVICE}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (amz_date[:8], region, SERVICE, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={environ['AWS_ACCESS_KEY_ID']}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return headers


def get_secret_string(secret_id: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret's current SecretString."""
    environ = os.environ if environ is None else environ
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    url = _endpoint(environ, region).rstrip("/") + "/"
    body = json.dumps({"SecretId": secret_id}).encode()
    headers = signed_headers(url, body, environ, region, datetime.now(UTC))
    parts = urlsplit(url)
    # HTTPS with the default context (certificates verified); plain HTTP only for a test endpoint such as moto's.
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.netloc, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", parts.path or "/", body=body, headers=headers)
        reply = connection.getresponse()
        payload = reply.read()
    except OSError as error:
        raise SecretReadError(f"GetSecretValue {secret_id}: {error}") from None
    finally:
        connection.close()
    if reply.status != 200:
        detail = payload.decode(errors="replace")[:300]
        raise SecretReadError(f"GetSecretValue {secret_id}: HTTP {reply.status} {detail}")
    try:
        return json.loads(payload)["SecretString"]
    except (KeyError, ValueError) as error:
        raise SecretReadError(f"GetSecretValue {secret_id}: unexpected answer ({error})") from None
