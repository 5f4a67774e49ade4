"""One table maps every carrier spelling (names, short names, provider codes) onto one internal code."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanshou.carriers.carrier import Carrier
from lanshou.carriers.registry import (
    CarrierNames,
    CarrierRegistry,
    carrier_code,
    discover,
    identify,
    registry,
)
from lanshou.demo.catalog import CARRIER_NAMES, SHOPS


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("顺丰速运", "sf"),
        ("顺丰", "sf"),
        ("shunfeng", "sf"),
        ("SF", "sf"),
        ("中通快递", "zto"),
        ("zhongtong", "zto"),
        ("圆通速递", "yto"),
        ("圆通快递", "yto"),
        ("yuantong", "yto"),
        ("韵达速递", "yunda"),
        ("YD", "yunda"),  # Kdniao
        ("YUNDA", "yunda"),  # Cainiao
        ("申通", "sto"),
        ("shentong", "sto"),
        ("极兔速递", "jtexpress"),
        ("JTSD", "jtexpress"),
        ("J&T Express", "jtexpress"),
        ("京东物流", "jd"),
        ("京东快递", "jd"),
        ("邮政快递包裹", "ems"),
        ("youzhengguonei", "ems"),
        ("POSTB", "ems"),
        ("中国邮政EMS", "ems"),
        ("德邦快递", "deppon"),
        ("debangkuaidi", "deppon"),
        ("DBL", "deppon"),
        ("百世汇通", "best"),
        ("huitongkuaidi", "best"),
        ("HTKY", "best"),
    ],
)
def test_every_spelling_maps_to_one_internal_code(raw: str, code: str) -> None:
    assert carrier_code(raw) == code


def test_case_width_and_spaces_do_not_matter() -> None:
    for raw in (" sf ", "Sf", "ＳＦ", "S F", "j&t express", "ZhongTong", "顺丰 速运"):
        carrier = identify(raw)
        assert carrier is not None, raw
    assert identify("ＳＦ") is identify("sf")


def test_unknown_carrier_is_kept_as_written_stripped() -> None:
    assert identify("天天快递") is None
    assert carrier_code("  天天快递 ") == "天天快递"
    assert carrier_code("") == ""


def test_demo_and_file_short_codes_map_onto_themselves() -> None:
    demo_codes = set(CARRIER_NAMES) | {code for shop in SHOPS for code, _ in shop.carriers}
    for code in demo_codes:
        assert carrier_code(code) == code
        assert carrier_code(CARRIER_NAMES[code]) == code  # the names the demo writes into exports


def test_ten_named_carriers_are_registered_with_zh_and_en_names() -> None:
    codes = {c.code for c in registry().carriers}
    assert {"sf", "zto", "yto", "yunda", "sto", "jtexpress", "jd", "ems", "deppon", "best"} <= codes
    for carrier in registry().carriers:
        assert carrier.name_zh and carrier.name_en


def test_kdniao_and_kuaidi100_codes_never_clash_across_carriers() -> None:
    # the registry refuses a spelling claimed by two carriers, so building it is the check
    assert len(CarrierRegistry(discover()).carriers) == len(registry().carriers)


def test_a_spelling_claimed_twice_is_refused() -> None:
    one = Carrier(code="aa", name_zh="甲快递", name_en="A", kdniao=("XX",))
    two = Carrier(code="bb", name_zh="乙快递", name_en="B", kuaidi100=("xx",))
    with pytest.raises(ValueError, match="'xx' claimed by both 'aa' and 'bb'"):
        CarrierRegistry([one, two])


def test_an_uppercase_internal_code_is_refused() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        CarrierRegistry([Carrier(code="SF", name_zh="顺丰", name_en="SF")])


@pytest.fixture
def module_package(tmp_path: Path) -> Iterator[tuple[types.ModuleType, Path]]:
    """An importable package in tmp_path, removed from sys.modules afterwards."""
    name = f"lanshou_test_companies_{tmp_path.name}"
    package = types.ModuleType(name)
    package.__path__ = [str(tmp_path)]  # type: ignore[attr-defined]
    sys.modules[name] = package
    yield package, tmp_path
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_a_new_carrier_is_one_module(module_package: tuple[types.ModuleType, Path]) -> None:
    package, folder = module_package
    (folder / "tiantian.py").write_text(
        "from lanshou.carriers.carrier import Carrier\n"
        "CARRIER = Carrier(code='tiantian', name_zh='天天快递', name_en='TTK', kuaidi100=('tiantian',))\n",
        encoding="utf-8",
    )
    found = CarrierRegistry(discover(package))
    assert found.carrier_code("天天快递") == "tiantian"
    assert found.carrier_code("TianTian") == "tiantian"
    assert found.identify("顺丰") is None  # only what the package defines


def test_a_module_without_carrier_is_an_error(module_package: tuple[types.ModuleType, Path]) -> None:
    package, folder = module_package
    (folder / "nothing.py").write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(TypeError, match="nothing must define CARRIER"):
        discover(package)


def test_carrier_names_counts_unknown_carriers_once_each() -> None:
    names = CarrierNames()
    codes = [names.code(raw) for raw in ("圆通速递", "天天快递", "天天快递 ", "快捷快递", "zto", "")]
    assert codes == ["yto", "天天快递", "天天快递", "快捷快递", "zto", ""]
    assert names.unknown == {"天天快递": 2, "快捷快递": 1}
    assert names.summary() == [
        "未知快递公司 unknown carrier: '天天快递' (2 行 rows, kept as written)",
        "未知快递公司 unknown carrier: '快捷快递' (1 行 rows, kept as written)",
    ]
