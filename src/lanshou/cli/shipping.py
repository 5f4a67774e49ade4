"""`lanshou ship` (batch ship, 批量发货) and `lanshou carriers load|scorecard` (carrier choice, 快递选择)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from lanshou.cli.common import console, database, err_console
from lanshou.cli.render import compact_table, print_json, unknown_shop

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from lanshou.platforms.shipping_api import ShippedNotifier
    from lanshou.review.ready import ReadyShipment
    from lanshou.shipping.ship import ShipReport, ShopRules
    from lanshou.shops.model import ShopInfo

carriers_app = typer.Typer(help="Carriers, prices and lanes. 快递: load the carrier file, lane scorecard")

JsonOpt = Annotated[bool, typer.Option("--json", help="print only JSON")]


def register(root: typer.Typer) -> None:
    root.add_typer(carriers_app, name="carriers")
    root.command("ship")(ship_cmd)


def _refused(text: str) -> typer.Exit:
    err_console.print(f"[red]refused / 拒绝:[/] {escape(text)}")
    return typer.Exit(2)


@carriers_app.command("load")
def load_cmd(
    file: Annotated[
        Path, typer.Argument(help="carrier TOML, e.g. src/lanshou/shipping/carriers.example.toml")
    ],
) -> None:
    """Check and store the carrier configuration (prices, coverage, cutoffs, rules, sender). 导入快递配置."""
    from lanshou.shipping.config import ConfigError
    from lanshou.shipping.store import load_config_file

    if not file.is_file():
        raise _refused(f"{file}: no such file")
    try:
        config = load_config_file(database(), file)
    except ConfigError as exc:
        raise _refused(f"{file.name}: {exc}") from None
    plan = config.plan
    rules = len(plan.rules.rules) if plan.rules else 0
    services = ", ".join(s.label for s in plan.services)
    console.print(
        f"已载入 loaded {len(plan.services)} 个快递产品 services ({services}), "
        f"{rules} 条规则 rules, strategy {plan.strategy}"
    )


@carriers_app.command("scorecard")
def scorecard_cmd(
    days: Annotated[int, typer.Option("--days", min=1, help="history window / 统计天数")] = 60,
    as_json: JsonOpt = False,
) -> None:
    """Measured lane performance per carrier × destination. 线路表现."""
    from lanshou.shipping.store import measured_lanes

    now = datetime.now(UTC).replace(tzinfo=None)
    with database().connect() as conn:
        lanes = measured_lanes(conn, now, days)
    if as_json:
        print_json([lane.as_json() for lane in lanes])
        return
    table = compact_table(
        f"线路表现 lane scorecard ({days} d)",
        [
            "carrier 快递",
            "destination 目的地",
            "parcels 妥投件",
            "on-time 揽收准时",
            "median h 中位",
            "p90 h",
        ],
    )
    for lane in lanes:
        row = lane.as_json()
        on_time = row["pickup_on_time_rate"]
        table.add_row(
            lane.carrier,
            lane.destination or "-",
            str(lane.parcels),
            "-" if on_time is None else f"{float(str(on_time)):.1%}",
            "-" if lane.median_hours is None else f"{lane.median_hours:.1f}",
            "-" if lane.p90_hours is None else f"{lane.p90_hours:.1f}",
        )
    console.print(table)


def ship_cmd(
    shop: Annotated[str | None, typer.Option("--shop", help="shop name, or platform:name / 店铺")] = None,
    carrier: Annotated[
        str, typer.Option("--carrier", help="auto (choose per order) or a carrier code")
    ] = "auto",
    labels: Annotated[
        Path | None, typer.Option("--labels", help="labels PDF (default labels-<time>.pdf)")
    ] = None,
    size: Annotated[str, typer.Option("--size", help="100x180 | 76x130")] = "100x180",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="at most N shipments")] = None,
    upload_dir: Annotated[
        Path | None,
        typer.Option(
            "--upload-dir",
            help="each platform's batch-ship upload file goes here (default: <labels>-upload/)",
        ),
    ] = None,
    pick_list: Annotated[
        Path | None, typer.Option("--pick-list", help="also write the pick list PDF")
    ] = None,
    packing_list: Annotated[
        Path | None, typer.Option("--packing-list", help="also write the packing list PDF")
    ] = None,
    notify: Annotated[
        bool, typer.Option("--notify", help='tell the platforms by API (shop settings "api" credentials)')
    ] = False,
    by: Annotated[str, typer.Option("--by", help="who ships (timeline actor)")] = "system",
    as_json: JsonOpt = False,
) -> None:
    """Ship the ready orders: carrier → waybill → labels → shipped. 批量发货."""
    from lanshou.shipping.labels import LabelError, LabelSize
    from lanshou.shipping.pool_import import UnknownCarrier, carrier_of
    from lanshou.shipping.providers import providers_from_environment
    from lanshou.shipping.ship import ShipOptions, ShipRefused, ShipReport, ship
    from lanshou.shipping.store import config_in_force, lane_table, measured_lanes
    from lanshou.shops.model import select_shops
    from lanshou.shops.store import load_shops

    try:
        label_size = LabelSize.parse(size)
        forced = None if carrier.strip().lower() == "auto" else carrier_of(carrier)
    except (LabelError, UnknownCarrier) as exc:
        raise _refused(str(exc)) from None
    now = datetime.now(UTC).replace(tzinfo=None)
    engine = database()
    with engine.connect() as conn:
        shops = load_shops(conn)
        try:
            chosen = select_shops(shops, shop)
        except LookupError as exc:
            raise unknown_shop(exc) from None
        config = config_in_force(conn)
        if config is None:
            raise _refused("未配置快递 no carrier configuration: run `lanshou carriers load FILE` first")
        # measuring every lane reads the whole tracking window: only the `best` strategy needs it
        lanes = lane_table(measured_lanes(conn, now)) if config.plan.strategy == "best" else {}
        shop_rules = _saved_carrier_rules(conn)
        shipments = _ready(conn, list(chosen) if shop else None, limit)
    if not shipments:  # e.g. another run shipped them first: --json still prints a (empty) report
        if as_json:
            print_json(ShipReport().as_json())
        else:
            console.print("没有待发货订单 nothing ready to ship")
        return
    labels = labels or Path(f"labels-{now:%Y%m%d-%H%M%S}.pdf")
    options = ShipOptions(
        labels,
        label_size.name,
        forced,
        upload_dir or labels.with_name(f"{labels.stem}-upload"),  # a folder per run: nothing overwritten
        by,
        pick_list,
        packing_list,
    )
    notifiers = _notifiers({i: shops[i] for i in chosen}) if notify else {}
    try:
        providers = providers_from_environment(config.plan)
        report = ship(engine, shipments, config, shops, options, lanes, notifiers, providers, shop_rules)
    except ShipRefused as exc:
        raise _refused(str(exc)) from None
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _saved_carrier_rules(conn: Connection) -> ShopRules | None:
    """The merchant's saved rules of scope "carrier" (lanshou.rules.store, where the rules area has it)."""
    try:
        store = importlib.import_module("lanshou.rules.store")
    except ModuleNotFoundError:
        return None
    rules: ShopRules = store.ShopRuleSets(conn, "carrier")
    return rules


