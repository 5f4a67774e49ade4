"""How after-sales follows the parcels of its cases.

- Return parcels: the carrier's first scan of a parcel the buyer sends back means the buyer sent it
  (待买家退货 → 买家已退货); its delivery goes on the order's timeline, waiting for the receiving inspection
  (验收), which a person records.
  Tracking polls the awaited return parcels and subscribes them for Kuaidi100's pushes as it does the
  parcels we ship (lanshou.aftersales.followed names them at start-up): their scans arrive without
  anyone importing a file.
- Outbound orders (an exchange's replacement, a reshipment): shipping one, whichever way it was shipped
  (`lanshou ship`, the dashboard's or the API's ship run), is the case's 已发出 step with its waybill.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from lanshou.aftersales.book import CaseBook
from lanshou.aftersales.outbound import may_be_outbound
from lanshou.aftersales.states import Action, CaseStatus
from lanshou.aftersales.store import (
    cases_returning,
    cases_sending,
    parcels_returning,
)
from lanshou.events import EventBus, OrderShipped, ParcelEventsArrived, ParcelStatusChanged
from lanshou.orders.timeline import SYSTEM, TimelineEntry, record
from lanshou.tracking.status import is_carrier_scan

# A batch of carrier events publishes its status changes, then ParcelEventsArrived (lanshou.tracking.record):
# the scans are held in the connection's transaction until then and looked up together, not one query per
# change (that query was three quarters of a tracking import's time). A rolled-back batch's scans are
# forgotten with its transaction.
HELD = "lanshou.aftersales.held_scans"  # conn.info: (transaction, scans told in it)


def subscribe(bus: EventBus) -> None:
    bus.during(ParcelStatusChanged, hold_scan)
    bus.during(ParcelEventsArrived, lambda conn, event: follow_returns(conn, bus))
    bus.during(OrderShipped, lambda conn, event: follow_outbound(conn, event, bus))


def follow_outbound(conn: Connection, event: OrderShipped, bus: EventBus) -> None:
    """In the shipping transaction: the cases this shipped order sends goods for take their 已发出 step."""
    if not may_be_outbound(event.key[1]):
        return  # nearly every order of a ship run: no look-up
    sending = cases_sending(conn, [event.key])
    if not sending:
        return
    book = CaseBook(conn, [case.order_key for case in sending])
    for found in sending:
        case = book.case(found.shop_id, found.case_no)
        assert case is not None  # just read, and locked now
        book.outbound_shipped(case, event.carrier, event.tracking_no, event.part)
    book.flush(bus)


def hold_scan(conn: Connection, event: ParcelStatusChanged) -> None:
    if not is_carrier_scan(event.status):  # a label printed is not a parcel sent
        return
    transaction = conn.get_transaction()
    held: tuple[object, list[ParcelStatusChanged]] | None = conn.info.get(HELD)
    if held is None or held[0] is not transaction:
        held = conn.info[HELD] = (transaction, [])
    held[1].append(event)


def follow_returns(conn: Connection, bus: EventBus) -> None:
    """The held scans of this transaction's batch, in the order they were told."""
    held = conn.info.pop(HELD, None)
    scans: list[ParcelStatusChanged] = held[1] if held and held[0] is conn.get_transaction() else []
    returning = parcels_returning(conn, {scan.tracking_no for scan in scans}) if scans else set()
    for scan in scans:
        if scan.tracking_no in returning:
            follow_return(conn, scan, bus)


def follow_return(conn: Connection, event: Any, bus: EventBus) -> None:
    if not is_carrier_scan(event.status):
        return  # a label printed is not a parcel sent
    keys = cases_returning(conn, event.tracking_no)
    if not keys:
        return
    book = CaseBook(conn, keys)
    delivered: list[TimelineEntry] = []
    for cases in list(book.cases.values()):
        for case in list(cases):
            if case.return_tracking_no != event.tracking_no:
                continue
            if case.status is CaseStatus.WAITING_RETURN:
                why = f"退货包裹已揽收 the carrier scanned return parcel {event.tracking_no} ({event.status})"
                case = book.act(case, Action.BUYER_RETURN, SYSTEM, why)
            if event.status == "delivered" and case.status is CaseStatus.RETURNED:
                delivered.append(
                    TimelineEntry(
                        case.shop_id,
                        case.order_no,
                        book.now,
                        "aftersale_return_delivered",
                        f"售后 {case.case_no} 退货已签收，待验收 / return parcel {event.tracking_no} "
                        "delivered, waiting for the receiving inspection",
                    )
                )
    book.flush(bus)
    record(conn, delivered)
