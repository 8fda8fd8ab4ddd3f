"""Password hashing with Argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane).

The library default (64 MiB, t=3, p=4) costs ~150 ms of CPU per hash, paid on every login by a small Lambda.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# The hash of a random password nobody knows, at the parameters above (a unit test keeps them in step).
# A constant rather than computed at start-up: hashing would add an Argon2 run to every cold start.
_DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$DMElAYahCLfS23iVUZMgiQ$bFheBH0/BH6Oa9f/rhL4yi86OAVqZG3Kvikh06ku9vU"


def dummy_hash() -> str:
    """Verified against when the email is unknown, so both failures cost the same Argon2 work."""
    return _DUMMY_HASH
