"""Rule packs: the shipped defaults are the METRICS.md numbers, and shop settings override them."""

from __future__ import annotations

from datetime import time

import pytest

from lanshou.metrics.packs import SCORE_PARTS, PackError, load_pack, pack_for
from lanshou.platforms.registry import platform_codes
from lanshou.shops.model import ShopInfo

DOUYIN_48H = {
    "配饰",
    "鲜花速递/花卉仿真/绿植园艺",
    "服饰配件",
    "潮品鞋服",
    "花卉/绿植盆栽",
    "定制珠宝文玩",
    "手表奢侈品",
    "手奢侈品",  # the seed's spelling of 手表奢侈品
}
SHIPPING_TAGS = {"发货慢", "虚假发货", "少发/漏发", "错发", "包装破损", "物流信息不更新"}


@pytest.mark.parametrize("platform", platform_codes())
def test_every_platform_pack_has_the_spec_defaults(platform: str) -> None:
    pack = load_pack(platform)
    assert pack.platform == platform
    assert pack.limit_hours == 24 and pack.default_promise_hours == 48
    assert pack.presale_slow_grace_hours == 48 and pack.freshness_gap_hours == 24
    assert pack.shipping_tags >= SHIPPING_TAGS and pack.slow_tag == "发货慢"
    assert pack.carrier_cutoff == time(16, 0)
    assert set(pack.score_tables) == set(SCORE_PARTS) and set(pack.score_weights) == set(SCORE_PARTS)


def test_douyin_long_list_and_taobao_tmall_48h_block() -> None:
    assert load_pack("douyin").long_categories == DOUYIN_48H
    assert load_pack("douyin").long_limit_hours == 48
    assert load_pack("tmall").long_limit_categories == frozenset()
    for platform in ("taobao", "tmall"):
        assert load_pack(platform).extra_pickup_limits == {"pay_to_pickup_48h": 48}


def test_shop_settings_merge_on_top_and_ignore_other_keys() -> None:
    shop = ShopInfo(
        "douyin",
        "d",
        settings={
            "carrier_cutoff": "15:30",
            "warehouse": "义乌",  # a shop option, not a pack field
            "score_weights": {"tracking_freshness": 0.5},
            "long_limit_categories": ["配饰", "手表奢侈品"],
        },
    )
    pack = pack_for(shop)
    assert pack.carrier_cutoff == time(15, 30)
    assert pack.score_weights["tracking_freshness"] == 0.5
    assert pack.score_weights["pay_to_pickup"] == 0.4  # the rest of the weights stay
    assert pack.long_categories == {"配饰", "手表奢侈品", "手奢侈品"}  # the alias survives the override
    assert load_pack("douyin").carrier_cutoff == time(16, 0)  # the shipped pack is untouched
    assert pack_for(shop).long_categories == {"配饰", "手表奢侈品", "手奢侈品"}


def test_bad_overrides_and_unknown_platforms_are_errors() -> None:
    with pytest.raises(PackError):
        pack_for(ShopInfo("tmall", "t", settings={"carrier_cutoff": "late"}))
    with pytest.raises(PackError):
        load_pack("ebay")
