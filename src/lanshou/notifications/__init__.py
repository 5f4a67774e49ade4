"""Buyer notifications: sandboxed templates, channels (SMTP, Aliyun/Tencent SMS, webhook, platform) and
the pure send policy (idempotency, quiet hours, rate limit, retries, opt-out, message states)."""

from lanshou.notifications.compose import TemplateSet, compose_message, default_template_set, template_set
from lanshou.notifications.context import (
    BuyerFacts,
    ItemFacts,
    NotificationFacts,
    Personalisation,
    build_context,
    sample_facts,
)
from lanshou.notifications.model import ChannelKind, DeliveryResult, Message, Outcome, Stage
from lanshou.notifications.templates import (
    CompiledTemplate,
    TemplateFormat,
    TemplateRefused,
    TemplateRenderError,
    compile_template,
)

__all__ = [
    "BuyerFacts",
    "ChannelKind",
    "CompiledTemplate",
    "DeliveryResult",
    "ItemFacts",
    "Message",
    "NotificationFacts",
    "Outcome",
    "Personalisation",
    "Stage",
    "TemplateFormat",
    "TemplateRefused",
    "TemplateRenderError",
    "TemplateSet",
    "build_context",
    "compile_template",
    "compose_message",
    "default_template_set",
    "sample_facts",
    "template_set",
]
