"""Kuaidi100 push callbacks: the pure handler the HTTP endpoint calls with the posted form.

Kuaidi100 POSTs form fields `param` (a JSON string) and `sign` = UPPER(MD5(param + salt)). The sign is
checked in constant time on the raw `param` exactly as received; re-serialising it first breaks the
signature. Kuaidi100 counts any answer but the exact success body as a failure and retries (3 times,
about 30 minutes apart), so a push we could not take gets the failure body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from lanshou.carriers.events import TrackEvent
from lanshou.carriers.kuaidi100.signing import push_signature_ok
from lanshou.carriers.kuaidi100.tracking import parse_track
from lanshou.carriers.registry import carrier_code
from lanshou.carriers.wire import compact_json, json_object, text_of

SUCCESS_BODY = '{"result":true,"returnCode":"200","message":"成功"}'
# "3天查询无记录" / "60天无变化": Kuaidi100 stops watching; once the number and company are checked,
# subscribe again after half an hour.
RESUBSCRIBE_AFTER_ABORT = timedelta(minutes=30)
NOT_AN_OBJECT = "param 不是 JSON 对象 (param is not a JSON object)"


def failure_body(message: str) -> str:
    return compact_json({"result": False, "returnCode": "500", "message": message})


@dataclass(frozen=True, slots=True)
class PushOutcome:
    accepted: bool
    body: str  # answer exactly this, with HTTP 200
    tracking_no: str = ""
    carrier: str = ""  # internal code after any correction by Kuaidi100
    monitoring: str = ""  # polling | shutdown | abort | updateall
    message: str = ""  # Kuaidi100's word on the monitoring, e.g. 3天查询无记录
    events: tuple[TrackEvent, ...] = ()  # newest first
    finished: bool = False  # shutdown: signed for, no more pushes
    resubscribe_after: timedelta | None = None  # abort without a correction: subscribe again after this
    corrected_from: str = ""  # the carrier we subscribed with, when Kuaidi100 corrected it
    problems: tuple[str, ...] = ()  # parts of an accepted push that could not be read

    @classmethod
    def refused(cls, message: str) -> PushOutcome:
        return cls(accepted=False, body=failure_body(message), message=message)


def handle_push(form: Mapping[str, str], salt: str) -> PushOutcome:
    """Check, parse and answer one push. Never raises: a bad push is a refused outcome."""
    refused = refusal(form, salt)
    return refused if refused is not None else read_push(form["param"])


def refusal(form: Mapping[str, str], salt: str) -> PushOutcome | None:
    """Why a push is refused (no param, no salt configured, a wrong sign, a param that is no JSON object),
    or None: then `form["param"]` is signed and holds a JSON object. The sign is checked on the raw param."""
    param = form.get("param")
    if not isinstance(param, str) or not param:
        return PushOutcome.refused("缺少 param (missing param)")
    if not salt:
        return PushOutcome.refused(
            "未配置 salt，不接收未签名推送 (no salt configured: unsigned pushes refused)"
        )
    sign = form.get("sign")
    if not isinstance(sign, str) or not push_signature_ok(param, sign, salt):
        return PushOutcome.refused("签名错误 (bad signature)")
    if json_object(param) is None:
        return PushOutcome.refused(NOT_AN_OBJECT)
    return None


def read_push(param: str) -> PushOutcome:
    """Parse a push whose signature was checked already (e.g. when it was received and kept raw)."""
    body = json_object(param)
    if body is None:
        return PushOutcome.refused(NOT_AN_OBJECT)
    return _accepted(body)


def _accepted(body: Mapping[str, object]) -> PushOutcome:
    monitoring = text_of(body.get("status"))
    com_old, com_new = text_of(body.get("comOld")), text_of(body.get("comNew"))
    last = body.get("lastResult")
    problems = [] if isinstance(last, Mapping) else ["缺少 lastResult (no lastResult)"]
    last = last if isinstance(last, Mapping) else {}
    submitted = com_old or text_of(last.get("com"))
    # comNew: Kuaidi100 found the company wrong and re-subscribed the number with the right one
    # itself (autoCheck=1 on its pushes; an abort with comNew for the old subscription).
    track = parse_track(last, company=com_new)
    corrected = bool(com_new) and carrier_code(com_new) != carrier_code(submitted)
    events = list(track.events)
    problems += track.problems
    destination = body.get("destResult")  # the destination country's carrier, with interCom=1
    if isinstance(destination, Mapping):
        abroad = parse_track(destination)
        events = sorted([*events, *abroad.events], key=lambda e: e.time, reverse=True)
        problems += abroad.problems
    return PushOutcome(
        accepted=True,
        body=SUCCESS_BODY,
        tracking_no=track.tracking_no,
        carrier=track.carrier,
        monitoring=monitoring,
        message=text_of(body.get("message")),
        events=tuple(events),
        finished=monitoring == "shutdown",
        resubscribe_after=RESUBSCRIBE_AFTER_ABORT if monitoring == "abort" and not com_new else None,
        corrected_from=carrier_code(submitted) if corrected else "",
        problems=tuple(problems),
    )
