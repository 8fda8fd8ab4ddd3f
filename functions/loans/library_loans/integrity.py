"""Which database constraint a write broke, so a lost race becomes the same 409 as the check it raced."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def violated_constraint(error: IntegrityError) -> str | None:
    # pg8000 reports the server's error fields as a dict; "n" is the constraint name.
    fields = error.orig.args[0] if error.orig is not None and error.orig.args else None
    return fields.get("n") if isinstance(fields, dict) else None
