"""Carrier choice worked by hand: rules first, then the cheapest that meets the pickup deadline, or the best
measured lane; coverage, cutoffs, prices; the carrier file's errors; the lane scorecard's figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from lanshou import schema as s
from lanshou.review.ready import ReadyLine, ReadyShipment
from lanshou.rules import RuleSet, make_rule
from lanshou.shipping.choice import (
    CarrierPlan,
    ChoiceRefused,
    LanePerformance,
    Price,
    Service,
    choose,
    destination_of,
)
from lanshou.shipping.config import EXAMPLE_CONFIG, ConfigError, parse_config
from lanshou.shipping.scorecard import ParcelTimes, measure_lanes, quantile
from lanshou.shipping.store import measured_lanes
from tests.ship_data import add_order, add_shop

EXAMPLE = EXAMPLE_CONFIG
NOW = datetime(2026, 11, 30, 6, 0)  # 14:00 in Shanghai
TZ = "Asia/Shanghai"


def shipment(province: str = "广东省", weight_g: int = 500, **changes: object) -> ReadyShipment:
    base = ReadyShipment(
        keys=((1, "1001"),),
        platform="taobao",
        shop="旗舰店",
        shop_id=1,
        warehouse="",
        priority=0,
        pickup_deadline=NOW + timedelta(hours=20),
        promised_ship_by=None,
        receiver_name="张三",
        receiver_phone="13800001234",
        country="CN",
        province=province,
        city="",
        district="",
        address="某路1号",
        buyer_data_masked=False,
        shipping_method="",
        amount=Decimal("88"),
        lines=(ReadyLine("1001", "CUP", "保温杯", 1, "日用", weight_g),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def plan(**changes: object) -> CarrierPlan:
    return replace(parse_config(EXAMPLE.read_text(encoding="utf-8")).plan, **changes)  # type: ignore[arg-type]


def test_price_first_weight_then_each_started_step() -> None:
    price = Price(1000, Decimal("4.5"), 500, Decimal("1.2"))
    assert [price.cost(g) for g in (1, 1000, 1001, 1500, 1501)] == [
        Decimal("4.5"),
        Decimal("4.5"),
        Decimal("5.7"),
        Decimal("5.7"),
        Decimal("6.9"),
    ]


def test_remote_provinces_go_by_ems_by_rule() -> None:
    choice = choose(plan(), shipment("新疆维吾尔自治区"), NOW, TZ, {})
    assert (choice.carrier, choice.price) == ("ems", Decimal("15.0"))
    assert "偏远地区走邮政" in choice.reason and "province in" in choice.reason


def test_fragile_goes_by_sf_by_rule() -> None:
    fragile = shipment(lines=(ReadyLine("1001", "VASE", "花瓶", 1, "易碎品", 800),))
    assert choose(plan(), fragile, NOW, TZ, {}).carrier == "sf"
    assert choose(plan(), shipment(remark="易碎 轻放"), NOW, TZ, {}).carrier == "sf"


def test_the_shops_saved_rules_come_before_the_carrier_files() -> None:
    saved = RuleSet(
        [make_rule("大件走德邦", "weight_g > 20000", "carrier:deppon"), make_rule("x", "true", "tag:y")]
    )
    heavy = choose(plan(), shipment("新疆", weight_g=25000), NOW, TZ, {}, shop_rules=saved)
    assert heavy.carrier == "deppon" and "大件走德邦" in heavy.reason
    assert choose(plan(), shipment("新疆"), NOW, TZ, {}, shop_rules=saved).carrier == "ems"  # the file's rule


def test_otherwise_the_cheapest_that_meets_the_deadline() -> None:
    # 2.5 kg to 广东: zto 5.0 + 2×2.0 = 9.0, yto 4.8 + 2×1.4 = 7.6, sf 22, ems 18
    choice = choose(plan(), shipment(weight_g=2500), NOW, TZ, {})
    assert (choice.carrier, choice.price) == ("yto", Decimal("7.6"))
    assert "cheapest meeting the pickup deadline" in choice.reason and "zto:标准快递 ¥9.00" in choice.reason
    # yto's cutoff (16:00) has passed at 16:30, the deadline is tonight: zto (17:00) still makes it
    late = NOW + timedelta(hours=2, minutes=30)
    tonight = shipment(weight_g=2500, pickup_deadline=late + timedelta(hours=3))
    assert choose(plan(), tonight, late, TZ, {}).carrier == "zto"


def test_when_none_meets_the_deadline_the_cheapest_picking_up_first() -> None:
    late = NOW + timedelta(hours=3, minutes=30)  # 17:30 Shanghai: only sf (19:00) picks up today
    overdue = shipment(pickup_deadline=late + timedelta(minutes=10))
    choice = choose(plan(), overdue, late, TZ, {})
    assert choice.carrier == "sf" and "no carrier meets the pickup deadline" in choice.reason
    # 22:00: every carrier picks up tomorrow, so the cheapest of them (not the earliest cutoff, ems 15:00)
    night = NOW + timedelta(hours=8)
    tomorrow = choose(plan(), shipment(pickup_deadline=night - timedelta(hours=1)), night, TZ, {})
    assert tomorrow.carrier == "yto" and "on 2026-12-01" in tomorrow.reason  # ¥4.80 to 广东


def test_next_pickup_is_todays_cutoff_or_tomorrows() -> None:
    service = Service("zto", cutoff=time(17, 0))
    assert service.next_pickup(NOW, TZ) == datetime(2026, 11, 30, 9, 0)
    assert service.next_pickup(NOW + timedelta(hours=4), TZ) == datetime(2026, 12, 1, 9, 0)
    assert Service("sf").next_pickup(NOW, TZ) == NOW


def test_best_measured_on_the_lane() -> None:
    lanes = {
        ("zto", "广东"): LanePerformance("zto", "广东", 50, 0.90, 40.0, 70.0),
        ("yto", "广东"): LanePerformance("yto", "广东", 50, 0.97, 44.0, 80.0),
        ("sf", "广东"): LanePerformance("sf", "广东", 5, 1.0, 20.0, 30.0),  # too few parcels to trust
    }
    choice = choose(plan(strategy="best"), shipment(), NOW, TZ, lanes)
    assert choice.carrier == "yto" and "on-time 97%" in choice.reason
    thin = choose(plan(strategy="best"), shipment("江苏"), NOW, TZ, lanes)
    assert thin.carrier == "zto" and "lane data too thin" in thin.reason  # zto 4.5 < yto 4.8


def test_coverage_and_forced_carriers() -> None:
    only_zto = CarrierPlan((Service("zto", exclude=frozenset({"西藏"})),))
    with pytest.raises(ChoiceRefused, match="no configured carrier serves 西藏"):
        choose(only_zto, shipment("西藏自治区"), NOW, TZ, {})
    with pytest.raises(ChoiceRefused, match="zto does not serve 西藏"):
        choose(only_zto, shipment("西藏"), NOW, TZ, {}, forced="zto")
    forced = choose(only_zto, shipment(), NOW, TZ, {}, forced="jd")  # unconfigured: no price, still allowed
    assert (forced.carrier, forced.price) == ("jd", None) and "--carrier jd" in forced.reason
    # a rule naming a carrier that does not serve the place is passed over, and the reason says so
    services = tuple(
        replace(s, exclude=frozenset({"青海"})) if s.carrier == "ems" else s for s in plan().services
    )
    passed_over = choose(plan(services=services), shipment("青海"), NOW, TZ, {})
    assert passed_over.carrier == "zto" and "rule's carrier:ems does not serve 青海" in passed_over.reason
    # a rule may name a carrier without a price table: it is used as named
    unpriced = plan(services=tuple(s for s in plan().services if s.carrier != "ems"))
    assert choose(unpriced, shipment("青海"), NOW, TZ, {}).carrier == "ems"


def test_cross_border_destinations_are_countries() -> None:
    assert destination_of("CN", "浙江省杭州市") == "浙江"
    assert destination_of("es", "Madrid") == "ES"
    abroad = CarrierPlan(
        (
            Service("ems", "国际", prices={"ES": Price(500, Decimal("60"), 500, Decimal("20"))}),
            Service("sf", "国际", prices={"*": Price(500, Decimal("90"), 500, Decimal("30"))}),
        )
    )
    choice = choose(abroad, shipment(country="ES", province="Madrid", weight_g=900), NOW, TZ, {})
    assert (choice.carrier, choice.price) == ("ems", Decimal("80"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('code = "zto"', 'code = "nope"'), "unknown carrier code 'nope'"),
        (('cutoff = "17:00"', 'cutoff = "5pm"'), "cutoff 应为 HH:MM"),
        (('strategy = "cheapest"', 'strategy = "fastest"'), "unknown strategy 'fastest'"),
        (("first = 4.5", "first = -1"), "prices ≥ 0"),
        (("province in [", "province inn ["), "'偏远地区走邮政' at line 1 column"),
        (('carrier = "sf"', 'action = "hold:x"'), "only carrier:CODE actions"),
        (('phone = "15999566666"', 'phone = ""'), "missing sender phone"),
    ],
)
def test_bad_carrier_files_name_the_place(change: tuple[str, str], message: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert change[0] in text
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_config(text.replace(change[0], change[1], 1))


def test_lane_scorecard_figures() -> None:
    day = datetime(2026, 11, 1)
    h = timedelta(hours=1)
    rows = [
        ParcelTimes("zto", "广东", day, day + 5 * h, day + 29 * h),  # on time, 24 h
        ParcelTimes("zto", "广东", day, day + 30 * h, day + 78 * h),  # late pickup, 48 h
        ParcelTimes("zto", "广东", day, None, None),  # never picked up, old: late
        ParcelTimes("zto", "广东", NOW - h, None, None),  # just shipped: not judged yet
        ParcelTimes("yto", "浙江", None, day, day + 10 * h),  # no ship time: delivery only
    ]
    zto, yto = sorted(measure_lanes(rows, NOW), key=lambda lane: lane.carrier, reverse=True)
    assert zto.as_json() == {
        "carrier": "zto",
        "destination": "广东",
        "parcels": 2,
        "pickup_on_time_rate": 0.3333,
        "median_hours": 36.0,
        "p90_hours": 45.6,
    }
    assert (yto.pickup_on_time, yto.median_hours, yto.p90_hours) == (None, 10.0, 10.0)
    assert quantile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)


def test_the_scorecard_reads_the_tracking_history(engine: Engine) -> None:
    """Parcels, the orders they carry and their state, as tracking stores them, measured per lane."""
    day = datetime(2026, 11, 1, 2)
    with engine.begin() as conn:
        add_shop(conn)
        for n, (province, pickup_h, delivered_h) in enumerate(
            [("广东省", 3, 27), ("广东省", 30, 60), ("浙江省", 5, None), ("广东", None, None)]
        ):
            order_no = f"50{n}"
            add_order(conn, order_no, province=province)
            number = f"7500000000{n}"
            conn.execute(
                s.parcels.insert(), {"shop_id": 1, "tracking_no": number, "carrier": "zto", "shipped_at": day}
            )
            conn.execute(
                s.parcel_orders.insert(), {"shop_id": 1, "tracking_no": number, "order_no": order_no}
            )
            conn.execute(
                s.parcel_state.insert(),
                {
                    "tracking_no": number,
                    "carrier": "zto",
                    "pickup_at": day + timedelta(hours=pickup_h) if pickup_h is not None else None,
                    "delivered_at": day + timedelta(hours=delivered_h) if delivered_h is not None else None,
                    "updated_at": day,
                },
            )
    with engine.connect() as conn:
        lanes = {lane.destination: lane for lane in measured_lanes(conn, NOW)}
        old = measured_lanes(conn, NOW + timedelta(days=90))
    assert lanes["广东"].as_json() == {
        "carrier": "zto",
        "destination": "广东",
        "parcels": 2,
        "pickup_on_time_rate": 0.3333,  # 3 h on time; 30 h late; never scanned after a day: late
        "median_hours": 27.0,
        "p90_hours": 29.4,
    }
    assert (lanes["浙江"].parcels, lanes["浙江"].pickup_on_time) == (0, 1.0)
    assert old == []  # outside the window
