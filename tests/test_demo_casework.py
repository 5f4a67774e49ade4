"""The demo's history caught up in the after-sales and follow-up areas (lanshou.demo.casework): follow-ups
for the recent negative feedback, a case for every refund and recent failed parcel, a seeded handful of
buyer requests, each step in the order's timeline; nothing sent, nothing opened twice. The expectations
are computed here from the demo's own tables, not taken from the code under test."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lanshou import schema as s
from lanshou.aftersales.store import Case, CaseFilter, history_of, list_cases
from lanshou.demo.casework import (
    AHEAD_HOURS,
    OVERDUE_HOURS,
    OVERDUE_SHARE,
    SOURCE,
    STAFF,
    WINDOW_DAYS,
    Failure,
    catch_up,
    demo_shop_ids,
    failure_plan,
    spread_due,
)
from lanshou.demo.generator import DemoConfig
from lanshou.demo.settle import settle_tracking
from lanshou.demo.writer import write_demo
from lanshou.followups.store import list_rows, themes_of
from lanshou.followups.themes import is_negative
from lanshou.notifications.store import add_rule
from lanshou.orders.timeline import read
from lanshou.stats.report import current_report

CONFIG = DemoConfig(orders=1_500, days=45, seed=11, end=date(2026, 11, 21), batch_orders=500)
UNTIL = CONFIG.end_of_period()
SINCE = UNTIL - timedelta(days=WINDOW_DAYS)
NOW = UNTIL + timedelta(hours=9)  # the morning after the demo's last day, when the newcomer runs it
FAILED = ("rejected", "returning", "returned", "lost")
STAGES = ("order_accepted", "order_shipped", "picked_up", "out_for_delivery", "delivered", "exception")


def _demo(engine: Engine) -> Engine:
    write_demo(engine, CONFIG)
    settle_tracking(engine, NOW)
    return engine


@pytest.fixture
def caught_up(engine: Engine) -> Engine:
    _demo(engine)
    with engine.begin() as conn:  # every buyer message enabled: the catch-up must still send nothing
        for shop_id in demo_shop_ids(conn):
            for position, stage in enumerate(STAGES):
                add_rule(conn, shop_id, stage, stage, "", "default", "sms", "zh-CN", position, NOW)
    done = catch_up(engine, CONFIG, NOW)
    assert done.refused == []
    return engine


def _all(engine: Engine, table: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(table)))


def _cases(engine: Engine) -> dict[tuple[int, str], Case]:
    with engine.connect() as conn:
        cases = list_cases(conn, CaseFilter())
    keys = Counter(case.order_key for case in cases)
    assert max(keys.values()) == 1, "one case per order"
    return {case.order_key: case for case in cases}


def _first_failures(engine: Engine) -> dict[tuple[int, str], datetime]:
    """Each order's first parcel failure, straight from the carrier events."""
    parcel_failed: dict[str, datetime] = {}
    for e in _all(engine, s.tracking_events):
        if e.status in FAILED:
            parcel_failed[e.tracking_no] = min(e.event_time, parcel_failed.get(e.tracking_no, e.event_time))
    found: dict[tuple[int, str], datetime] = {}
    for link in _all(engine, s.parcel_orders):
        at = parcel_failed.get(link.tracking_no)
        key = (link.shop_id, link.order_no)
        if at is not None and at < found.get(key, datetime.max):
            found[key] = at
    return found


def _delivered_orders(engine: Engine) -> dict[tuple[int, str], datetime]:
    parcel_delivered = {
        e.tracking_no: e.event_time for e in _all(engine, s.tracking_events) if e.status == "delivered"
    }
    found: dict[tuple[int, str], datetime] = {}
    for link in _all(engine, s.parcel_orders):
        if link.tracking_no in parcel_delivered:
            key = (link.shop_id, link.order_no)
            found[key] = max(parcel_delivered[link.tracking_no], found.get(key, datetime.min))
    return found


