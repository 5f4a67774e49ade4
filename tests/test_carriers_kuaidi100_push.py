"""The Kuaidi100 push handler: signature on the raw param, parsed events, monitoring flags, exact bodies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from lanshou.carriers.kuaidi100.push import SUCCESS_BODY, handle_push
from lanshou.carriers.kuaidi100.signing import push_sign
from lanshou.tracking.status import TrackingStatus as T
from tests.kuaidi100_wire import PUSH_PARAM, PUSH_SALT, PUSH_SIGN, YTO_RESULT

SALT = "s3cret-salt"


def signed(body: dict[str, object], salt: str = SALT) -> dict[str, str]:
    param = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return {"param": param, "sign": push_sign(param, salt)}


def test_the_documented_sample_push_is_accepted_with_the_exact_success_body() -> None:
    outcome = handle_push({"param": PUSH_PARAM, "sign": PUSH_SIGN}, PUSH_SALT)
    assert outcome.accepted
    assert outcome.body == '{"result":true,"returnCode":"200","message":"成功"}' == SUCCESS_BODY
    assert (outcome.tracking_no, outcome.carrier, outcome.monitoring) == ("V030344422", "yto", "polling")
    assert not outcome.finished and outcome.resubscribe_after is None and outcome.corrected_from == ""
    [event] = outcome.events
    assert event.status == T.IN_TRANSIT  # per-event state name 在途 (resultv2=1)
    assert (event.raw_status, event.location) == ("在途", "上海市")
    assert event.text == "上海分拨中心/装件入车扫描"
    assert event.time == datetime(2012, 8, 28, 16, 33, 19, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_bad_signature_is_refused_with_a_failure_body() -> None:
    for form in (
        {"param": PUSH_PARAM, "sign": "0" * 32},
        {"param": PUSH_PARAM},
        {"param": PUSH_PARAM.replace("上海市", "北京市"), "sign": PUSH_SIGN},
        {"param": json.dumps(json.loads(PUSH_PARAM), ensure_ascii=False), "sign": PUSH_SIGN},  # re-serialised
    ):
        outcome = handle_push(form, PUSH_SALT)
        assert not outcome.accepted and outcome.events == ()
        assert json.loads(outcome.body) == {
            "result": False,
            "returnCode": "500",
            "message": "签名错误 (bad signature)",
        }


def test_unsigned_or_unreadable_pushes_are_refused() -> None:
    assert "missing param" in handle_push({}, SALT).body
    assert (
        "no salt configured" in handle_push({"param": PUSH_PARAM, "sign": push_sign(PUSH_PARAM, "")}, "").body
    )
    junk = {"param": "[1,2]", "sign": push_sign("[1,2]", SALT)}
    assert "not a JSON object" in handle_push(junk, SALT).body


def test_a_full_history_push_parses_every_event_newest_first() -> None:
    outcome = handle_push(signed({"status": "polling", "message": "", "lastResult": YTO_RESULT}), SALT)
    assert outcome.accepted
    assert len(outcome.events) == 6
    assert outcome.events[0].status == T.DELIVERED
    assert outcome.events[-1].status == T.INFO_RECEIVED
    assert [e.time for e in outcome.events] == sorted((e.time for e in outcome.events), reverse=True)


def test_shutdown_means_finished() -> None:
    outcome = handle_push(signed({"status": "shutdown", "message": "", "lastResult": YTO_RESULT}), SALT)
    assert outcome.finished and outcome.resubscribe_after is None


def test_abort_without_correction_asks_for_a_resubscription_after_half_an_hour() -> None:
    body = {
        "status": "abort",
        "message": "3天查询无记录",
        "autoCheck": "0",
        "comOld": "",
        "comNew": "",
        "lastResult": {
            "message": "ok",
            "state": "0",
            "ischeck": "0",
            "com": "yuantong",
            "nu": "YT1",
            "data": [],
        },
    }
    outcome = handle_push(signed(body), SALT)
    assert outcome.accepted and outcome.body == SUCCESS_BODY
    assert outcome.resubscribe_after == timedelta(minutes=30)
    assert (outcome.message, outcome.carrier, outcome.corrected_from) == ("3天查询无记录", "yto", "")


def test_abort_with_comnew_corrects_the_carrier_and_kuaidi100_resubscribes_itself() -> None:
    body = {
        "status": "abort",
        "message": "3天查询无记录",
        "autoCheck": "0",
        "comOld": "",
        "comNew": "ems",
        "lastResult": {
            "message": "ok",
            "state": "0",
            "ischeck": "0",
            "com": "yuantong",
            "nu": "98765",
            "data": [],
        },
    }
    outcome = handle_push(signed(body), SALT)
    assert (outcome.carrier, outcome.corrected_from) == ("ems", "yto")
    assert outcome.resubscribe_after is None


def test_autocheck_pushes_carry_the_corrected_carrier_on_every_event() -> None:
    last = {**YTO_RESULT, "com": "shunfeng", "nu": "SF100"}
    body = {
        "status": "polling",
        "autoCheck": "1",
        "comOld": "yuantong",
        "comNew": "shunfeng",
        "lastResult": last,
    }
    outcome = handle_push(signed(body), SALT)
    assert (outcome.carrier, outcome.corrected_from) == ("sf", "yto")
    assert {e.carrier for e in outcome.events} == {"sf"}
    assert {e.tracking_no for e in outcome.events} == {"SF100"}


def test_destination_results_join_the_events() -> None:
    abroad = {
        "com": "usps",
        "nu": "9400",
        "data": [
            {
                "context": "Delivered, In/At Mailbox",
                "time": "2026-11-09 10:00:00",
                "ftime": "2026-11-09 10:00:00",
            }
        ],
    }
    outcome = handle_push(signed({"status": "polling", "lastResult": YTO_RESULT, "destResult": abroad}), SALT)
    assert len(outcome.events) == 7
    assert (outcome.events[0].carrier, outcome.events[0].status) == ("usps", None)  # unknown text: unknown


def test_an_accepted_push_reports_what_it_could_not_read() -> None:
    last = {**YTO_RESULT, "data": [*YTO_RESULT["data"], {"context": "x", "time": "bad"}]}  # type: ignore[list-item]
    outcome = handle_push(signed({"status": "polling", "lastResult": last}), SALT)
    assert outcome.accepted and len(outcome.events) == 6
    assert len(outcome.problems) == 1
    no_result = handle_push(signed({"status": "polling"}), SALT)
    assert no_result.accepted and no_result.problems == ("缺少 lastResult (no lastResult)",)


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.sampled_from(
        ["2026-11-01 10:00:00", "103", "1", "yuantong", "ems", "abort", "shutdown", "快件已签收"]
    )
)


def optional_fields(names: str, value: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({}, optional={name: value for name in names.split()})


events = optional_fields("context time ftime statusCode status location areaName", scalars)
results = optional_fields("com nu state ischeck", scalars).flatmap(
    lambda r: st.one_of(scalars, st.lists(events | scalars, max_size=4)).map(lambda data: {**r, "data": data})
)
pushes = optional_fields("status message comOld comNew autoCheck", scalars).flatmap(
    lambda p: st.tuples(results | scalars, results | scalars).map(
        lambda rs: {**p, "lastResult": rs[0], "destResult": rs[1]}
    )
)


@given(pushes)
def test_no_signed_payload_crashes_the_handler(body: dict[str, object]) -> None:
    outcome = handle_push(signed(body), SALT)
    assert outcome.accepted and outcome.body == SUCCESS_BODY


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40)), st.text(max_size=10))
def test_no_form_crashes_the_handler(form: dict[str, str], salt: str) -> None:
    outcome = handle_push(form, salt)  # an unsigned form cannot match an MD5 sign by chance
    assert not outcome.accepted and json.loads(outcome.body)["result"] is False
