"""`lanshou ship`: ready shipments → carrier → waybill → labels PDF → shipped, in batches.

0. The run takes its shops' leases (one run per shop at a time, see tables.ship_leases): a shop another run
   is shipping is reported and left to it.
1. Per batch, one transaction: refuse shipments whose orders are no longer paid (a cancelled order is never
   shipped), reuse the waybill a shipment already holds, else choose the carrier (shipping.choice: the
   shop's saved carrier rules, the carrier file's rules, then its strategy) and take
   a waybill; the waybill is stored against the shipment (shipment_waybills) with the timeline entries
   before any label is printed. A shipment that cannot get one is reported and the others go on.
2. One PDF of every label, in pick order. If it cannot be written nothing is marked shipped; the next run
   prints the same waybills again.
3. Per batch, one transaction: the orders (still paid, locked) become shipped, their parcel is stored and
   linked (parcel_state `info_received`), the timeline says so, `OrderShipped` and `OrdersChanged` go out.
4. Each platform's batch-ship upload file, and the platforms' "shipped" API where a notifier is given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from lanshou import progress
from lanshou.bilingual import Bilingual
from lanshou.db.engine import run_transaction
from lanshou.events import OrdersChanged, OrderShipped, bus
from lanshou.orders.keys import OrderKey
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.platforms.shipping_api import ShippingRefused
from lanshou.review.queries import (
    not_shippable,
    part_numbers,
    split_parts,
)  # review's guard; split orders' parts
from lanshou.review.ready import ReadyShipment
from lanshou.rules import RuleSet
from lanshou.shipping import labels as lb
from lanshou.shipping import leases
from lanshou.shipping.choice import ChoiceRefused, Lanes, choose
from lanshou.shipping.config import ShippingConfig
from lanshou.shipping.parcels import (
    Waybill,
    label_for,
    object_id,
    part_note,
    parts_of,
    pick_order,
    shipment_id,
    shop_masks_receiver,
    shop_sender,
    waybill_request,
)
from lanshou.shipping.pool_store import DbNumberPool, utc_now
from lanshou.shipping.printing import write_labels_pdf, write_lists
from lanshou.shipping.providers import ProviderFactory, pool_providers
from lanshou.shipping.report import Outcome, ShipReport
from lanshou.shipping.store import (
    HeldWaybill,
    adopt_waybill,
    held_waybills,
    mark_info_received,
    mark_waybills_shipped,
    order_statuses,
    record_waybills,
    set_shipped,
)
from lanshou.shipping.tell import Notifiers, ShippedRow, notify_platforms, write_upload_files
from lanshou.shipping.waybills import (
    Party,
    WaybillRequest,
    WaybillResult,
)
from lanshou.shops.model import ShopInfo
from lanshou.tracking.store import save_shipments

BATCH = 200
ShopRules = Callable[[int], RuleSet]  # shop id -> its carrier rules (lanshou.rules.store.ShopRuleSets)


class ShipRefused(ValueError):
    """The whole run cannot go on (no sender, the labels cannot be written); nothing was marked shipped."""


@dataclass(frozen=True, slots=True)
class ShipOptions:
    labels: Path
    size: str = "100x180"
    carrier: str | None = None  # None: choose per shipment (auto)
    upload_dir: Path | None = None
    actor: str = "system"
    pick_list: Path | None = None  # the batch's pick list (by warehouse location), beside the labels
    packing_list: Path | None = None


def ship(
    engine: Engine,
    shipments: Sequence[ReadyShipment],
    config: ShippingConfig,
    shops: Mapping[int, ShopInfo],
    options: ShipOptions,
    lanes: Lanes,
    notifiers: Notifiers | None = None,
    providers: ProviderFactory = pool_providers,
    shop_rules: ShopRules | None = None,
) -> ShipReport:
    """Ship `shipments` (see the module). `shop_rules(shop id)`: the merchant's saved carrier rules."""
    report = ShipReport()
    holder = leases.new_holder()
    mine = run_transaction(
        engine, lambda conn: leases.acquire(conn, {s.shop_id for s in shipments}, holder, utc_now())
    )
    senders = {i: shop_sender(s.settings, config.sender) for i, s in shops.items()}
    run = _Run(config, shops, senders, options, lanes, providers, shop_rules, holder)
    try:
        for s in shipments:
            if s.shop_id not in mine:
                reason = Bilingual(
                    "另一发货任务正在处理", f"another lanshou ship run is shipping {s.shop}: try when it ends"
                )
                report.outcomes.append(Outcome(s, reason=reason))
        _ship(engine, [s for s in shipments if s.shop_id in mine], run, report)
    finally:
        try:
            run_transaction(engine, lambda conn: leases.release(conn, holder))
        except Exception as exc:  # the lease lapses by itself (leases.LEASE)
            report.notes.append(f"发货锁未释放 lease not released, it lapses in {leases.LEASE}: {exc}")
    try:
        bus.settle(engine)
    except Exception as exc:  # the shipments are committed; the marks the subscribers keep catch up later
        report.notes.append(
            f"统计稍后更新 follow-up work after shipping deferred: {type(exc).__name__}: {exc}"
        )
    shipped = [o for o in report.outcomes if o.ok]
    if options.upload_dir is not None and shipped:
        files, notes = write_upload_files(shipped_rows(shipped), options.upload_dir)
        report.upload_files += files
        report.notes += notes
    if notifiers and shipped:
        report.notes += notify_platforms(engine, shipped_rows(shipped), notifiers, options.actor)
    return report


