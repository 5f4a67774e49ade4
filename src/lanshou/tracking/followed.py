"""Parcels tracked though no order of ours rides in them (a buyer's return parcel): the poller and the
Kuaidi100 subscriber take them as they take the parcels we shipped, and their events go through the one
write path (lanshou.tracking.record), where the area that wants them learns what happened.

Tracking knows nothing of those areas: each names its parcels at start-up (lanshou.bootstrap) with a query
of rows (tracking_no, carrier, since), `since` opening the same look-back window a parcel's shipped time
does. A query reads the area's own current state, so a parcel stops being followed once its area no
longer waits for it, with nothing to keep in step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Engine, Executable, FromClause, Select

from lanshou.tracking.tables import parcels

FollowedQuery = Callable[[], Select[str, str, datetime]]  # (tracking_no, carrier, since), repeats allowed
_followed: dict[str, FollowedQuery] = {}


def follow(name: str, query: FollowedQuery) -> None:
    """Follow the parcels `query` selects (registering a name again replaces its query)."""
    _followed[name] = query


class Tracked(NamedTuple):
    """Where parcels to track are read from, and the columns that say which and since when."""

    source: FromClause
    tracking_no: ColumnElement[str]
    carrier: ColumnElement[str]
    since: ColumnElement[Any]


def tracked() -> list[Tracked]:
    """The parcels we shipped (since their shipped time), then each area's followed parcels."""
    found = [Tracked(parcels, parcels.c.tracking_no, parcels.c.carrier, parcels.c.shipped_at)]
    for name, query in sorted(_followed.items()):
        sub = query().subquery(name.replace(".", "_"))
        found.append(Tracked(sub, sub.c.tracking_no, sub.c.carrier, sub.c.since))
    return found


def first_due(
    engine: Engine,
    query_of: Callable[[Tracked], Executable],
    order: Callable[[Any], Any],
    limit: int,
) -> list[tuple[str, str]]:
    """(tracking_no, carrier) of the parcels due, over every source: query_of(source) selects a source's
    due rows (tracking_no, carrier, and what `order` reads) in `order`, at most `limit`. Merged in that
    order, the first `limit` numbers are the whole query's; a number counts once (the first that names
    it: a return parcel may be two cases', a number two shops')."""
    with engine.connect() as conn:
        rows = [row for source in tracked() for row in conn.execute(query_of(source))]
    rows.sort(key=order)
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row.tracking_no, row.carrier)
        if len(found) == limit:
            break
    return list(found.items())
