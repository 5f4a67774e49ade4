"""STO Express 申通."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="sto",
    name_zh="申通快递",
    name_en="STO Express",
    names=("申通",),
    kuaidi100=("shentong",),
    kdniao=("STO",),
    cainiao=("STO",),
)