@dataclass(frozen=True, slots=True)
class _Run:
    """What every batch of one run shares."""

    config: ShippingConfig
    shops: Mapping[int, ShopInfo]
    senders: Mapping[int, Party | None]
    options: ShipOptions
    lanes: Lanes
    providers: ProviderFactory
    shop_rules: ShopRules | None
    holder: str  # the run's lease holder id


def _ship(engine: Engine, shipments: Sequence[ReadyShipment], run: _Run, report: ShipReport) -> None:
    config, options, holder = run.config, run.options, run.holder
    batches = [shipments[i : i + BATCH] for i in range(0, len(shipments), BATCH)]
    with progress.track("取单号 waybills", len(shipments)) as tick:
        for batch in batches:
            report.outcomes += _take_waybills(engine, batch, run)
            tick(len(report.outcomes))
    ready = [o for o in report.outcomes if o.ok]
    labels = _labels(ready, run.senders)
    printable = [(o, label) for o, label in labels if label is not None]
    if printable:
        printable.sort(key=lambda pair: pick_order(pair[0].shipment))
        mask = {i: shop_masks_receiver(s.settings, config.mask_receiver) for i, s in run.shops.items()}
        to_print = [(o.shipment, label) for o, label in printable]
        try:
            report.pages = write_labels_pdf(to_print, options.labels, options.size, mask)
            write_lists(
                to_print, options.pick_list, options.packing_list, options.labels.stem, config.mask_receiver
            )
        except (lb.LabelError, lb.LabelFontError, OSError) as exc:
            raise ShipRefused(f"面单未生成 labels not written, nothing marked shipped: {exc}") from exc
        report.labels = options.labels
    with progress.track("发货 marking shipped", len(printable)) as tick:
        done = 0
        for start in range(0, len(printable), BATCH):
            chunk = [o for o, _ in printable[start : start + BATCH]]
            try:
                run_transaction(engine, lambda conn, c=chunk: _mark_shipped(conn, c, options.actor, holder))  # type: ignore[misc]
            except Exception as exc:  # this batch stays unshipped with its waybills: the next run ships it
                for o in chunk:
                    o.ok = False
                    o.reason = (
                        f"未标记发货 not marked shipped (waybill {o.tracking_no} kept, run again): {exc}"
                    )
            done += len(chunk)
            tick(done)


def _take_waybills(engine: Engine, batch: Sequence[ReadyShipment], run: _Run) -> list[Outcome]:
    def work(conn: Connection) -> list[Outcome]:
        leases.renew(conn, run.holder, utc_now())
        return _take_in(conn, batch, run)

    try:
        return run_transaction(engine, work)
    except Exception as exc:  # one bad batch is reported; the next batches still run
        return [Outcome(s, reason=f"批次失败 batch failed: {type(exc).__name__}: {exc}") for s in batch]