def test_a_follow_up_for_each_negative_feedback_of_the_window(caught_up: Engine) -> None:
    feedback = _all(caught_up, s.feedback)
    recent_orders = {(f.shop_id, f.order_no) for f in feedback if f.created_at >= SINCE}
    negative = [f for f in feedback if is_negative(f.rating, themes_of(f.tags, f.content))]
    expected = {
        (f.shop_id, f.order_no, f.created_at) for f in negative if (f.shop_id, f.order_no) in recent_orders
    }
    with caught_up.connect() as conn:
        rows = list_rows(conn, None, True, None, None, 100_000)
    assert {(r["shop_id"], r["order_no"], r["feedback_at"]) for r in rows} == expected
    assert len(expected) >= 20
    assert any(f.created_at < SINCE for f in negative), "older complaints exist and stay without a follow-up"
    by_key = {(f.shop_id, f.order_no, f.created_at): f for f in negative}
    for row in rows:
        fb = by_key[(row["shop_id"], row["order_no"], row["feedback_at"])]
        assert row["status"] == "open" and row["themes"] == "|".join(themes_of(fb.tags, fb.content))
        assert row["owner"] == ""
    with caught_up.connect() as conn:
        some = rows[: len(rows) // 4 + 1]
        for row in some:
            opened = [e for e in read(conn, row["shop_id"], row["order_no"]) if e.kind == "followup_opened"]
            assert opened and all("差评回访" in e.detail and e.at == NOW for e in opened)
            due = f"due {row['due_at']:%Y-%m-%d %H:%M} UTC"
            assert any(due in e.detail for e in opened)  # the timeline tells the due time the list shows


def test_the_demos_follow_ups_fall_due_around_its_now_not_all_overdue(caught_up: Engine) -> None:
    """A day after each complaint (the shop's terms) would leave all but the last day's overdue when the
    demo is written: a few are a backlog, a little overdue, and most fall due in the coming hours and days,
    the newer complaints later; none before its feedback."""
    with caught_up.connect() as conn:
        rows = list_rows(conn, None, True, None, None, 100_000)
    overdue = [r for r in rows if r["due_at"] < NOW]
    ahead = [r["due_at"] - NOW for r in rows if r["due_at"] >= NOW]
    assert overdue and len(overdue) < len(rows) / 3, (len(overdue), len(rows))
    assert all(NOW - r["due_at"] <= timedelta(hours=36) for r in overdue)  # a backlog, not weeks of it
    assert any(gap < timedelta(hours=12) for gap in ahead)  # due today …
    assert any(gap > timedelta(hours=24) for gap in ahead)  # … and in the days after
    assert all(gap <= timedelta(hours=72) for gap in ahead)
    assert all(r["due_at"] > r["feedback_at"] and r["due_at"].second == 0 for r in rows)
    by_feedback = [r["due_at"] for r in sorted(rows, key=lambda r: (r["feedback_at"], r["id"]))]
    assert by_feedback == sorted(by_feedback)  # the older the complaint, the sooner it is due


def test_spread_due_places_a_complaint_by_when_in_the_window_it_came() -> None:
    due = spread_due(NOW, SINCE, UNTIL)
    assert due(SINCE, 24) == NOW - timedelta(hours=OVERDUE_HOURS)  # the oldest: the most overdue
    assert due(SINCE - timedelta(days=3), 24) == due(SINCE, 24)  # an order's older complaint comes along
    assert due(SINCE + (UNTIL - SINCE) * OVERDUE_SHARE, 24) == NOW  # the backlog ends at now
    assert due(UNTIL, 24) == NOW + timedelta(hours=AHEAD_HOURS)  # the newest: the latest
    wrote = SINCE + (UNTIL - SINCE) * OVERDUE_SHARE / 2  # in the backlog, after `now` (a clock behind)
    assert spread_due(SINCE, SINCE, UNTIL)(wrote, 24) == wrote + timedelta(hours=1)  # never before it


def test_a_case_for_every_refund_and_recent_failed_parcel(caught_up: Engine) -> None:
    orders = {(o.shop_id, o.order_no): o for o in _all(caught_up, s.orders)}
    failures, delivered = _first_failures(caught_up), _delivered_orders(caught_up)
    expected: dict[tuple[int, str], tuple[str, str]] = {}
    for key, order in orders.items():
        if order.status == "refunded":
            kind = (
                "refund_shipped"
                if key in failures
                else "return_refund"
                if key in delivered
                else "refund_unshipped"
            )
            expected[key] = (kind, "refunded")
        elif key in failures and failures[key] >= SINCE:
            expected[key] = ("refund_shipped" if order.status == "shipped" else "reship", "requested")
    cases = _cases(caught_up)
    history = {key: (c.case_type.value, c.status.value) for key, c in cases.items() if key in expected}
    assert history == expected
    assert Counter(kind for kind, _ in expected.values()).keys() >= {
        "refund_shipped",
        "return_refund",
        "refund_unshipped",
    }
    for key, (kind, _) in expected.items():
        case = cases[key]
        assert case.amount == (Decimal(0) if kind == "reship" else orders[key].order_amount)
        assert orders[key].paid_at < case.requested_at <= orders[key].updated_at  # asked, then refunded
        if key in failures:
            assert case.requested_at == failures[key]
        elif kind == "return_refund":
            assert case.requested_at > delivered[key]
    seeded = {key: c for key, c in cases.items() if key not in expected}
    assert Counter((c.case_type.value, c.status.value) for c in seeded.values()) == Counter(
        {
            ("refund_shipped", "requested"): 1,
            ("refund_shipped", "refunded"): 1,
            ("refund_shipped", "refused"): 1,
            ("return_refund", "requested"): 1,
            ("return_refund", "waiting_return"): 1,
            ("return_refund", "refunded"): 1,
            ("exchange", "requested"): 1,
            ("exchange", "received"): 1,
        }
    )
    lines = defaultdict(dict)
    for line in _all(caught_up, s.order_lines):
        lines[(line.shop_id, line.order_no)][line.sku] = line.unit_price
    for key, case in seeded.items():
        assert orders[key].status in ("delivered", "completed") and key not in failures
        assert timedelta(0) < case.requested_at - delivered[key] <= timedelta(days=7)  # the return window
        assert case.requested_at <= UNTIL and case.quantity == 1
        money = case.case_type.value in ("refund_shipped", "return_refund")
        assert case.amount == (lines[key][case.sku] if money else Decimal(0))


def test_every_step_is_in_the_timeline_and_nothing_is_sent(caught_up: Engine) -> None:
    cases = _cases(caught_up)
    with caught_up.connect() as conn:
        for case in cases.values():
            timeline = read(conn, case.shop_id, case.order_no)
            opened = [e for e in timeline if e.kind == "aftersale_open"]
            assert len(opened) == 1 and case.case_no in opened[0].detail
            assert case.reason in opened[0].detail and SOURCE.strip() in opened[0].detail
            steps = history_of(conn, case.shop_id, case.case_no)
            assert steps[-1]["to_status"] == case.status.value
            staff = [e for e in timeline if e.actor == STAFF]
            assert len(staff) == sum(step["actor"] == STAFF for step in steps)
            if case.status.value == "refused":
                assert any(e.kind == "aftersale_refuse" and "请申请退货退款" in e.detail for e in staff)
            if case.case_type.value == "exchange" and case.status.value == "received":
                outbound = conn.execute(
                    select(s.orders.c.status, s.orders.c.order_amount).where(
                        s.orders.c.shop_id == case.shop_id, s.orders.c.order_no == case.outbound_order_no
                    )
                ).one()
                assert outbound.status == "paid" and outbound.order_amount == 0
        sent = conn.execute(select(func.count()).select_from(s.notify_outbox)).scalar_one()
    assert sent == 0


def test_the_statistics_hear_of_the_cases(caught_up: Engine) -> None:
    cases = _cases(caught_up).values()
    report = current_report(caught_up, CONFIG.first_day - timedelta(days=1), CONFIG.end + timedelta(days=2))
    totals = report["totals"]
    assert (
        int(totals["returns"]) == sum(c.case_type.value in ("return_refund", "exchange") for c in cases) > 0
    )
    refunded = sum((c.amount for c in cases if c.status.value == "refunded"), Decimal(0))
    assert Decimal(totals["refunded"]) == refunded > 0
    assert Decimal(totals["resent"]) > 0  # the exchange's goods went out again


def test_catching_up_twice_opens_nothing_more(caught_up: Engine) -> None:
    def counts() -> list[int]:
        with caught_up.connect() as conn:
            return [
                conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (s.followups, s.aftersale_cases, s.aftersale_history, s.order_events, s.orders)
            ]

    before = counts()
    again = catch_up(caught_up, CONFIG, NOW + timedelta(hours=1))
    assert (again.followups, again.cases, again.refused) == (0, 0, [])
    assert counts() == before


def test_same_seed_same_cases(tmp_path: Path, sqlite_template: Path) -> None:
    import shutil

    from lanshou.db.engine import make_engine

    def cases_of(name: str) -> list[tuple[object, ...]]:
        path = tmp_path / name
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        catch_up(_demo(engine), CONFIG, NOW)
        found = [
            (
                c.case_no,
                c.case_type,
                c.status,
                c.amount,
                c.reason,
                c.requested_at,
                c.sku,
                c.return_tracking_no,
            )
            for c in _cases(engine).values()
        ]
        engine.dispose()
        return sorted(found)

    assert cases_of("one.db") == cases_of("two.db")


@pytest.mark.parametrize(
    ("order_status", "kind", "status"),
    [
        ("refunded", "refund_shipped", "refunded"),  # the platform refunded the parcel that never came
        ("shipped", "refund_shipped", "requested"),  # the buyer's refund waits for the shop
        ("delivered", "reship", "requested"),  # another parcel came: what did not is asked for again
        ("completed", "reship", "requested"),
    ],
)
@pytest.mark.parametrize("carrier_said", ["rejected", "lost"])
def test_a_failed_parcel_s_case(order_status: str, kind: str, status: str, carrier_said: str) -> None:
    failure = Failure(carrier_said, datetime(2026, 11, 20, 3), "YT1234", "yto")
    plan = failure_plan((1, "A1"), failure, order_status)
    assert (plan.case_type.value, plan.status.value, plan.requested_at) == (kind, status, failure.at)
    assert "yto YT1234" in plan.reason
    assert plan.reason_code == ("missing" if carrier_said == "lost" else "other")
