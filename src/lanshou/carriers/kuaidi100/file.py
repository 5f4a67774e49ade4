"""Kuaidi100 tracking files: what a merchant saved from pushes or real-time queries.

One JSON document per line (JSON lines), or one JSON array of documents. A document is a push body
(`{"status":"polling","lastResult":{...}}`, what `param` holds), a push form saved whole
(`{"param":"<JSON text>","sign":"..."}`), or a query reply (`{"nu":...,"data":[...]}`). Each yields the
same records the generic tracking reader yields; an unreadable line or event is one RowError, and the rest
of the file is still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

from lanshou.carriers.events import TrackEvent
from lanshou.carriers.kuaidi100.tracking import Track, parse_track
from lanshou.carriers.wire import json_object, text_of
from lanshou.files.tabular import FileRefused
from lanshou.orders.records import RowError, TrackingEventRecord


def read_kuaidi100_file(path: str | Path) -> Iterator[TrackingEventRecord | RowError]:
    path = Path(path)
    for number, document in _documents(path):
        if isinstance(document, RowError):
            yield document
            continue
        yield from _records(path.name, number, document)


def _documents(path: Path) -> Iterator[tuple[int, Any]]:
    """(line or array position, parsed document or RowError)."""
    if not path.exists():
        raise FileRefused(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(f"{path}: 不是 UTF-8 not UTF-8 text (Kuaidi100 JSON is UTF-8)") from None
    if text.lstrip().startswith("["):
        try:
            documents = json.loads(text)
        except ValueError as exc:
            raise FileRefused(f"{path}: JSON 数组无法解析 the JSON array cannot be read: {exc}") from None
        yield from enumerate(documents, start=1)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            yield number, RowError(path.name, number, "json", f"不是 JSON not JSON: {exc}", [line[:200]])


def _track(document: object) -> Track | str:
    """The tracking result a document holds, or why it holds none."""
    if not isinstance(document, Mapping):
        return "不是 JSON 对象 not a JSON object"
    if isinstance(document.get("param"), str):  # a push form saved whole
        inner = json_object(document["param"])
        if inner is None:
            return "param 不是 JSON 对象 param is not a JSON object"
        document = inner
    last = document.get("lastResult")
    if isinstance(last, Mapping):
        return parse_track(last, company=text_of(document.get("comNew")))
    if "data" in document and "nu" in document:
        return parse_track(document)
    return "既不是推送也不是查询结果 neither a push (lastResult) nor a query reply (nu + data)"


def _records(file: str, number: int, document: object) -> Iterator[TrackingEventRecord | RowError]:
    track = _track(document)
    if isinstance(track, str):
        yield RowError(file, number, "document", track, [repr(document)[:200]])
        return
    if not track.tracking_no:
        yield RowError(file, number, "nu", "缺少运单号 missing tracking number (nu)", [])
        return
    for problem in track.problems:
        yield RowError(file, number, "data", problem, [])
    for event in track.events:
        yield event_record(event, number)


def event_record(event: TrackEvent, line: int = 0) -> TrackingEventRecord:
    """A connector's event as an import record: naive UTC time, "" for an unreadable status."""
    return TrackingEventRecord(
        tracking_no=event.tracking_no,
        carrier=event.carrier,
        event_time=event.time.astimezone(UTC).replace(tzinfo=None),
        status=event.status.value if event.status else "",
        raw_status=event.raw_status,
        location=event.location,
        description=event.text,
        source_line=line,
    )
