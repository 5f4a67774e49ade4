"""The platform-message interface, exercised through a test double of a marketplace messenger."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from lanshou.notifications.channels import Channel, MessageRejected
from lanshou.notifications.channels.platform import PlatformChannel, PlatformSendResult
from lanshou.notifications.model import ChannelKind, Message, Outcome


@dataclass
class FakeMessenger:
    """Accepts known buyers, throttles one, refuses the rest — as a marketplace IM API would."""

    platform: str = "douyin"
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send_buyer_message(self, buyer_ref: str, text: str, *, idempotency_key: str) -> PlatformSendResult:
        if buyer_ref == "busy":
            return PlatformSendResult(False, retryable=True, code="rate_limit", detail="too many")
        if buyer_ref.startswith("open-"):
            self.sent.append((buyer_ref, text, idempotency_key))
            return PlatformSendResult(True, message_id=f"m{len(self.sent)}")
        return PlatformSendResult(False, code="no_session", detail="buyer never contacted the shop")


def test_platform_channel_maps_each_buyer_result() -> None:
    messenger = FakeMessenger()
    channel = PlatformChannel(messenger)
    assert isinstance(channel, Channel)
    message = Message("k1", ChannelKind.PLATFORM, ("open-1", "busy", "stranger"), text="已发货")
    results = channel.send(message)
    assert [(r.recipient, r.outcome, r.provider_id, r.code) for r in results] == [
        ("open-1", Outcome.SENT, "m1", ""),
        ("busy", Outcome.RETRYABLE, "", "rate_limit"),
        ("stranger", Outcome.PERMANENT, "", "no_session"),
    ]
    assert messenger.sent == [("open-1", "已发货", "k1")]
    with pytest.raises(MessageRejected):
        channel.send(Message("k1", ChannelKind.SMS, ("open-1",), text="x"))
