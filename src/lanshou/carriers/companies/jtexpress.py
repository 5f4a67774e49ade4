"""J&T Express 极兔."""

from lanshou.carriers.carrier import Carrier

CARRIER = Carrier(
    code="jtexpress",
    name_zh="极兔速递",
    name_en="J&T Express",
    names=("极兔快递", "极兔", "J&T"),
    kuaidi100=("jtexpress",),
    kdniao=("JTSD",),
    cainiao=("JTSD",),  # from third-party code only (PLATFORMS.md): check before relying on it
)
