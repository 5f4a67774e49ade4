"""Best Express 百世 (formerly 百世汇通)."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="best",
    name_zh="百世快递",
    name_en="Best Express",
    names=("百世汇通", "百世", "汇通"),
    kuaidi100=("huitongkuaidi",),
    kdniao=("HTKY",),
    cainiao=("HTKY",),  # from third-party code only (PLATFORMS.md)
)
