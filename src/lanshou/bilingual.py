"""A refusal's reason written once, in both languages.

The areas refuse with one line, Chinese first and English beside it: what the CLI prints (bilingual on
purpose) and the API's error `message`. A page shows its reader one language. `Bilingual` is that line as a
`str` — so an error built with it prints, compares and serialises exactly as before — that also keeps its
two halves; `in_language` gives a page the reader's half of an error or a text (any other text as it is).
The error classes stay plain: the halves travel in the message, wherever it is passed on.
"""

from __future__ import annotations

from collections.abc import Iterable

ENGLISH = "en"  # the web's language code for English; any other reads Chinese


class Bilingual(str):
    """'中文 English' (or `line` when the two are laid out otherwise) with `.zh` and `.en` kept."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str, line: str | None = None) -> Bilingual:
        made = super().__new__(cls, f"{zh} {en}" if line is None else line)
        made.zh, made.en = zh, en
        return made

    def __reduce__(self) -> tuple[type[Bilingual], tuple[str, str, str]]:  # a copy or pickle keeps the halves
        return Bilingual, (self.zh, self.en, str(self))

    @classmethod
    def slashed(cls, zh: str, en: str) -> Bilingual:
        """'中文 / English'."""
        return cls(zh, en, f"{zh} / {en}")

    @classmethod
    def english_first(cls, en: str, zh: str) -> Bilingual:
        """'English 中文', as some areas have always written it."""
        return cls(zh, en, f"{en} {zh}")

    @classmethod
    def joined(cls, separator: str, parts: Iterable[str]) -> Bilingual:
        """Several reasons in one line, each half joined on its own."""
        found = list(parts)
        return cls(
            separator.join(half(part, "zh") for part in found),
            separator.join(half(part, ENGLISH) for part in found),
            separator.join(found),
        )


def half(text: str, language: str) -> str:
    """The `language` half of a Bilingual text; a plain text as it is."""
    if isinstance(text, Bilingual):
        return text.en if language == ENGLISH else text.zh
    return text


def in_language(said: BaseException | str, language: str) -> str:
    """An error's reason (or a text) in the reader's language, when it was written in both."""
    if isinstance(said, BaseException):
        return (
            half(said.args[0], language)
            if len(said.args) == 1 and isinstance(said.args[0], str)
            else str(said)
        )
    return half(said, language)
