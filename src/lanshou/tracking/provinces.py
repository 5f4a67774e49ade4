"""Province names as lanes key them: "浙江省", "浙江", "浙江杭州" and "浙江省杭州市" are all 浙江.

Lanes run from the shop's warehouse province to the buyer's province; both are written many ways
(shop settings, platform exports), so each is reduced to the short name of its province-level division.
"""

from __future__ import annotations

from functools import lru_cache

# The 34 province-level divisions by their short names; the longest are tried first so that
# 内蒙古 is not read as something shorter.
SHORT_NAMES: tuple[str, ...] = tuple(
    sorted(
        [
            "北京",
            "天津",
            "上海",
            "重庆",
            "河北",
            "山西",
            "辽宁",
            "吉林",
            "黑龙江",
            "江苏",
            "浙江",
            "安徽",
            "福建",
            "江西",
            "山东",
            "河南",
            "湖北",
            "湖南",
            "广东",
            "海南",
            "四川",
            "贵州",
            "云南",
            "陕西",
            "甘肃",
            "青海",
            "台湾",
            "内蒙古",
            "广西",
            "西藏",
            "宁夏",
            "新疆",
            "香港",
            "澳门",
        ],
        key=len,
        reverse=True,
    )
)


@lru_cache(maxsize=4096)
def province_of(text: str) -> str:
    """The short province name a place text starts with, or "" when it names none."""
    value = "".join(text.split())
    for name in SHORT_NAMES:
        if value.startswith(name):
            return name
    return ""
