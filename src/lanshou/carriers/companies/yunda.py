"""Yunda Express 韵达."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="yunda",
    name_zh="韵达快递",
    name_en="Yunda Express",
    names=("韵达速递", "韵达"),
    kuaidi100=("yunda",),
    kdniao=("YD",),
    cainiao=("YUNDA",),
)
