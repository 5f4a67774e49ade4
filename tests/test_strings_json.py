"""`strings_json` writes exactly the text json.dumps(…, ensure_ascii=False) writes: the kept miss and queue
rows' SKU and category lists stay in one form whichever code wrote them."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from lanshou.metrics.miss_store import strings_json


@given(st.lists(st.text()))
def test_same_text_as_json_dumps(values: list[str]) -> None:
    assert strings_json(values) == json.dumps(values, ensure_ascii=False)
    assert strings_json(tuple(values)) == json.dumps(values, ensure_ascii=False)
    assert json.loads(strings_json(values)) == values


def test_awkward_strings() -> None:
    values = ['"', "\\", "\n\x00\x1f", "\u2028中文", "😀", "", "a, b"]
    assert strings_json(values) == json.dumps(values, ensure_ascii=False)
    assert strings_json([]) == "[]"
