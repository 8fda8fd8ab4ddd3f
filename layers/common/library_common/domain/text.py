"""What text the library stores.

A single-line field (a title, an author, a name, a code) holds no control character at all: a CR or LF in a
title would end up in an email header when a notice about the book is sent, and nothing shows such a field on
more than one line. Multi-line text (a description, a review) may hold tabs and line breaks, never the other
controls. NUL is refused everywhere: PostgreSQL text cannot hold it.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls and the Unicode line and paragraph separators; written with escapes that both
# Python's re and the JSON Schema validators (pydantic's Rust regex) read the same way.
_SINGLE_LINE_CLASS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
# The rule as a pattern, for fields whose constraints are declared (and documented) rather than coded.
SINGLE_LINE_PATTERN = rf"^[^{_SINGLE_LINE_CLASS}]*$"
_SINGLE_LINE_FORBIDDEN = re.compile(rf"[{_SINGLE_LINE_CLASS}]")
_MULTILINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SINGLE_LINE_PROBLEM = "must be a single line without control characters"
MULTILINE_PROBLEM = "must not contain control characters other than tabs and line breaks"


def single_line_problem(value: str) -> str | None:
    """Why `value` cannot be a single-line field, or None when it can."""
    return SINGLE_LINE_PROBLEM if _SINGLE_LINE_FORBIDDEN.search(value) else None


def multiline_problem(value: str) -> str | None:
    """Why `value` cannot be multi-line text, or None when it can."""
    return MULTILINE_PROBLEM if _MULTILINE_FORBIDDEN.search(value) else None
