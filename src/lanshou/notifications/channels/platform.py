"""Marketplace buyer messages (旺旺, 抖店 IM, 拼多多 chat): an interface only.

Each marketplace module implements `PlatformMessenger` with its own API client; `PlatformChannel` turns
it into a Channel. Recipients are the platform's buyer references (open ids), never phone numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lanshou.notifications.channels.base import check_message
from lanshou.notifications.model import ChannelKind, DeliveryResult, Message, Outcome


@dataclass(frozen=True)
class PlatformSendResult:
    accepted: bool
    message_id: str = ""
    retryable: bool = False  # when not accepted: may a later try succeed?
    code: str = ""
    detail: str = ""


class PlatformMessenger(Protocol):
    platform: str

    def send_buyer_message(self, buyer_ref: str, text: str, *, idempotency_key: str) -> PlatformSendResult:
        """Send `text` to one buyer; must not raise for API refusals (return them instead)."""
        ...


class PlatformChannel:
    kind = ChannelKind.PLATFORM

    def __init__(self, messenger: PlatformMessenger) -> None:
        self.messenger = messenger

    def send(self, message: Message) -> list[DeliveryResult]:
        check_message(message, self.kind)
        results = []
        for buyer in message.recipients:
            answer = self.messenger.send_buyer_message(buyer, message.text, idempotency_key=message.key)
            if answer.accepted:
                outcome = Outcome.SENT
            else:
                outcome = Outcome.RETRYABLE if answer.retryable else Outcome.PERMANENT
            results.append(DeliveryResult(buyer, outcome, answer.message_id, answer.code, answer.detail))
        return results
