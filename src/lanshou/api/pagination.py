"""Lists: `{"items": [...], "next": cursor}` with an opaque cursor (the position after the last item).

The cursor is base64url JSON. It is not signed: it only says where to continue, and every request is
scoped to the caller's shops again, so a forged cursor cannot reach anything more.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from lanshou.api.errors import ApiError

T = TypeVar("T")
P = TypeVar("P")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="cursor for the next page (pass as ?cursor=); null on the last page")


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, keys: dict[str, type]) -> dict[str, Any]:
    """The position a cursor holds, checked against the expected keys and types; 422 when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError):
        position = None
    if (
        not isinstance(position, dict)
        or set(position) != set(keys)
        or not all(type(position[key]) is kind for key, kind in keys.items())
    ):
        raise invalid_cursor()
    return position


def decode_position(
    cursor: str | None, keys: dict[str, type], position: Callable[[dict[str, Any]], P | None]
) -> P | None:
    """The position a keyset cursor holds (None without one), read by the list's `position` (its
    `from_cursor`); 422 when it is not one — an offset cursor of before, or a forged value."""
    if not cursor:
        return None
    found = position(decode_cursor(cursor, keys))
    if found is None:
        raise invalid_cursor()
    return found


def invalid_cursor() -> ApiError:
    return ApiError(422, "invalid_cursor", "分页游标无效 invalid cursor: pass the `next` of a previous page")
