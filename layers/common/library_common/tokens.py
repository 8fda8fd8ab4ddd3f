"""Access tokens: EdDSA-signed JWTs with a `kid`, verified by the authorizer and issued by `auth`.

Only the `auth` function ever loads the private key; the authorizer needs the public keys alone.

pyjwt and cryptography are imported where a token is signed or verified, not with this module: pyjwt's import
pulls in cryptography's X.509 stack (~40 ms), which the `auth` function's routes other than login and refresh
never need.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from library_common.settings import Settings, get_settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
ACCESS = "access"
LOCAL_KEY_FILE = "jwt-signing-key.pem"
# How long a container signs with the key it read before reading the secret again. A rotation is therefore in
# use everywhere within this time, and the old public key must stay published this long plus one token lifetime.
SIGNING_KEY_MAX_AGE_SECONDS = 300
# Public keys read from their secret: reread after this long, or sooner when a token names an unknown key
# (a rotation just published it), but never more often than every REREAD_UNKNOWN_KID_SECONDS.
PUBLIC_KEYS_MAX_AGE_SECONDS = 300
REREAD_UNKNOWN_KID_SECONDS = 10


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or not an access token."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )


def _key_id(private_key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()[:16]


@lru_cache(maxsize=2)
def load_signing_key(pem: str) -> SigningKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError("the JWT signing key must be an Ed25519 private key")
    return SigningKey(kid=_key_id(private_key), private_key=private_key)


def generate_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )


@lru_cache(maxsize=1)
def _local_key(data_dir: Path) -> SigningKey:
    path = data_dir / LOCAL_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_pem())
        path.chmod(0o600)
    return load_signing_key(path.read_text())


def signing_key() -> SigningKey:
    settings = get_settings()
    if settings.jwt_signing_secret_arn:
        from aws_lambda_powertools.utilities.parameters import get_secret

        # Powertools keeps the secret's text for max_age; the parsed key is kept per text (load_signing_key).
        return load_signing_key(get_secret(settings.jwt_signing_secret_arn, max_age=SIGNING_KEY_MAX_AGE_SECONDS))
    if settings.jwt_signing_key:
        return load_signing_key(settings.jwt_signing_key)
    return _local_key(settings.data_dir)


def parse_public_keys(document: str) -> dict[str, Ed25519PublicKey]:
    """{kid: public PEM} as JSON, the form of JWT_PUBLIC_KEYS and of the published public-keys secret."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys = {}
    for kid, pem in json.loads(document).items():
        public_key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(public_key, Ed25519PublicKey):
            raise ValueError(f"public key {kid} is not an Ed25519 key")
        keys[kid] = public_key
    return keys


def _public_keys(settings: Settings) -> dict[str, Ed25519PublicKey]:
    if settings.jwt_public_keys_secret_arn:
        from library_common import secret_reader

        return parse_public_keys(secret_reader.get_secret_string(settings.jwt_public_keys_secret_arn))
    if settings.jwt_public_keys:
        return parse_public_keys(settings.jwt_public_keys)
    key = signing_key()
    return parse_public_keys(json.dumps({key.kid: key.public_pem}))


class _PublishedKeys:
    """The accepted public keys, reread from their source when old or when a token names a key not among them."""

    def __init__(self) -> None:
        self._keys: dict[str, Ed25519PublicKey] | None = None
        self._read_at = 0.0

    def get(self, kid: str) -> Ed25519PublicKey | None:
        age = time.monotonic() - self._read_at
        stale = self._keys is None or age > PUBLIC_KEYS_MAX_AGE_SECONDS
        if stale or (kid not in self._keys and age > REREAD_UNKNOWN_KID_SECONDS):
            self._read()
        return self._keys.get(kid) if self._keys is not None else None

    def _read(self) -> None:
        self._keys = _public_keys(get_settings())
        self._read_at = time.monotonic()

    def cache_clear(self) -> None:
        self._keys = None
        self._read_at = 0.0


public_keys = _PublishedKeys()


def clear_caches() -> None:
    """Forget every key read so far (tests and benchmarks that change the settings)."""
    load_signing_key.cache_clear()
    _local_key.cache_clear()
    public_keys.cache_clear()


# Claim set while the account must change its password (the first admin): only that change is allowed.
PASSWORD_CHANGE_CLAIM = "pwc"


# The user's token version when the token was issued; the functions refuse a token whose version is not current.
VERSION_CLAIM = "ver"


def issue_access_token(
    user_id: int,
    role: str,
    permissions: list[str],
    now: float | None = None,
    *,
    token_version: int = 0,
    must_change_password: bool = False,
) -> str:
    import jwt

    settings = get_settings()
    key = signing_key()
    issued_at = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "perms": sorted(permissions),
        "type": ACCESS,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued_at,
        "exp": issued_at + settings.access_token_ttl_seconds,
        VERSION_CLAIM: token_version,
    }
    if must_change_password:
        claims[PASSWORD_CHANGE_CLAIM] = True
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify_access_token(token: str) -> dict[str, Any]:
    import jwt

    settings = get_settings()
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = public_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown signing key")
        # The algorithm list is fixed here, never taken from the token: that rules out `none` and HS256-with-public-key.
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "type"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    if claims.get("type") != ACCESS:
        raise InvalidToken("not an access token")
    if not str(claims["sub"]).isdigit():
        raise InvalidToken("malformed subject")
    return claims


def bearer_token(header_value: str | None) -> str | None:
    if not header_value:
        return None
    scheme, _, token = header_value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected 'Bearer <token>'")
    return token.strip()
