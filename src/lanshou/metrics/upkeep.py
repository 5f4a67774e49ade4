"""Keeping the metric rollups current: the use cases behind the import subscriber, `lanshou metrics
rebuild` and the periodic upkeep job."""

from __future__ import annotations

from sqlalchemy import Engine

from lanshou.metrics.packs import pack_for
from lanshou.metrics.rollups import rebuild, refresh
from lanshou.progress import track


def bring_rollups_up_to_date(engine: Engine) -> int:
    """Re-derive every order marked dirty; returns how many were."""
    with track("updating metric rollups / 更新指标") as tick:
        return refresh(engine, pack_for, tick)


def rebuild_rollups(engine: Engine) -> int:
    """Derive every order again (after a rule-pack or shop-timezone change); returns how many."""
    with track("rebuilding metric rollups / 重建指标") as tick:
        return rebuild(engine, pack_for, tick)
