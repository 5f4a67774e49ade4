"""A parcel's tracking events, from waybill to delivery (or return, or loss). Times are shop-local, naive.

Pure: a random generator in, a list of events and the journey's outcome out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lanshou.demo import catalog as c
from lanshou.demo import geography as g
from lanshou.tracking.status import TrackingStatus as T

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
# Base line-haul hours by zone: same city, same province, same region, neighbour, far, remote, abroad.
ZONE_HOURS = (10.0, 20.0, 30.0, 44.0, 58.0, 90.0, 190.0)

CHINESE_RAW = {
    T.INFO_RECEIVED: "已下单",
    T.PICKED_UP: "已揽收",
    T.IN_TRANSIT: "运输中",
    T.OUT_FOR_DELIVERY: "派送中",
    T.AVAILABLE_FOR_PICKUP: "待取件",
    T.DELIVERED: "已签收",
    T.FAILED_ATTEMPT: "204",
    T.EXCEPTION: "疑难",
    T.RETURNING: "退回中",
    T.RETURNED: "退签",
    T.REJECTED: "拒签",
    T.LOST: "遗失",
}
KUAIDI100_RAW = {
    T.INFO_RECEIVED: "101",
    T.PICKED_UP: "103",
    T.IN_TRANSIT: "1002",
    T.OUT_FOR_DELIVERY: "5",
    T.AVAILABLE_FOR_PICKUP: "501",
    T.DELIVERED: "301",
    T.FAILED_ATTEMPT: "204",
    T.EXCEPTION: "2",
    T.RETURNING: "6",
    T.RETURNED: "4",
    T.REJECTED: "14",
    T.LOST: "遗失",
}


@dataclass(frozen=True, slots=True)
class Place:
    province: str
    city: str
    district: str


@dataclass(slots=True)
class Event:
    time: datetime
    status: T
    location: str
    description: str


@dataclass(slots=True)
class Journey:
    events: list[Event] = field(default_factory=list)
    delivered_at: datetime | None = None
    failed_at: datetime | None = None  # rejected, returned or lost: the order is refunded
    stalled: bool = False

    def add(self, time: datetime, status: T, location: str, description: str) -> datetime:
        if self.events and time <= self.events[-1].time:
            time = self.events[-1].time + MINUTE
        time = time.replace(microsecond=0)
        self.events.append(Event(time, status, location, description))
        return time


def zone(origin: Place, dest: Place, abroad: bool) -> int:
    if abroad:
        return 6
    if dest.province in g.REMOTE_PROVINCES:
        return 5
    if dest.city == origin.city:
        return 0
    if dest.province == origin.province:
        return 1
    o_region, d_region = g.PROVINCES[origin.province][0], g.PROVINCES[dest.province][0]
    if o_region == d_region:
        return 2
    return 3 if d_region in g.NEIGHBOUR_REGIONS[o_region] else 4


def raw_status(carrier: str, status: T) -> str:
    return (KUAIDI100_RAW if carrier in c.KUAIDI100_CARRIERS else CHINESE_RAW)[status]


def journey(
    rng: random.Random,
    carrier: str,
    waybill: datetime,
    pickup: datetime | None,
    origin: Place,
    dest: Place,
    abroad: bool = False,
) -> Journey:
    """Events of one parcel. `pickup` None: a waybill with no carrier scan (虚假发货)."""
    j = Journey()
    name = c.CARRIER_NAMES[carrier]
    if pickup is None or rng.random() < 0.9:
        j.add(waybill, T.INFO_RECEIVED, origin.city, f"【{origin.city}】{name} 商家已下单，等待揽件")
    if pickup is None:
        return j
    courier = rng.choice(c.COURIER_NAMES)
    j.add(
        pickup,
        T.PICKED_UP,
        origin.city,
        f"【{origin.city}{origin.district}】{name} 快件已揽收，揽件员：{courier}",
    )
    z = zone(origin, dest, abroad)
    hours = ZONE_HOURS[z] * c.CARRIER_SPEED[carrier] * rng.uniform(0.75, 1.45)
    arrived = _line_haul(rng, j, pickup, hours, z, origin, dest)
    if arrived is None:
        return j
    _last_mile(rng, j, arrived, dest, origin, hours)
    return j


def _hubs(rng: random.Random, z: int, origin: Place, dest: Place) -> list[str]:
    o_region = g.PROVINCES[origin.province][0]
    first = rng.choice(g.REGION_HUBS[o_region])
    if z == 6:
        return [first, "国际互换局（出口）", "清关中心", f"{dest.city} 分拨中心"]
    if z <= 1:
        return [first, f"{dest.city} 分拨中心"]
    d_region = g.PROVINCES[dest.province][0]
    middle = [rng.choice(g.REGION_HUBS[d_region])] if z >= 3 else []
    return [first, *middle, f"{dest.city} 分拨中心"]


def _line_haul(
    rng: random.Random, j: Journey, pickup: datetime, hours: float, z: int, origin: Place, dest: Place
) -> datetime | None:
    """Hub-to-hub scans; returns when the parcel reached the destination city (None when it got lost)."""
    hubs = _hubs(rng, z, origin, dest)
    stall_at = rng.randrange(len(hubs)) if rng.random() < 0.03 else -1
    lost_at = rng.randrange(len(hubs)) if rng.random() < 0.002 else -1
    step = hours / (2 * len(hubs))
    t = pickup + timedelta(hours=rng.uniform(1.0, 4.0))
    t = j.add(t, T.IN_TRANSIT, origin.city, f"快件已从【{origin.city}】发出，下一站【{hubs[0]}】")
    for i, hub in enumerate(hubs):
        if i == stall_at:
            j.stalled = True
            t += timedelta(hours=rng.uniform(26.0, 70.0))
        if i == lost_at:
            j.failed_at = j.add(
                t + timedelta(days=rng.uniform(4, 7)), T.LOST, hub, "快件遗失，已启动理赔程序"
            )
            return None
        t = j.add(
            t + timedelta(hours=step * rng.uniform(0.7, 1.3)), T.IN_TRANSIT, hub, f"快件已到达【{hub}】"
        )
        if i + 1 < len(hubs):
            t = j.add(
                t + timedelta(hours=step * rng.uniform(0.7, 1.3)),
                T.IN_TRANSIT,
                hub,
                f"快件已从【{hub}】发出，下一站【{hubs[i + 1]}】",
            )
    return t


def _next_morning(t: datetime, rng: random.Random) -> datetime:
    if t.hour < 14:
        return t + timedelta(hours=rng.uniform(1.0, 3.0))
    day = datetime(t.year, t.month, t.day) + timedelta(days=1)
    return day + timedelta(hours=rng.uniform(7.5, 10.5))


def _last_mile(
    rng: random.Random, j: Journey, arrived: datetime, dest: Place, origin: Place, hours: float
) -> None:
    where = f"{dest.city}{dest.district}"
    if rng.random() < 0.005:
        arrived = j.add(arrived + HOUR, T.EXCEPTION, dest.city, "疑难件：收件地址不详，正在联系收件人")
        arrived += timedelta(hours=rng.uniform(12.0, 36.0))
    courier = rng.choice(c.COURIER_NAMES)
    phone = rng.choice(c.PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
    ofd = j.add(
        _next_morning(arrived, rng),
        T.OUT_FOR_DELIVERY,
        where,
        f"【{where}】快递员 {courier}（{phone}）正在派件",
    )
    roll = rng.random()
    if roll < 0.006:
        _rejected(rng, j, ofd, dest, origin, hours)
    elif roll < 0.026:
        failed = j.add(
            ofd + timedelta(hours=rng.uniform(2, 5)),
            T.FAILED_ATTEMPT,
            where,
            "派件未成功：收件人电话无人接听，将再次派送",
        )
        again = j.add(
            _next_morning(failed + timedelta(hours=12), rng),
            T.OUT_FOR_DELIVERY,
            where,
            f"【{where}】快递员 {courier} 再次派件",
        )
        j.delivered_at = j.add(
            again + timedelta(hours=rng.uniform(1, 4)), T.DELIVERED, where, "已签收，签收人：本人"
        )
    elif roll < 0.28:
        station = j.add(
            ofd + timedelta(hours=rng.uniform(0.5, 3)),
            T.AVAILABLE_FOR_PICKUP,
            where,
            f"快件已放入【{where}】菜鸟驿站，请凭取件码领取",
        )
        j.delivered_at = j.add(
            station + timedelta(hours=rng.uniform(1, 30)), T.DELIVERED, where, "已签收，驿站代收后本人取件"
        )
    else:
        j.delivered_at = j.add(
            ofd + timedelta(hours=rng.uniform(0.5, 5)), T.DELIVERED, where, "已签收，签收人：本人"
        )


def _rejected(
    rng: random.Random, j: Journey, ofd: datetime, dest: Place, origin: Place, hours: float
) -> None:
    where = f"{dest.city}{dest.district}"
    t = j.add(ofd + timedelta(hours=rng.uniform(1, 4)), T.REJECTED, where, "收件人拒收，快件将退回")
    j.failed_at = t
    t = j.add(
        t + timedelta(hours=rng.uniform(10, 30)),
        T.RETURNING,
        dest.city,
        f"退回件已从【{dest.city}】发出，退回寄件人",
    )
    j.add(
        t + timedelta(hours=hours * rng.uniform(0.9, 1.4)),
        T.RETURNED,
        origin.city,
        "退回件已签收，退回寄件人",
    )
