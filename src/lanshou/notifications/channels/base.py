"""The channel interface and what every adapter shares."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import httpx

from lanshou.notifications.model import ChannelKind, DeliveryResult, Message, Outcome, results_for_all


class ChannelConfigError(ValueError):
    """A channel's settings are incomplete or contradictory (raised when the channel is built)."""


class MessageRejected(ValueError):
    """The message cannot go through this channel as it is (wrong channel, missing template id...)."""


@runtime_checkable
class Channel(Protocol):
    """Sends one message and reports, per recipient, sent / retryable / permanent.

    `send` never raises for a provider or network failure: those become results, so one bad number
    never sinks a batch. It raises MessageRejected only for a message that can never be sent here."""

    kind: ChannelKind

    def send(self, message: Message) -> list[DeliveryResult]: ...


def require(settings: object, *names: str) -> None:
    missing = [n for n in names if not getattr(settings, n)]
    if missing:
        kind = type(settings).__name__
        raise ChannelConfigError(f"配置不完整 incomplete {kind}: missing {', '.join(missing)}")


def check_message(message: Message, kind: ChannelKind) -> None:
    if message.channel is not kind:
        raise MessageRejected(f"拒绝 refused: {message.channel} message sent to the {kind} channel")
    if not message.recipients:
        raise MessageRejected("拒绝 refused: 没有收件人 message has no recipient")


def post(client: httpx.Client, request: httpx.Request) -> httpx.Response | str:
    """The only I/O of the HTTP adapters: the response, or a description of the network failure."""
    try:
        return client.send(request)
    except httpx.TimeoutException as exc:
        return f"timeout: {type(exc).__name__}"
    except httpx.TransportError as exc:
        return f"network error: {type(exc).__name__}: {exc}"


def network_failure(recipients: tuple[str, ...], problem: str) -> list[DeliveryResult]:
    return results_for_all(recipients, Outcome.RETRYABLE, "network", problem)


def retryable_status(status_code: int) -> bool:
    """HTTP answers worth another try: timeouts, throttling and server-side trouble."""
    return status_code in (408, 425, 429) or status_code >= 500


def unreadable_answer(recipients: tuple[str, ...], status_code: int, body: bytes) -> list[DeliveryResult]:
    """A provider answer that is not the documented JSON (an error page from a gateway, say)."""
    outcome = Outcome.RETRYABLE if retryable_status(status_code) else Outcome.PERMANENT
    return results_for_all(recipients, outcome, f"http_{status_code}", body[:200].decode(errors="replace"))
