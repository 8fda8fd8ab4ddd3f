"""What two answers to the same request must share: status and body, less what differs by nature (ids, clocks,
tokens, request ids)."""

from __future__ import annotations

import json
import re
from typing import Any

_VOLATILE_KEYS = re.compile(
    r"(^id$|_id$|_on$|_at$|^date$|_date$|token|^expires|^kid$|request|^url$|^upload_url$|^fields$|^reply$)"
)


def normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: "<varies>" if _VOLATILE_KEYS.search(key) else normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    return value


def body_of(text: str | bytes | None) -> Any:
    try:
        return json.loads(text or "null")
    except ValueError:
        return {"<not json>": len(text or "")}


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Human-readable paths where two normalised documents differ (empty when they agree)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual or key not in expected:
                found.append(f"{where}.{key}: only in {'local' if key in expected else 'SAM'}")
            else:
                found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        pairs = enumerate(zip(expected, actual, strict=True))
        return [found for i, (e, a) in pairs for found in differences(e, a, f"{where}[{i}]")]
    return [] if expected == actual else [f"{where or 'body'}: local {expected!r} != SAM {actual!r}"]
