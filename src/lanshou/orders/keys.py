"""Orders are keyed by (shop id, platform order number); queries take them a shop and a chunk at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

OrderKey = tuple[int, str]
CHUNK = 500  # order numbers per IN (...) list


def by_shop(keys: Sequence[OrderKey]) -> Iterator[tuple[int, list[str]]]:
    """(shop id, up to CHUNK order numbers of that shop), so each query can use the (shop, order) index."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for shop_id, order_no in keys:
        grouped[shop_id].append(order_no)
    for shop_id, numbers in grouped.items():
        for start in range(0, len(numbers), CHUNK):
            yield shop_id, numbers[start : start + CHUNK]
