"""The return parcels after-sales waits for, named to tracking (lanshou.tracking.followed) at start-up: the
poller and the Kuaidi100 subscriber ask about them as they do about the parcels we ship. Light to import:
the query is built only when tracking asks for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select

from lanshou.tracking.followed import follow


def follow_awaited_returns() -> None:
    follow("aftersales.returns", _awaited_return_parcels)


def _awaited_return_parcels() -> Select[str, str, datetime]:
    from lanshou.aftersales.store import awaited_return_parcels

    return awaited_return_parcels()
