"""Notification templates: compiled once in the sandbox, refused at save time when they cannot render.

`compile_template(text, fmt, language)` parses the template and renders it against the documented sample
contexts (a rich one: high-value repeat VIP buyer with carrier and ETA; a plain one: first order, no
carrier, no ETA). A template that does not parse, that fails on either sample, that breaks a sandbox
limit or that renders nothing for the rich sample is refused with a message naming the line.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from jinja2 import Template, TemplateSyntaxError
from jinja2 import TemplateError as JinjaError

from lanshou.notifications.context import BuyerFacts, build_context, sample_facts
from lanshou.notifications.model import LANGUAGES
from lanshou.notifications.sandbox import TEMPLATE_FILENAME, TemplateLimitExceeded, render_limited, sandbox

MAX_SOURCE_CHARS = 10_000


class TemplateFormat(enum.StrEnum):
    EMAIL_SUBJECT = "email_subject"
    EMAIL_TEXT = "email_text"
    EMAIL_HTML = "email_html"  # the only autoescaped format
    SMS = "sms"
    PLATFORM = "platform"


MAX_OUTPUT_CHARS = {
    TemplateFormat.EMAIL_SUBJECT: 300,
    TemplateFormat.EMAIL_TEXT: 50_000,
    TemplateFormat.EMAIL_HTML: 200_000,
    TemplateFormat.SMS: 1_000,
    TemplateFormat.PLATFORM: 2_000,
}


class TemplateError(ValueError):
    """A template problem, with the template line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


class TemplateRefused(TemplateError):
    """Raised when a template is saved: it does not parse or does not render against the sample."""


class TemplateRenderError(TemplateError):
    """Raised when a saved template fails on real facts at send time."""


@dataclass(frozen=True)
class CompiledTemplate:
    source: str
    fmt: TemplateFormat
    language: str
    template: Template

    def render(self, context: Mapping[str, Any]) -> str:
        """Render for sending; errors become TemplateRenderError naming the line."""
        try:
            return _render(self, context)
        except Exception as exc:
            line = _template_line(exc)
            raise TemplateRenderError(_describe("渲染失败 render failed", exc, line), line) from exc


def compile_template(text: str, fmt: TemplateFormat | str, language: str) -> CompiledTemplate:
    """Parse and trial-render a template; raise TemplateRefused with a clear message otherwise."""
    fmt = _parse_format(fmt)
    if language not in LANGUAGES:
        raise TemplateRefused(
            f"拒绝 refused: 不支持的语言 unsupported language {language!r} (use {LANGUAGES})"
        )
    if len(text) > MAX_SOURCE_CHARS:
        raise TemplateRefused(f"拒绝 refused: 模板过长 template longer than {MAX_SOURCE_CHARS} characters")
    env = sandbox(language, fmt is TemplateFormat.EMAIL_HTML)
    try:
        template = env.from_string(text)
    except TemplateSyntaxError as exc:
        raise TemplateRefused(
            _describe("拒绝 refused: 语法错误 syntax error", exc, exc.lineno), exc.lineno
        ) from exc
    compiled = CompiledTemplate(text, fmt, language, template)
    for label, context in sample_contexts():
        try:
            output = _render(compiled, context)
        except Exception as exc:
            line = _template_line(exc)
            raise TemplateRefused(_describe(f"拒绝 refused: 示例 {label} sample", exc, line), line) from exc
        if label == "rich" and not output.strip():
            raise TemplateRefused("拒绝 refused: 模板对示例渲染为空 template renders nothing for the sample")
    return compiled


def sample_contexts() -> list[tuple[str, dict[str, Any]]]:
    """The documented samples a template must render: ("rich", ...) and ("plain", ...)."""
    rich = sample_facts()
    plain = replace(
        rich,
        total=Decimal("39.90"),
        items=rich.items[:1],
        buyer=BuyerFacts(first_name="Lee"),
        paid_at=datetime(2025, 1, 2, 8, 0),
        carrier_code="",
        carrier_name="",
        tracking_no="",
        eta=None,
        last_event="",
        exception_reason="",
        campaign="",
        coupon="",
    )
    return [("rich", build_context(rich)), ("plain", build_context(plain))]


_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\s*")


def _render(compiled: CompiledTemplate, context: Mapping[str, Any]) -> str:
    output = render_limited(compiled.template, context, MAX_OUTPUT_CHARS[compiled.fmt])
    if compiled.fmt is TemplateFormat.EMAIL_HTML:
        return _EMPTY_PARAGRAPH.sub("", output)
    if compiled.fmt in (TemplateFormat.EMAIL_SUBJECT, TemplateFormat.SMS):
        return " ".join(output.split())  # one line: subjects and SMS have no line breaks
    return _BLANK_RUNS.sub("\n\n", output).strip() + "\n"


def _parse_format(fmt: TemplateFormat | str) -> TemplateFormat:
    try:
        return TemplateFormat(fmt)
    except ValueError:
        names = ", ".join(f.value for f in TemplateFormat)
        raise TemplateRefused(
            f"拒绝 refused: 未知模板类型 unknown template format {fmt!r} ({names})"
        ) from None


def _template_line(exc: BaseException) -> int | None:
    """The template line of the innermost template frame in the traceback (Jinja maps it for us)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(prefix: str, exc: BaseException, line: int | None = None) -> str:
    where = f"第 {line} 行 line {line}: " if line else ""
    kind = "超出限制 limit exceeded: " if isinstance(exc, TemplateLimitExceeded) else ""
    message = getattr(exc, "message", None) or str(exc)
    if not isinstance(exc, JinjaError | RecursionError):
        message = f"{type(exc).__name__}: {message}"  # e.g. DivisionByZero from the template's arithmetic
    return f"{prefix}: {where}{kind}{message}"