def _take_in(conn: Connection, batch: Sequence[ReadyShipment], run: _Run) -> list[Outcome]:
    now = utc_now()
    outcomes = {object_id(s): Outcome(s) for s in batch}
    statuses = not_shippable(conn, [key for s in batch for key in s.keys], parts_of(batch))
    held = held_waybills(conn, [s.keys[0] for s in batch])
    split = split_parts(conn, [s.keys[0] for s in batch if s.part])
    entries: list[TimelineEntry] = []
    wanted: dict[tuple[str, str], list[tuple[WaybillRequest, str, str]]] = defaultdict(list)
    for s in batch:
        outcome = outcomes[object_id(s)]
        problem = _not_shippable(s, statuses)
        if problem:
            outcome.reason = problem
            continue
        stored = held.get((*s.keys[0], s.part))
        if stored is None:  # a number the order took before it was split (or joined again) is used first
            now_parts = part_numbers(split.get(s.keys[0], {})) if s.part else {0}
            stored = adopt_waybill(conn, held, s.keys[0], s.part, now_parts)
            if stored is not None:
                detail = f"沿用原单号 waybill taken before the split: {stored.carrier} {stored.tracking_no}"
                entries.append(TimelineEntry(*s.keys[0], now, "waybill_reused", detail, run.options.actor))
        if stored is not None:
            _reuse(outcome, stored)
            continue
        sender = run.senders.get(s.shop_id)
        if sender is None:
            outcome.reason = Bilingual(
                "未配置寄件人", "no sender: set [sender] in the carrier file or the shop's settings"
            )
            continue
        shop = run.shops.get(s.shop_id)
        timezone = shop.timezone if shop else "Asia/Shanghai"
        rules = run.shop_rules(s.shop_id) if run.shop_rules else None
        try:
            choice = choose(run.config.plan, s, now, timezone, run.lanes, run.options.carrier, rules)
        except ChoiceRefused as exc:
            outcome.reason = exc.args[0]  # the reason as given: a page shows its reader's half
            continue
        request = waybill_request(s, choice.carrier, choice.service, sender)
        wanted[(choice.provider, choice.carrier)].append((request, choice.service, choice.reason))
    for (provider_name, carrier), items in wanted.items():
        try:
            provider = run.providers(conn, provider_name, carrier)
            results = provider.issue([request for request, _, _ in items])
        except ShippingRefused as exc:
            results = [WaybillResult.failed(request.object_id, str(exc)) for request, _, _ in items]
        taken: list[tuple[HeldWaybill, str]] = []
        for (request, service, why), result in zip(items, results, strict=True):
            outcome = outcomes[request.object_id]
            if not result.ok:
                outcome.reason = result.error
                continue
            s = outcome.shipment
            held_here = HeldWaybill(
                s.shop_id, s.keys[0][1], s.order_nos, carrier, service, provider_name,
                result.waybill_no, result.sorting_code, why, None, None, s.part,
            )  # fmt: skip
            taken.append((held_here, result.provider_ref))
        ours = record_waybills(conn, taken)
        theirs = held_waybills(conn, [(h.shop_id, h.order_no) for h, _ in taken if h.key not in ours])
        for mine, _ in taken:
            outcome = outcomes[shipment_id(*mine.key)]
            key = mine.key
            if key not in ours:  # another run stored a waybill for it first: give ours back, use theirs
                if provider_name == "pool":
                    DbNumberPool(conn).release(carrier, mine.tracking_no)
                _reuse(outcome, theirs[key])
                continue
            outcome.ok, outcome.carrier, outcome.tracking_no = True, carrier, mine.tracking_no
            outcome.sorting_code, outcome.reason = mine.sorting_code, mine.reason
            actor, detail = run.options.actor, f"{carrier} {mine.tracking_no}" + part_note(outcome.shipment)
            for shop_id, order_no in outcome.shipment.keys:
                entries.append(TimelineEntry(shop_id, order_no, now, "carrier_chosen", mine.reason, actor))
                entries.append(TimelineEntry(shop_id, order_no, now, "waybill_taken", detail, actor))
    record(conn, entries)
    return [outcomes[object_id(s)] for s in batch]


