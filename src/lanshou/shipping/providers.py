"""Where a shipment's waybill comes from: the offline number pool (in the database, on the run's connection)
or Kuaidi100's e-waybill V2 with the carrier account of the carrier file ([carriers.kuaidi100])."""

from __future__ import annotations

import os
from collections.abc import Callable

from sqlalchemy import Connection

from lanshou.carriers.kuaidi100.labels import Kuaidi100Waybills, LabelSettings
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account
from lanshou.carriers.transport import FormTransport
from lanshou.carriers.wire import FormPoster
from lanshou.platforms.shipping_api import ShippingRefused
from lanshou.shipping.choice import CarrierPlan
from lanshou.shipping.pool_store import DbNumberPool
from lanshou.shipping.waybills import PoolWaybillProvider, WaybillProvider

KEY_ENV = "LANSHOU_KUAIDI100_KEY"  # the same key the tracking poller uses
SECRET_ENV = "LANSHOU_KUAIDI100_SECRET"  # the e-waybill API's secret

ProviderFactory = Callable[[Connection, str, str], WaybillProvider]  # (conn, provider, carrier)


def pool_providers(conn: Connection, provider: str, carrier: str) -> WaybillProvider:
    if provider != "pool":
        raise ShippingRefused(f"{provider} 未配置账号 no {provider} account configured for {carrier}")
    return PoolWaybillProvider(carrier, DbNumberPool(conn))


def providers_for(
    plan: CarrierPlan, account: Kuaidi100Account | None, transport: FormPoster | None
) -> ProviderFactory:
    """Pool numbers, and Kuaidi100 for the services whose provider is kuaidi100 (given an API account)."""

    def make(conn: Connection, provider: str, carrier: str) -> WaybillProvider:
        if provider != "kuaidi100":
            return pool_providers(conn, provider, carrier)
        if account is None or transport is None:
            raise ShippingRefused(
                f"快递100 未配置 no Kuaidi100 API account for {carrier} "
                f"(set {KEY_ENV} and {SECRET_ENV}), or use the pool"
            )
        fields = next(
            (s.account for s in plan.services if s.carrier == carrier and s.provider == provider), {}
        )
        return Kuaidi100Waybills(LabelSettings(account, carrier, **fields), transport)

    return make


def kuaidi100_account_from_environment() -> Kuaidi100Account | None:
    key, secret = os.environ.get(KEY_ENV, ""), os.environ.get(SECRET_ENV, "")
    return Kuaidi100Account(key, secret=secret) if key and secret else None


def providers_from_environment(plan: CarrierPlan) -> ProviderFactory:
    """What `lanshou ship` uses: the pool, and Kuaidi100 when the carrier file asks for it and the
    environment holds its account."""
    account = kuaidi100_account_from_environment()
    wanted = any(s.provider == "kuaidi100" for s in plan.services)
    return providers_for(plan, account, FormTransport() if account and wanted else None)