def _notifiers(shops: dict[int, ShopInfo]) -> dict[int | str, ShippedNotifier]:
    from lanshou.shipping.tell import notifiers_for

    found, without = notifiers_for(shops)
    for name in without:
        err_console.print(f"[yellow]![/] {escape(name)}: 无接口凭证 no API credentials, use --upload-dir")
    return found


def _ready(conn: Connection, shop_ids: list[int] | None, limit: int | None) -> list[ReadyShipment]:
    from lanshou.review import queries  # the review area's list of what is ready (see its module)

    return list(queries.ready_shipments(conn, shop_ids=shop_ids, limit=limit))


def _print_report(report: ShipReport) -> None:
    reused = sum(1 for o in report.shipped if o.reused)
    console.print(
        f"已发货 shipped {len(report.shipped)} (沿用单号 reused waybills {reused}), "
        f"失败 failed {len(report.failed)}"
    )
    if report.labels:
        console.print(f"面单 labels: {report.labels} ({report.pages} 页 pages)")
    for path in report.upload_files:
        console.print(f"批量发货文件 upload file: {escape(path)}")
    if report.failed:
        table = compact_table("未发货 not shipped", ["orders 订单", "reason 原因"])
        for o in report.failed[:100]:
            part = f" #{o.shipment.part}" if o.shipment.part else ""  # one part of a split order (拆单)
            table.add_row(escape(",".join(o.shipment.order_nos) + part), escape(o.reason))
        console.print(table)
        if len(report.failed) > 100:
            console.print(f"… and {len(report.failed) - 100} more")
    for note in report.notes:
        console.print(f"[yellow]![/] {escape(note)}")
