"""Response bodies as JSON text (api.json_text, the resolver's serialiser): orjson where it writes the same values
as the standard serialiser, the standard serialiser for what orjson refuses."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from decimal import Decimal

import pytest
from aws_lambda_powertools.event_handler.api_gateway import _JSON_DUMP_CALL as STANDARD

from library_common.api import json_text


@dataclasses.dataclass
class Pair:
    name: str
    count: int


@pytest.mark.parametrize(
    "body",
    [
        {"status": 200, "message": "OK", "data": {"items": [{"id": 1, "rating": 4.25, "isbn": None, "ok": True}]}},
        {"amount": Decimal("2.50"), "title": "Café ☃ 東京"},
        {"pair": Pair("Ängel", 2)},
        {"ids": [1, 2**63 - 1], "empty": {}, "nothing": []},
    ],
)
def test_the_same_values_as_the_standard_serialiser(body):
    assert json.loads(json_text(body)) == json.loads(STANDARD(body))


def test_text_is_written_as_utf8_not_escaped():
    assert json_text({"title": "Café"}) == '{"title":"Café"}'


@pytest.mark.parametrize("body", [{"text": "\ud800"}, {"big": 2**70}, {1: "a key that is not a string"}])
def test_what_orjson_refuses_is_written_as_before(body):
    assert json_text(body) == STANDARD(body)


def test_a_value_neither_writes_is_still_refused():
    with pytest.raises(TypeError):
        json_text({"when": datetime(2026, 1, 1)})
