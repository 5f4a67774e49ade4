"""The generic tracking file: carrier, tracking_no, event_time, status, location, description."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo

from lanshou.carriers.codes import normalise_status
from lanshou.files.tabular import Table
from lanshou.orders.records import RowError, TrackingEventRecord
from lanshou.platforms.base import cell, require_columns
from lanshou.platforms.limits import DEFAULT, Limits, event_problem
from lanshou.platforms.values import clean_id, parse_time

REQUIRED = ("tracking_no", "event_time", "status")


def read_tracking(
    table: Table, tz: tzinfo, limits: Limits = DEFAULT
) -> Iterator[TrackingEventRecord | RowError]:
    pos = require_columns(table, REQUIRED)
    carrier_at, location_at, description_at = pos.get("carrier"), pos.get("location"), pos.get("description")
    for line, row in table.rows:
        column = "tracking_no"
        try:
            tracking_no = clean_id(cell(row, pos["tracking_no"]))
            if not tracking_no:
                raise ValueError("missing tracking_no")
            column = "event_time"
            when = cell(row, pos["event_time"])
            if not when:
                raise ValueError("missing event_time")
            event_time = parse_time(when, tz)
            column = "status"
            raw = cell(row, pos["status"])
            status = normalise_status(raw, cell(row, carrier_at))
        except ValueError as exc:
            yield RowError(table.path.name, line, column, str(exc), row)
            continue
        event = TrackingEventRecord(
            tracking_no=tracking_no,
            carrier=cell(row, carrier_at),
            event_time=event_time,
            status=status,
            raw_status=raw,
            location=cell(row, location_at),
            description=cell(row, description_at),
            source_line=line,
        )
        problem = event_problem(event, limits)
        if problem is not None:
            yield RowError(table.path.name, line, problem[0], problem[1], row)
            continue
        yield event
