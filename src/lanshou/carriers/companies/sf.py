"""SF Express 顺丰."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="sf",
    name_zh="顺丰速运",
    name_en="SF Express",
    names=("顺丰快递", "顺丰", "顺丰速递"),
    kuaidi100=("shunfeng",),
    kdniao=("SF",),
    cainiao=("SF",),
)
