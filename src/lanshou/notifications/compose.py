"""Template set → Message: the step between a matched rule and a channel (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from lanshou.notifications.default_templates import DEFAULT_SMS_PARAMS, default_template
from lanshou.notifications.model import ChannelKind, Message, Stage
from lanshou.notifications.templates import CompiledTemplate, TemplateFormat, compile_template


@dataclass(frozen=True)
class TemplateSet:
    """Everything needed to render one stage in one language, for every channel."""

    stage: Stage
    language: str
    subject: CompiledTemplate
    text: CompiledTemplate
    html: CompiledTemplate
    sms: CompiledTemplate
    platform: CompiledTemplate
    sms_params: tuple[tuple[str, CompiledTemplate], ...]


def template_set(
    stage: Stage, language: str, overrides: Mapping[TemplateFormat, str] | None = None, variant: str = ""
) -> TemplateSet:
    """Compile the merchant's templates for a stage, falling back to the built-in ones (for the exception
    stage, those of the alert kind `variant`); raises TemplateRefused if an override does not render."""
    overrides = overrides or {}

    def one(fmt: TemplateFormat) -> CompiledTemplate:
        source = overrides.get(fmt) or default_template(stage, fmt, language, variant)
        return compile_template(source, fmt, language)

    params = tuple(
        (name, compile_template(snippet, TemplateFormat.SMS, language))
        for name, snippet in DEFAULT_SMS_PARAMS[stage]
    )
    return TemplateSet(
        stage,
        language,
        subject=one(TemplateFormat.EMAIL_SUBJECT),
        text=one(TemplateFormat.EMAIL_TEXT),
        html=one(TemplateFormat.EMAIL_HTML),
        sms=one(TemplateFormat.SMS),
        platform=one(TemplateFormat.PLATFORM),
        sms_params=params,
    )


@lru_cache(maxsize=64)
def default_template_set(stage: Stage, language: str, variant: str = "") -> TemplateSet:
    return template_set(stage, language, variant=variant)


def compose_message(
    templates: TemplateSet,
    channel: ChannelKind,
    context: Mapping[str, Any],
    *,
    key: str,
    recipients: tuple[str, ...],
    sms_template_id: str = "",
) -> Message:
    """Render the parts a channel needs (raises TemplateRenderError naming the line)."""
    if channel is ChannelKind.EMAIL:
        return Message(
            key,
            channel,
            recipients,
            subject=templates.subject.render(context),
            text=templates.text.render(context),
            html=templates.html.render(context),
        )
    if channel is ChannelKind.SMS:
        params = tuple((name, t.render(context)) for name, t in templates.sms_params)
        text = templates.sms.render(context)
        return Message(
            key, channel, recipients, text=text, template_id=sms_template_id, template_params=params
        )
    if channel is ChannelKind.PLATFORM:
        return Message(key, channel, recipients, text=templates.platform.render(context))
    data = {"stage": str(templates.stage), "language": templates.language, "facts": json_safe(context)}
    return Message(key, channel, recipients, text=templates.text.render(context), data=data)


def json_safe(value: Any) -> Any:
    """The context as JSON can carry it: dates as ISO text, money as decimal strings."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
