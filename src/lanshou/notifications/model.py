"""Notification vocabulary shared by templates, channels and the send policy (pure, no I/O)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from lanshou.customers.masking import mask_email, mask_phone


class Stage(enum.StrEnum):
    """The order and parcel stages a buyer can be told about."""

    ORDER_ACCEPTED = "order_accepted"
    ORDER_SHIPPED = "order_shipped"
    PICKED_UP = "picked_up"
    IN_TRANSIT_LONG = "in_transit_long"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    CAMPAIGN = "campaign"  # a message to a buyer segment (lanshou.notifications.campaigns), not a stage


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    PLATFORM = "platform"


LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class Message:
    """One rendered notification, ready for a channel.

    `key` is the idempotency key (policy.idempotency_key); channels pass it on where the provider supports
    one (webhook header, SMS SessionContext/OutId) so a retried request can be recognised downstream.
    SMS providers in China only send pre-approved templates: `template_id` names it and `template_params`
    carries its ordered (name, value) pairs; `text` is the full rendered text for previews and the log.
    """

    key: str
    channel: ChannelKind
    recipients: tuple[str, ...]
    text: str = ""
    subject: str = ""
    html: str | None = None
    template_id: str = ""
    template_params: tuple[tuple[str, str], ...] = ()
    data: Mapping[str, object] = field(default_factory=dict)


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRYABLE = "retryable"  # try again later: throttled, provider or network trouble
    PERMANENT = "permanent"  # never retry: bad number, refused address, bad credentials


@dataclass(frozen=True)
class DeliveryResult:
    """What the provider said about one recipient. HTTP 200 alone is never SENT."""

    recipient: str
    outcome: Outcome
    provider_id: str = ""
    code: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT

    @property
    def retryable(self) -> bool:
        return self.outcome is Outcome.RETRYABLE

    @property
    def masked_recipient(self) -> str:
        """The recipient as logs may show it: phone numbers masked, e-mail local part shortened."""
        return mask_recipient(self.recipient)


def mask_recipient(recipient: str) -> str:
    if "@" in recipient and not recipient.startswith(("http://", "https://")):
        return mask_email(recipient)
    if recipient.startswith(("http://", "https://")):
        return recipient
    return mask_phone(recipient)


def results_for_all(
    recipients: tuple[str, ...], outcome: Outcome, code: str, detail: str, provider_id: str = ""
) -> list[DeliveryResult]:
    """The same verdict for every recipient of a request (a whole request failed or succeeded)."""
    return [DeliveryResult(r, outcome, provider_id, code, detail) for r in recipients]
