"""Lists: `{"items": [...], "next": cursor}` with an opaque cursor (the position after the last item).

The cursor is base64url JSON. It is not signed: it only says where to continue, and every request is
scoped to the caller's shops again, so a forged cursor cannot reach anything more.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from lanshou.api.errors import ApiError

T = TypeVar("T")


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


# an offset cursor's ceiling: the lists paged by offset read every row before the page, so a made-up huge
# offset would read the whole table (or overflow the database's integer) before answering
MAX_OFFSET = 100_000


def decode_offset(cursor: str | None) -> int:
    """The offset an offset cursor holds (0 without one); 422 when it is not one or out of range."""
    if not cursor:
        return 0
    offset: int = decode_cursor(cursor, {"offset": int})["offset"]
    if not 0 <= offset <= MAX_OFFSET:
        raise invalid_cursor()
    return offset


def invalid_cursor() -> ApiError:
    return ApiError(422, "invalid_cursor", "分页游标无效 invalid cursor: pass the `next` of a previous page")
