"""YTO Express 圆通."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="yto",
    name_zh="圆通速递",
    name_en="YTO Express",
    names=("圆通快递", "圆通"),
    kuaidi100=("yuantong",),
    kdniao=("YTO",),
    cainiao=("YTO",),
)