def shipped_rows(shipped: Sequence[Outcome]) -> list[ShippedRow]:
    return [
        ShippedRow(key, o.shipment.platform, o.carrier, o.tracking_no, o.additional)
        for o in shipped
        for key in o.shipment.keys
    ]


def _not_shippable(shipment: ReadyShipment, reasons: Mapping[OrderKey, str]) -> str:
    """Why the shipment must not leave ("" when it may): the first of its orders review refuses."""
    for key in shipment.keys:
        if key in reasons:
            return f"不发货 not shipped: {key[1]} {reasons[key]}"
    return ""


def _reuse(outcome: Outcome, stored: HeldWaybill) -> None:
    """Print and ship the waybill an earlier run took (and did not finish with)."""
    outcome.ok, outcome.reused = True, True
    outcome.carrier, outcome.tracking_no = stored.carrier, stored.tracking_no
    outcome.sorting_code, outcome.reason = stored.sorting_code, stored.reason


def _labels(
    ready: Sequence[Outcome], senders: Mapping[int, Party | None]
) -> list[tuple[Outcome, lb.Label | None]]:
    made: list[tuple[Outcome, lb.Label | None]] = []
    for outcome in ready:
        sender = senders.get(outcome.shipment.shop_id)
        try:
            if sender is None:
                raise lb.LabelError("未配置寄件人 no sender for the label")
            waybill = Waybill(outcome.carrier, outcome.tracking_no, outcome.sorting_code)
            made.append((outcome, label_for(outcome.shipment, waybill, sender)))
        except lb.LabelError as exc:
            outcome.ok = False
            outcome.reason = f"面单无法生成 label cannot be drawn (waybill {outcome.tracking_no} kept): {exc}"
            made.append((outcome, None))
    return made


def _mark_shipped(conn: Connection, chunk: Sequence[Outcome], actor: str, holder: str) -> None:
    now = utc_now()
    leases.renew(conn, holder, now)
    keys = [key for o in chunk for key in o.shipment.keys]
    order_statuses(conn, keys, lock=True)  # lock the orders: a cancel waits for us, or we see it
    statuses = not_shippable(conn, keys, parts_of([o.shipment for o in chunk]))
    go = [o for o in chunk if not _not_shippable(o.shipment, statuses)]
    for o in chunk:
        if o not in go:
            o.ok = False
            o.reason = _not_shippable(o.shipment, statuses) + f" (waybill {o.tracking_no} kept)"
    shipped_keys = set(set_shipped(conn, [key for o in go for key in o.shipment.keys], now))
    parcels = [
        (shop_id, order_no, [(o.carrier, o.tracking_no, now)])
        for o in go
        for shop_id, order_no in o.shipment.keys
    ]
    # with the orders of a stored parcel it now carries too
    riding = save_shipments(conn, parcels, ()).changed
    mark_info_received(conn, [o.tracking_no for o in go], now)
    mark_waybills_shipped(conn, [(*o.shipment.keys[0], o.shipment.part) for o in go], now)
    entries = []
    first_parts: set[OrderKey] = set()
    for o in go:
        part = o.shipment.part
        for key in o.shipment.keys:
            detail = f"已发货 shipped: {o.carrier} {o.tracking_no}" + part_note(o.shipment)
            entries.append(TimelineEntry(key[0], key[1], now, "shipped", detail, actor))
            if part:  # each part of a split order leaves on its own (the first made the order shipped)
                o.additional = key not in shipped_keys or key in first_parts
                first_parts.add(key)
                bus.publish(conn, OrderShipped(key, o.tracking_no, o.carrier, part, o.shipment.goods))
            elif key in shipped_keys:
                bus.publish(conn, OrderShipped(key, o.tracking_no, o.carrier))
    record(conn, entries)
    bus.publish(conn, OrdersChanged(tuple(dict.fromkeys([*keys, *riding]))))


__all__ = ["Outcome", "ShipOptions", "ShipRefused", "ShipReport", "ship"]
