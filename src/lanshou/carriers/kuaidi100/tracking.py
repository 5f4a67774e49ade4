"""Kuaidi100 subscription (`poll`) and real-time query (`poll/query.do`): pure request builders and
parsers, and the reader of a tracking result (`lastResult` of a push, the body of a query).

Every value Kuaidi100 sends is a string ("state":"0"); `data` is the full history, newest first.
A business failure (`result:false`, a `returnCode`) is a message in the outcome, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lanshou.carriers.events import TrackEvent
from lanshou.carriers.kuaidi100.signing import query_sign
from lanshou.carriers.kuaidi100.states import KUAIDI100
from lanshou.carriers.registry import TextReading, carrier_code, identify, text_reading
from lanshou.carriers.wire import FormRequest, HttpReply, compact_json, json_object, text_of
from lanshou.tracking.status import TrackingStatus

SUBSCRIBE_URL = "https://poll.kuaidi100.com/poll"
QUERY_URL = "https://poll.kuaidi100.com/poll/query.do"
CHINA = ZoneInfo("Asia/Shanghai")  # Kuaidi100 times are China local time, without a zone


@dataclass(frozen=True, slots=True)
class Kuaidi100Account:
    key: str  # 授权key
    customer: str = ""  # for the real-time query
    secret: str = ""  # for the e-waybill API


def kuaidi100_company(carrier: str) -> str:
    """Kuaidi100's company code for any carrier spelling; an unknown one is passed on, lowercased."""
    found = identify(carrier)
    if found is not None and found.kuaidi100_code:
        return found.kuaidi100_code
    return carrier.strip().lower()


def subscribe_request(
    account: Kuaidi100Account,
    carrier: str,
    number: str,
    callback_url: str,
    salt: str,
    *,
    phone: str = "",
    resultv2: str = "4",
    auto_com: bool = False,
) -> FormRequest:
    """Subscribe a number for pushes. No signature: the key travels inside `param`."""
    param = {
        "company": kuaidi100_company(carrier),
        "number": number,
        "key": account.key,
        "parameters": {
            "callbackurl": callback_url,
            "salt": salt,
            "resultv2": resultv2,
            "autoCom": "1" if auto_com else "0",
            "phone": phone,
        },
    }
    return FormRequest(SUBSCRIBE_URL, {"schema": "json", "param": compact_json(param)})


def query_request(
    account: Kuaidi100Account,
    carrier: str,
    number: str,
    *,
    phone: str = "",
    from_area: str = "",
    to_area: str = "",
    resultv2: str = "4",
) -> FormRequest:
    """Real-time query, for a lookup a user asked for (1 req/s); bulk tracking uses subscriptions.
    SF wants the sender's or recipient's phone."""
    param = compact_json(
        {
            "com": kuaidi100_company(carrier),
            "num": number,
            "phone": phone,
            "from": from_area,
            "to": to_area,
            "resultv2": resultv2,
            "show": "0",
            "order": "desc",
        }
    )
    sign = query_sign(param, account.key, account.customer)
    return FormRequest(QUERY_URL, {"customer": account.customer, "sign": sign, "param": param})


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    ok: bool  # subscribed now, or already being watched (501)
    code: str
    message: str


def parse_subscribe_reply(reply: HttpReply) -> SubscribeOutcome:
    """`{"result":true,"returnCode":"200","message":"提交成功"}`; 501 = already subscribed, still watched."""
    body = json_object(reply.text) if reply.status == 200 else None
    if body is None:
        return SubscribeOutcome(
            False, str(reply.status), f"快递100 应答无法识别 unreadable reply (HTTP {reply.status})"
        )
    code = text_of(body.get("returnCode"))
    message = text_of(body.get("message"))
    if code == "501":
        return SubscribeOutcome(True, code, f"已在订阅中 already subscribed: {message}")
    return SubscribeOutcome(code == "200", code, message)


@dataclass(frozen=True, slots=True)
class Track:
    tracking_no: str
    carrier: str  # internal code, or Kuaidi100's code as written when unknown
    state: TrackingStatus | None  # the parcel's current state as Kuaidi100 sums it up
    raw_state: str
    signed: bool  # ischeck = 1
    events: tuple[TrackEvent, ...]  # newest first
    problems: tuple[str, ...] = ()  # events that could not be read, each said once


def parse_time(text: str) -> datetime | None:
    """ "2012-08-28 16:33:19" (China time) -> an aware datetime; anything else -> None."""
    value = text.strip()
    if len(value) != len("2012-08-28 16:33:19") or value[10] != " ":
        return None
    try:  # fromisoformat: ten times faster than strptime, and pushes bring thousands of events a second
        return datetime.fromisoformat(value).replace(tzinfo=CHINA)
    except ValueError:
        return None


def parse_track(result: Mapping[str, Any], company: str = "") -> Track:
    """A tracking result (`lastResult`, a query body); `company` replaces its `com` when given
    (Kuaidi100 corrected the company)."""
    com = company or text_of(result.get("com"))
    number = text_of(result.get("nu"))
    carrier = carrier_code(com)
    reading = text_reading(com)
    events: list[TrackEvent] = []
    problems: list[str] = []
    data = result.get("data")
    items = data if isinstance(data, list) else []
    if data is not None and not isinstance(data, list):
        problems.append("data 不是列表 data is not a list")
    for position, item in enumerate(items, start=1):
        event = _event(item, number, carrier, reading) if isinstance(item, Mapping) else None
        if event is None:
            problems.append(
                f"第 {position} 条轨迹无法读取 event {position} unreadable (time or shape): {item!r:.120}"
            )
        else:
            events.append(event)
    events.sort(key=lambda e: e.time, reverse=True)  # stable: equal times keep Kuaidi100's order
    raw_state = text_of(result.get("state"))
    return Track(
        tracking_no=number,
        carrier=carrier,
        state=KUAIDI100.status(raw_state) if raw_state else None,
        raw_state=raw_state,
        signed=text_of(result.get("ischeck")) == "1",
        events=tuple(events),
        problems=tuple(problems),
    )


def _event(item: Mapping[str, Any], number: str, carrier: str, reading: TextReading) -> TrackEvent | None:
    when = parse_time(text_of(item.get("ftime"))) or parse_time(text_of(item.get("time")))
    if when is None:
        return None
    text = text_of(item.get("context")).strip()
    code = text_of(item.get("statusCode")).strip()
    name = text_of(item.get("status")).strip()
    known = code if KUAIDI100.lookup(code) else name  # a code we do not know yet falls back to its name
    return TrackEvent(
        tracking_no=number,
        carrier=carrier,
        time=when,
        status=KUAIDI100.event_status(known, text, reading.family, reading.overrides),
        raw_status=code or name,
        text=text,
        location=(text_of(item.get("location")) or text_of(item.get("areaName"))).strip(),
    )


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    ok: bool
    message: str
    track: Track | None = None


def parse_query_reply(reply: HttpReply) -> QueryOutcome:
    """The tracking result, or Kuaidi100's reason (`result:false` + `returnCode`, e.g. 查询无结果)."""
    body = json_object(reply.text) if reply.status == 200 else None
    if body is None:
        return QueryOutcome(False, f"快递100 应答无法识别 unreadable reply (HTTP {reply.status})")
    code = text_of(body.get("returnCode"))
    if body.get("result") is False or (code and code != "200") or "data" not in body:
        return QueryOutcome(
            False, f"快递100 查询失败 query failed ({code or '?'}): {text_of(body.get('message'))}"
        )
    return QueryOutcome(True, text_of(body.get("message")), parse_track(body))
