"""Languages: zh-CN by default, English on request; the choice lives in a cookie."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lanshou.carriers.registry import identify
from lanshou.platforms.registry import find_marketplace
from lanshou.web.messages import MESSAGES

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
LANGUAGE_COOKIE = "lang"

Translator = Callable[..., str]


def pick_language(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def translator(language: str) -> Translator:
    index = LANGUAGES.index(pick_language(language))

    def translate(key: str, **values: Any) -> str:
        texts = MESSAGES.get(key)
        if texts is None:  # a missing text shows its key rather than breaking the page (tests catch it)
            return key
        return texts[index].format(**values) if values else texts[index]

    return translate


def carrier_namer(language: str) -> Callable[[str | None], str]:
    """A carrier's name for people (圆通速递 / YTO Express) from its code; a code no carrier claims (a
    merchant's own courier) as it is, none as "—"."""
    english = pick_language(language) == "en"

    def name(code: str | None) -> str:
        carrier = identify(code) if code else None
        if carrier is None:
            return code or "—"
        return carrier.name_en if english else carrier.name_zh

    return name


def platform_namer(language: str) -> Callable[[str], str]:
    """A marketplace's name for people (天猫 / Tmall) from its code; a code no marketplace claims as it is."""
    english = pick_language(language) == "en"

    def name(code: str) -> str:
        found = find_marketplace(code)
        if found is None:
            return code
        return found.name_en if english else found.name_zh

    return name


def shop_namer(language: str) -> Callable[..., str]:
    """A shop for people, "天猫 · 旗舰店" / "Tmall · 旗舰店", from its label ("tmall/旗舰店", the value the
    pages send back) or from its platform code and name; text that is no label shows as it is."""
    platform_name = platform_namer(language)

    def name(shop: str, name: str | None = None) -> str:
        platform = shop
        if name is None:
            platform, slash, name = shop.partition("/")
            if not slash:
                return shop
        return f"{platform_name(platform)} · {name}"

    return name


def timeline_namer(language: str) -> Callable[[str], str]:
    """What a timeline entry's kind is called (timeline_messages); a kind with no name shows as it is."""
    translate = translator(language)

    def name(kind: str) -> str:
        for key in (f"timeline.{kind}", "timeline.aftersale" if kind.startswith("aftersale_") else ""):
            if key in MESSAGES:
                return translate(key)
        return kind

    return name
