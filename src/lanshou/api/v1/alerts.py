"""Parcel alerts (物流预警) and one parcel's track: the JSON of `lanshou alerts list|ack|resolve --json`
and `lanshou tracking show --json`, limited to the caller's shops (another shop's alert or parcel is
answered as one that does not exist)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, EngineDep, ShopScope, require_in_scope, timezone_param
from lanshou.api.errors import BODY_RESPONSES, ApiError, ErrorBody, not_found
from lanshou.api.pagination import Page, decode_position, encode_cursor
from lanshou.api.v1.orders import TIMEZONES

router = APIRouter(tags=["alerts", "tracking"])

ReadScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_READ))]
# acting on an alert is logistics follow-up: the roles that ship
ActScope = Annotated[ShopScope, Depends(require_in_scope(Permission.ORDERS_SHIP))]
AlertId = Annotated[int, Path(ge=1, le=2**31 - 1, description="alert id")]


@router.get("/alerts", response_model=Page[dict[str, Any]], summary="Parcel alerts 物流预警")
def list_alerts(
    scope: ReadScope,
    engine: EngineDep,
    include_resolved: Annotated[bool, Query(alias="all", description="resolved ones too")] = False,
    kind: Annotated[str | None, Query(max_length=32, pattern=NO_NUL, description="one kind")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
) -> Page[dict[str, Any]]:
    """`items` is the list `lanshou alerts list --json` prints (newest problems first), a page of it;
    `next` continues it (null: no more)."""
    from lanshou.db.paging import MOMENT_CURSOR, Moment, cut
    from lanshou.sla.alert_list import list_alerts as alert_list
    from lanshou.sla.alert_list import position_of
    from lanshou.tracking.record import utc_now

    after = decode_position(cursor, MOMENT_CURSOR, Moment.from_cursor)
    found = alert_list(
        engine,
        utc_now(),
        include_resolved=include_resolved,
        kind=kind,
        limit=limit + 1,
        shop_ids=scope.shop_ids,
        after=after,
    )
    rows, last = cut(found, limit, position_of)
    return Page[dict[str, Any]](items=rows, next=encode_cursor(last.as_cursor()) if last else None)


class AlertAction(BaseModel):
    note: str = Field("", max_length=1000, pattern=NO_NUL, description="what was done / 备注")


class AlertActed(BaseModel):
    id: int
    state: str
    by: str


CLOSED: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "the alert is already resolved"},
    **BODY_RESPONSES,
}


def _act(engine: Any, scope: ShopScope, alert_id: int, note: str, resolve: bool) -> AlertActed:
    from lanshou.sla.alert_store import AlertClosed, AlertNotFound, acknowledge
    from lanshou.sla.alert_store import resolve as resolve_alert
    from lanshou.tracking.record import utc_now

    action = resolve_alert if resolve else acknowledge
    try:
        action(engine, alert_id, scope.user.name, utc_now(), note, shop_ids=scope.shop_ids)
    except AlertNotFound as exc:
        raise not_found(str(exc)) from None
    except AlertClosed as exc:
        raise ApiError(409, "alert_closed", str(exc)) from None
    return AlertActed(id=alert_id, state="resolved" if resolve else "acked", by=scope.user.name)


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an alert 确认预警", responses=CLOSED)
def ack_alert(
    alert_id: AlertId, scope: ActScope, engine: EngineDep, body: AlertAction | None = None
) -> AlertActed:
    return _act(engine, scope, alert_id, body.note if body else "", resolve=False)


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert 处理完成", responses=CLOSED)
def resolve_alert(
    alert_id: AlertId, scope: ActScope, engine: EngineDep, body: AlertAction | None = None
) -> AlertActed:
    return _act(engine, scope, alert_id, body.note if body else "", resolve=True)


@router.get(
    "/tracking/{tracking_no:path}", summary="One parcel and its track 运单轨迹 (lanshou tracking show --json)"
)
def tracking(
    tracking_no: Annotated[str, Path(max_length=64, pattern=NO_NUL, description="运单号")],
    scope: ReadScope,
    engine: EngineDep,
    timezone: Annotated[
        str | None,
        Query(max_length=64, description="zone of the times shown", json_schema_extra={"enum": TIMEZONES}),
    ] = None,
) -> dict[str, Any]:
    from lanshou.aftersales.return_parcels import parcel_for_shops
    from lanshou.tracking.show import UnknownParcel

    try:
        return parcel_for_shops(engine, tracking_no, scope.shop_ids, timezone_param(timezone))
    except UnknownParcel as exc:
        raise not_found(str(exc)) from None
