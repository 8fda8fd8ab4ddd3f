"""TLS to the database: the stack's RDS Proxy is verified with the default trust store (no CA bundle to ship);
DB_CA_BUNDLE, for a database of your own, is the only CA trusted when set; loopback goes without TLS."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws
from sqlalchemy import event

from devtools import template
from library_common import db
from library_common.settings import load_settings

PROXY = "library-proxy.proxy-abcdefghijkl.us-east-1.rds.amazonaws.com"
# ACM's certificates, which RDS Proxy presents, chain to this root (cross-signed by Starfield's).
AMAZON_ROOT = ((("countryName", "US"),), (("organizationName", "Amazon"),), (("commonName", "Amazon Root CA 1"),))


def _ca_names(context: ssl.SSLContext) -> list[tuple]:
    return [certificate["subject"] for certificate in context.get_ca_certs()]


def test_the_full_stack_environment_gives_no_ca_bundle():
    functions = template.load().functions.values()
    assert all("DB_CA_BUNDLE" not in function.environment for function in functions)


def test_the_proxy_endpoint_gets_a_verifying_context_over_the_default_trust_store():
    context = db.tls_for(PROXY, load_settings({"DB_SECRET_ARN": "arn:secret", "DB_HOST": PROXY}))
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert _ca_names(context) == _ca_names(ssl.create_default_context()), "the default trust store, nothing added"
    assert AMAZON_ROOT in _ca_names(context)


def _self_signed_ca(path) -> tuple:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Library test database CA")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return ((("commonName", "Library test database CA"),),)


def test_bring_your_own_trusts_the_ca_bundle_it_names_and_only_it(tmp_path):
    db._tls_context.cache_clear()
    bundle = tmp_path / "rds-bundle.pem"
    subject = _self_signed_ca(bundle)
    settings = load_settings({"DB_SECRET_ARN": "arn:secret", "DB_HOST": "db.internal", "DB_CA_BUNDLE": str(bundle)})
    context = db.tls_for("db.internal", settings)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert _ca_names(context) == [subject]
    db._tls_context.cache_clear()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", None])
def test_loopback_and_sockets_go_without_tls(host):
    assert db.tls_for(host, load_settings({"DATABASE_URL": "postgresql://x/y"})) is False


class _Captured(Exception):
    pass


def _connect_parameters(engine) -> dict:
    """What the engine hands pg8000 at its next connect, captured before any network."""
    captured = {}

    @event.listens_for(engine, "do_connect")
    def capture(_dialect, _record, _args, parameters):
        captured.update(parameters)
        raise _Captured

    with pytest.raises(_Captured):
        engine.connect()
    event.remove(engine, "do_connect", capture)
    return captured


def test_a_database_url_asking_for_sslmode_disable_connects_without_tls(monkeypatch):
    """`sam local`'s env.json: the functions reach this machine's database on docker's bridge gateway, not on
    loopback, and that server has no certificate; the option itself is not handed to pg8000 (it has no such one)."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@172.17.0.1:31354/library?sslmode=disable")
    db.reset()
    captured = _connect_parameters(db.get_engine())
    db.reset()
    assert (captured["host"], captured["ssl_context"]) == ("172.17.0.1", False)
    assert "sslmode" not in captured


def test_the_engine_connects_to_the_proxy_with_that_context(monkeypatch):
    """Through the real engine: credentials from Secrets Manager (moto), the proxy host, and the verifying context
    handed to pg8000 (captured at the connect, before any network)."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_CA_BUNDLE", raising=False)
    DEFAULT_PROVIDERS.clear()
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(
            Name="library-db", SecretString=json.dumps({"username": "library_owner", "password": "generated"})
        )["ARN"]
        monkeypatch.setenv("DB_SECRET_ARN", arn)
        monkeypatch.setenv("DB_HOST", PROXY)
        db.reset()
        db._tls_context.cache_clear()
        captured = _connect_parameters(db.get_engine())
    db.reset()
    DEFAULT_PROVIDERS.clear()
    assert (captured["host"], captured["user"], captured["password"]) == (PROXY, "library_owner", "generated")
    context = captured["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert _ca_names(context) == _ca_names(ssl.create_default_context())
