"""What connectors send and receive, as plain values: request builders return these, parsers take these."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class FormRequest:
    """An application/x-www-form-urlencoded POST."""

    url: str
    form: dict[str, str]


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    text: str


class TransportError(Exception):
    """The request got no HTTP answer (network, timeout, TLS)."""


class FormPoster(Protocol):
    """What a connector's client needs from a transport: `carriers.transport.FormTransport` in life."""

    def post(self, request: FormRequest) -> HttpReply:
        """The reply, or TransportError."""
        ...


def compact_json(value: Any) -> str:
    """JSON as providers sign it: no spaces, Chinese as written, keys in the order given."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object a text holds, or None when it holds anything else (or nothing readable)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def text_of(value: object) -> str:
    """A provider field as text: providers document strings but some send numbers; absent is ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
