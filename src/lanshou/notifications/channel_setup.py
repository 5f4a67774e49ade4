"""A shop's channel settings (JSON in notify_settings.channels) → a Channel.

email:   {"host", "port", "sender", "security": starttls|ssl|none, "username", "password"}
webhook: {"url", "secret"}
sms:     {"provider": aliyun|tencent, ...the provider's settings..., "templates": {stage: template id}}
platform: needs a PlatformMessenger from the marketplace module (none is wired yet)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lanshou.notifications.channels.base import Channel, ChannelConfigError
from lanshou.notifications.channels.email import EmailChannel, EmailSettings
from lanshou.notifications.channels.platform import PlatformChannel, PlatformMessenger
from lanshou.notifications.channels.sms_aliyun import AliyunSmsChannel, AliyunSmsSettings
from lanshou.notifications.channels.sms_tencent import TencentSmsChannel, TencentSmsSettings
from lanshou.notifications.channels.webhook import WebhookChannel, WebhookSettings
from lanshou.notifications.model import ChannelKind

ChannelFactory = Callable[[ChannelKind, Mapping[str, Any]], Channel]
MessengerFactory = Callable[[Mapping[str, Any]], PlatformMessenger]
_MESSENGERS: dict[str, MessengerFactory] = {}


def register_messenger(platform: str, factory: MessengerFactory) -> None:
    """A marketplace module offers buyer messages on its platform (called from its own package)."""
    _MESSENGERS[platform] = factory


_SECRETS = ("password", "secret", "access_key_secret", "secret_key")


def build_channel(kind: ChannelKind, settings: Mapping[str, Any]) -> Channel:
    """Raises ChannelConfigError when the shop has not configured the channel (or configured it wrong)."""
    if not settings:
        raise ChannelConfigError(f"渠道未配置 channel {kind} is not configured for this shop")
    values = {k: v for k, v in settings.items() if k not in ("url", "provider", "templates", "platform")}
    try:
        if kind is ChannelKind.EMAIL:
            values["port"] = int(values.get("port", 587))
            return EmailChannel(EmailSettings(**values))
        if kind is ChannelKind.WEBHOOK:
            return WebhookChannel(WebhookSettings(**values))
        if kind is ChannelKind.SMS:
            provider = settings.get("provider", "")
            if provider == "aliyun":
                return AliyunSmsChannel(AliyunSmsSettings(**values))
            if provider == "tencent":
                return TencentSmsChannel(TencentSmsSettings(**values))
            raise ChannelConfigError(f"短信服务商 sms provider must be aliyun or tencent, not {provider!r}")
    except TypeError as exc:
        raise ChannelConfigError(f"渠道配置无效 invalid {kind} settings: {exc}") from None
    platform = str(settings.get("platform", ""))
    factory = _MESSENGERS.get(platform)
    if factory is None:
        known = ", ".join(sorted(_MESSENGERS)) or "none registered"
        raise ChannelConfigError(f"没有平台消息适配器 no buyer-message adapter for {platform!r} ({known})")
    return PlatformChannel(factory(values))


def sms_template_id(settings: Mapping[str, Any], stage: str) -> str:
    templates = settings.get("templates") or {}
    return str(templates.get(stage, "")) if isinstance(templates, Mapping) else ""


def redacted(channels: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Channel settings as lists may show them: secrets replaced by ***."""
    return {
        kind: {k: ("***" if k in _SECRETS and v else v) for k, v in values.items()}
        for kind, values in channels.items()
    }
