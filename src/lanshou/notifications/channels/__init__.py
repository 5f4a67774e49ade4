"""Notification channels: e-mail (SMTP), SMS (Aliyun, Tencent Cloud), signed webhooks, platform messages."""

from lanshou.notifications.channels.base import Channel, ChannelConfigError, MessageRejected

__all__ = ["Channel", "ChannelConfigError", "MessageRejected"]
