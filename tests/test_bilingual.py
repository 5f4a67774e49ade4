"""A refusal is written once in both languages: the CLI and the API keep the one bilingual line they always
printed, and a page shows its reader's half only (to an English reader no Chinese, and the other way)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from lanshou.aftersales.states import AfterSaleRefused, transition
from lanshou.bilingual import Bilingual, in_language
from tests.test_aftersales_web import app, carol, post_step, seeded  # noqa: F401 (fixtures)
from tests.test_web_pages import csrf_of

CJK = re.compile(r"[\u3400-\u9fff「」：]")


def test_a_bilingual_reason_is_its_old_line_with_both_halves_kept() -> None:
    try:
        transition("returned", "agree_return")
    except AfterSaleRefused as exc:
        refusal = exc
    line = str(refusal)
    assert line.startswith("拒绝 refused: 「买家已退货」的售后不能") and " / cannot 'agree_return'" in line
    assert (
        in_language(refusal, "en")
        == "refused: cannot 'agree_return' a case that is 'returned' (allowed: receive, refuse)"
    )
    assert not CJK.search(in_language(refusal, "en")) and "cannot" not in in_language(refusal, "zh-CN")
    assert in_language(ValueError("plain 原样"), "en") == "plain 原样"  # a reason written once stays whole
    both = Bilingual.joined("; ", [Bilingual("甲", "a"), "b 乙"])
    assert (str(both), both.zh, both.en) == ("甲 a; b 乙", "甲; b 乙", "a; b 乙")


def _flash(client: TestClient, url: str) -> str:
    page = client.get(url).text
    found = re.search(r'id="flash">([^<]*)</p>', page)
    assert found, page
    return found.group(1)


def test_a_refused_step_shows_the_readers_language_only(carol: TestClient) -> None:  # noqa: F811
    done = post_step(carol, "/aftersales/AS-1?shop=tmall%2F%E6%97%97%E8%88%B0%E5%BA%97", "refuse", reason=" ")
    chinese = _flash(carol, done.headers["location"])  # type: ignore[attr-defined]
    assert "拒绝售后须写明原因" in chinese and "needs a reason" not in chinese
    carol.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_of(carol.get("/").text)})
    done = post_step(carol, "/aftersales/AS-1?shop=tmall%2F%E6%97%97%E8%88%B0%E5%BA%97", "refuse", reason=" ")
    english = _flash(carol, done.headers["location"])  # type: ignore[attr-defined]
    assert "refusing a case needs a reason" in english and not CJK.search(english.split(":", 1)[1]), english
