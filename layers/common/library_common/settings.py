"""The one typed settings object, read from the environment and validated once per cold start.

A frozen dataclass rather than a pydantic model: the authorizer reads it too, and its cold start
cannot afford pydantic's import.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from library_common.domain import emails
from library_common.money import ISO_4217

_ZONE_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")


class SettingsError(RuntimeError):
    """The environment does not describe a usable deployment; raised at cold start, never per request."""


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    # Either a full SQLAlchemy URL (local runs, tests) or the RDS pieces plus a Secrets Manager secret.
    database_url: str | None = None
    db_secret_arn: str | None = None
    db_host: str | None = None
    db_port: int = 5432
    db_name: str = "library"
    # Connections one container may hold at once: 1 (a Lambda container serves one request at a time), more only
    # where a function needs two transactions open together. The README's connection arithmetic counts these.
    db_connections: int = 1
    # Bring-your-own database only: RDS/Aurora server certificates chain to Amazon's RDS CAs, not the public roots,
    # so point this at the RDS CA bundle shipped in the layer. The stack's own RDS Proxy presents an ACM certificate
    # that the default trust store verifies, so a full-stack deployment leaves it unset.
    db_ca_bundle: str | None = None
    # pg8000's socket timeout, for connecting and for each wait on the server: a half-dead proxy or network then
    # ends in a 503 instead of hanging the function until Lambda kills it. Under the API functions' 25 s timeout,
    # above the ~15 s an idle Aurora takes to resume; functions with long statements (the jobs, imports,
    # migrations) set more, under their own timeouts.
    db_timeout_seconds: int = 20

    jwt_issuer: str = "library-api"
    jwt_audience: str = "library-clients"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 14
    # AWS: a Secrets Manager secret holding the Ed25519 signing key (PEM); locally a file under data_dir.
    jwt_signing_secret_arn: str | None = None
    # `sam local` only (env.json): the local key's PEM itself, as a container cannot read the key file under .data.
    jwt_signing_key: str | None = None
    # JSON object {kid: public PEM}; when unset the public key is derived from the signing key.
    jwt_public_keys: str | None = None
    # AWS, full stack: a Secrets Manager secret holding that JSON object, kept by the signing-keys function; read by
    # the authorizer at cold start and again when a token names a key it does not know (a rotation).
    jwt_public_keys_secret_arn: str | None = None

    auto_activate_members: bool = False
    data_dir: Path = Path(".data")
    covers_bucket: str | None = None
    imports_bucket: str | None = None
    notices_sender: str | None = None
    # How many days before the due date a loan's due-soon notice goes out (the reminders function's daily job).
    due_soon_days: int = 2
    # The library's time zone (an IANA name): its days decide overdue loans, fines, due dates and reports.
    library_time_zone: str = "UTC"
    # The library's currency (an ISO 4217 code): how notices write its fines and fees.
    library_currency: str = "USD"
    # The first admin a deployment creates (the migrations function), and the secret holding their password.
    admin_email: str | None = None
    admin_password_secret_arn: str | None = None

    def __post_init__(self) -> None:
        if not self.database_url and not (self.db_secret_arn and self.db_host):
            raise SettingsError("set DATABASE_URL, or DB_SECRET_ARN and DB_HOST")
        if not 60 <= self.access_token_ttl_seconds <= 86_400:
            raise SettingsError("ACCESS_TOKEN_TTL_SECONDS must be between 60 and 86400")
        if not 1 <= self.refresh_token_ttl_days <= 365:
            raise SettingsError("REFRESH_TOKEN_TTL_DAYS must be between 1 and 365")
        if not 1 <= self.db_connections <= 5:
            raise SettingsError("DB_CONNECTIONS must be between 1 and 5")
        if not 1 <= self.db_timeout_seconds <= 900:
            raise SettingsError("DB_TIMEOUT_SECONDS must be between 1 and 900")
        if not 1 <= self.due_soon_days <= 30:
            raise SettingsError("DUE_SOON_DAYS must be between 1 and 30")
        _check_time_zone(self.library_time_zone)
        if self.library_currency not in ISO_4217:
            raise SettingsError(
                f"LIBRARY_CURRENCY must be an ISO 4217 currency code such as USD or EUR, not {self.library_currency!r}"
            )
        if self.admin_email is not None:
            object.__setattr__(self, "admin_email", admin_email(self.admin_email))
        if self.database_url:
            # Accept the plain libpq form and always use the pg8000 driver.
            for prefix in ("postgresql://", "postgres://"):
                if self.database_url.startswith(prefix):
                    object.__setattr__(self, "database_url", "postgresql+pg8000://" + self.database_url[len(prefix) :])


def admin_email(raw: str) -> str:
    """ADMIN_EMAIL, the first admin's email, as their account stores it: every account's email follows one rule
    (domain.emails), and a deployment or `make run` that breaks it stops here, not at the database."""
    try:
        return emails.as_stored(raw)
    except ValueError as problem:
        raise SettingsError(f"ADMIN_EMAIL {problem}, not {raw!r}") from None


def _check_time_zone(name: str) -> None:
    """An IANA zone name; where this Python has a time-zone database (the tzdata package, or the system's), a
    zone it knows. PostgreSQL, which does the day arithmetic, has its own copy of the same database."""
    problem = f"LIBRARY_TIME_ZONE must be an IANA time zone such as Europe/Paris, not {name!r}"
    if not _ZONE_SHAPE.fullmatch(name):
        raise SettingsError(problem)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        if zoneinfo.available_timezones():
            raise SettingsError(problem) from None


def _convert(name: str, raw: str, kind: str) -> object:
    if "bool" in kind:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    if "int" in kind:
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if "Path" in kind:
        return Path(raw)
    return raw


def _environment_name(field_name: str) -> str:
    return "LIBRARY_DATA_DIR" if field_name == "data_dir" else field_name.upper()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    values = {}
    for field in fields(Settings):
        raw = environ.get(_environment_name(field.name))
        # Empty strings are how SAM passes an unset optional parameter; treat them as unset.
        if raw:
            # The annotation's text ("int", "str | None"): typing.get_type_hints would evaluate every field's
            # annotation, ~2 M instructions of each cold start's first answer, to tell the same four kinds apart.
            values[field.name] = _convert(_environment_name(field.name), raw, str(field.type))
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
