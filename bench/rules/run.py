"""Rule benchmark: ten realistic review / carrier rules in CEL checked over generated orders on one core,
beside the same conditions written as plain Python lambdas over the same RuleOrder objects.

    .venv/bin/python bench/rules/run.py [--orders 100000] [--seed 7] [--cpu 0]

The rules compile once. The timed CEL pass is the shipped path, `RuleSet.evaluate(order, now)`: bind the facts
the rules read, once per order, and check every rule in one evaluation. Two more passes time the checks alone
over pre-built activations, and the same work with one library call per rule instead of one per order.
The Python pass runs the lambdas in the same kind of loop (a Match per hit). Both must
find the same matches, rule by rule, or the run fails.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from lanshou.rules import (
    Decision,
    Match,
    RuleBuyer,
    RuleLine,
    RuleOrder,
    RuleRuntimeError,
    RuleSet,
    make_rule,
    parse_action,
    summarise_lines,
)
from lanshou.rules.context import Binder

NOW = datetime(2024, 11, 11, 12, 0)
INVOICE = re.compile("发票|开票")
Check = Callable[[RuleOrder, datetime], bool]

# name, CEL condition, action, the same condition in Python
RULES: list[tuple[str, str, str, Check]] = [
    ("big orders", "amount > 2000.0", "hold:大额订单", lambda o, now: o.amount > 2000),
    ("blacklist", "buyer.blacklisted", "hold:黑名单买家", lambda o, now: o.buyer.blacklisted),
    (
        "new buyer, big basket",
        "buyer.orders == 0 && amount > 800.0",
        "hold:新客大额",
        lambda o, now: o.buyer.orders == 0 and o.amount > 800,
    ),
    (
        "remote",
        "province in ['新疆', '西藏', '青海'] || country != 'CN'",
        "tag:偏远",
        lambda o, now: o.province in ("新疆", "西藏", "青海") or o.country != "CN",
    ),
    (
        "invoice",
        "message.contains('发票') || remark.matches('发票|开票')",
        "tag:发票",
        lambda o, now: "发票" in o.message or INVOICE.search(o.remark) is not None,
    ),
    (
        "vip",
        "buyer.tier == 'vip' || 'vip' in buyer.segments",
        "priority:5",
        lambda o, now: o.buyer.tier == "vip" or "vip" in o.buyer.segments,
    ),
    (
        "deadline close",
        "has_deadline && hours_to_deadline < 12.0",
        "priority:8",
        lambda o, now: o.promised_ship_by is not None and (o.hours_to_deadline(now) or 0) < 12,
    ),
    (
        "fresh food cold chain",
        "lines.exists(l, l.category == '生鲜' && l.quantity >= 2)",
        "carrier:sf:冷链",
        lambda o, now: any(line.category == "生鲜" and line.quantity >= 2 for line in o.lines),
    ),
    ("heavy", "weight_g > 20000", "carrier:deppon", lambda o, now: o.weight_g > 20000),
    (
        "gift bundle",
        "skus.exists(s, s.startsWith('GIFT-')) && total_quantity >= 3",
        "tag:赠品",
        lambda o, now: any(s.startswith("GIFT-") for s in o.skus) and o.total_quantity >= 3,
    ),
]

PROVINCES = ["浙江", "广东", "江苏", "上海", "北京", "四川", "新疆", "西藏", "青海", "湖北"]
CATEGORIES = ["服装", "生鲜", "数码", "美妆", "家居"]
MESSAGES = ["", "", "", "请开发票", "尽快发货", "不要放驿站"]
REMARKS = ["", "", "已开票", "加急", "送小样"]


def generate(count: int, seed: int) -> list[RuleOrder]:
    rng = random.Random(seed)
    return [_order(rng, k) for k in range(count)]


def _order(rng: random.Random, k: int) -> RuleOrder:
    lines = tuple(
        RuleLine(
            sku=rng.choice(["GIFT-", "SKU-", "SKU-", "SKU-"]) + str(rng.randrange(500)),
            category=rng.choice(CATEGORIES),
            quantity=rng.choice([1, 1, 1, 2, 3, 5]),
            unit_price=Decimal(rng.randrange(990, 99900)) / 100,
            weight_g=rng.choice([150, 400, 1200, 5000, 9000]),
        )
        for _ in range(rng.choice([1, 1, 2, 3, 4]))
    )
    summary = summarise_lines(lines)
    created = NOW - timedelta(minutes=rng.randrange(60, 60 * 96))
    paid = created + timedelta(minutes=rng.randrange(1, 30)) if rng.random() < 0.95 else None
    orders = rng.choice([0, 0, 1, 2, 5, 12])
    return RuleOrder(
        platform=rng.choice(["tmall", "taobao", "douyin", "pdd", "jd"]),
        shop=f"shop-{rng.randrange(7)}",
        order_id=f"B{k:09d}",
        created_at=created,
        amount=sum((line.unit_price * line.quantity for line in lines), Decimal(0)),
        country="CN" if rng.random() < 0.98 else "HK",
        province=rng.choice(PROVINCES),
        city="某市",
        shipping_method=rng.choice(["express", "standard"]),
        categories=summary.categories,
        skus=summary.skus,
        lines=lines,
        total_quantity=summary.total_quantity,
        weight_g=summary.weight_g,
        buyer=RuleBuyer(
            orders=orders,
            spend=Decimal(orders * rng.randrange(50, 500)),
            is_repeat=orders > 0,
            tier="vip" if rng.random() < 0.05 else "",
            segments=("vip",) if rng.random() < 0.03 else (),
            blacklisted=rng.random() < 0.01,
        ),
        message=rng.choice(MESSAGES),
        remark=rng.choice(REMARKS),
        paid_at=paid,
        promised_ship_by=created + timedelta(hours=48) if rng.random() < 0.7 else None,
    )


CHUNK = 5_000
Pass = Callable[[list[RuleOrder]], Counter[str]]


class Timing:
    """Wall and CPU time of a pass, in chunks of CHUNK orders. The machine is shared: the process's CPU time
    is the one-core figure, and the best chunk shows the rate when the neighbours were quietest."""

    def __init__(self) -> None:
        self.chunks: list[tuple[float, float, int]] = []  # wall s, cpu s, checks

    def run(self, one_pass: Pass, orders: list[RuleOrder], rules: int) -> Counter[str]:
        hits: Counter[str] = Counter()
        for start in range(0, len(orders), CHUNK):
            chunk = orders[start : start + CHUNK]
            wall, cpu = time.perf_counter(), time.process_time()
            hits += one_pass(chunk)
            self.chunks.append((time.perf_counter() - wall, time.process_time() - cpu, len(chunk) * rules))
        return hits

    @property
    def wall(self) -> float:
        return sum(wall for wall, _, _ in self.chunks)

    @property
    def cpu(self) -> float:
        return sum(cpu for _, cpu, _ in self.chunks)

    def line(self, label: str) -> str:
        checks = sum(n for _, _, n in self.chunks)
        best_wall = max(n / wall for wall, _, n in self.chunks)
        best_cpu = max(n / max(cpu, 1e-9) for _, cpu, n in self.chunks)
        wall = f"wall {self.wall:6.2f} s {checks / self.wall:>9,.0f}/s (best chunk {best_wall:>9,.0f})"
        cpu = f"cpu {self.cpu:6.2f} s {checks / self.cpu:>9,.0f}/s (best chunk {best_cpu:>9,.0f})"
        return f"{label:<34} {wall}   {cpu}"


def cel_pass(ruleset: RuleSet) -> Pass:
    """The shipped path: `RuleSet.evaluate` binds what the rules read and checks them in one evaluation."""

    def one_pass(orders: list[RuleOrder]) -> Counter[str]:
        hits: Counter[str] = Counter()
        for order in orders:
            hits.update(match.rule for match in ruleset.evaluate(order, NOW).matches)
        return hits

    return one_pass


def cel_checks_only_pass(ruleset: RuleSet, orders: list[RuleOrder]) -> tuple[Pass, list[RuleOrder]]:
    """Checks alone: every order bound before the clock starts (kept by identity for the pass)."""
    binder = Binder(ruleset.facts)
    bound = {id(order): binder.activation(order, NOW) for order in orders}

    def one_pass(chunk: list[RuleOrder]) -> Counter[str]:
        for order in chunk:
            ruleset.decide(bound[id(order)])
        return Counter()

    return one_pass, orders


def cel_rule_by_rule_pass(ruleset: RuleSet) -> Pass:
    """One `Condition.check` call per rule (what `RuleSet` does only for an order where a rule fails)."""
    binder = Binder(ruleset.facts)

    def one_pass(orders: list[RuleOrder]) -> Counter[str]:
        for order in orders:
            bound = binder.activation(order, NOW)
            for rule in ruleset.rules:
                with contextlib.suppress(RuleRuntimeError):
                    rule.condition.check(bound)
        return Counter()

    return one_pass


def python_pass() -> Pass:
    rules = [(name, check, parse_action(action)) for name, _, action, check in RULES]

    def one_pass(orders: list[RuleOrder]) -> Counter[str]:
        hits: Counter[str] = Counter()
        for order in orders:
            matches = [
                Match(name, k, "", act) for k, (name, check, act) in enumerate(rules) if check(order, NOW)
            ]
            hits.update(match.rule for match in Decision(tuple(matches)).matches)
        return hits

    return one_pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU (Linux)")
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})

    started = time.perf_counter()
    ruleset = RuleSet(make_rule(name, source, action, k) for k, (name, source, action, _) in enumerate(RULES))
    compiled_ms = (time.perf_counter() - started) * 1000
    orders = generate(args.orders, args.seed)
    gc.collect()
    gc.freeze()  # the generated orders live all run; don't let the collector rescan them
    rules = len(ruleset.rules)
    print(f"{rules} rules compiled in {compiled_ms:.1f} ms; they read {len(ruleset.facts)} facts")
    print(f"{len(orders):,} orders x {rules} rules = {len(orders) * rules:,} rule checks (rates: checks/s)")

    cel, python = Timing(), Timing()
    cel_hits = cel.run(cel_pass(ruleset), orders, rules)
    python_hits = python.run(python_pass(), orders, rules)
    print(cel.line("CEL: RuleSet.evaluate (shipped)"))
    checks_only, bound_orders = cel_checks_only_pass(ruleset, orders)
    only = Timing()
    only.run(checks_only, bound_orders, rules)
    print(only.line("CEL: checks alone (bound before)"))
    by_rule = Timing()
    by_rule.run(cel_rule_by_rule_pass(ruleset), orders, rules)
    print(by_rule.line("CEL: bind + one call per rule"))
    print(python.line("Python lambdas, same loop"))
    slower = f"wall {cel.wall / python.wall:.1f}x, cpu {cel.cpu / python.cpu:.1f}x"
    print(f"CEL end to end is slower than the Python lambdas by: {slower}")
    for name, *_ in RULES:
        print(f"  {name:<24} {cel_hits[name]:>8,} matches")
    if cel_hits != python_hits:
        raise SystemExit(f"CEL and Python disagree: {cel_hits - python_hits} / {python_hits - cel_hits}")
    print("CEL and Python found the same matches, rule by rule")


if __name__ == "__main__":
    main()
