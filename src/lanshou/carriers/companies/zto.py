"""ZTO Express 中通."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="zto",
    name_zh="中通快递",
    name_en="ZTO Express",
    names=("中通", "中通速递"),
    kuaidi100=("zhongtong",),
    kdniao=("ZTO",),
    cainiao=("ZTO",),
)
