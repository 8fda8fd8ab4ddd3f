"""What an account's email is: its shape, its length, and the form it is stored and matched in.

Emails are unique case-insensitively (uq_users_email_lower) and stored in lower case. Lower-casing may lengthen
text ('İ' becomes two characters), so the length limit holds for an email as sent and once lower-cased too.
Requests are checked by the auth schemas' Email types, the first admin's email (ADMIN_EMAIL) by the settings;
both by these definitions.
"""

from __future__ import annotations

import re

# users.email's length.
MAX_LENGTH = 320
# No whitespace or control character anywhere, one @ and a dot after it; Python's re and the JSON Schema
# validators (pydantic's Rust regex) read it alike.
PATTERN = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
_SHAPE = re.compile(PATTERN)
TOO_LONG_LOWERED = "must be at most {max_length} characters once in lower case"


class EmailTooLong(ValueError):
    """The email is past MAX_LENGTH once lower-cased."""


def lowered(email: str) -> str:
    """The email as it is stored and matched."""
    result = email.lower()
    if len(result) > MAX_LENGTH:
        raise EmailTooLong(TOO_LONG_LOWERED.format(max_length=MAX_LENGTH))
    return result


def as_stored(email: str) -> str:
    """An email given as it is, outside a request (the first admin's): stored as a registered one is; a
    ValueError saying why it cannot be an account's email."""
    if not _SHAPE.fullmatch(email):
        raise ValueError("must be an email address")
    if len(email) > MAX_LENGTH:
        raise ValueError(f"must be at most {MAX_LENGTH} characters")
    return lowered(email)
