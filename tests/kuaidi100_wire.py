"""Kuaidi100 payloads shaped exactly as documented (WIRE-FORMATS.md 1), a recording mock server, and the push
endpoints alone on a test database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from lanshou.carriers.transport import FormTransport
from lanshou.tracking.push import PushConfig
from lanshou.tracking.push_api import push_router

# The push vector of WIRE-FORMATS.md ("KD100 push sign MD5(param+salt): 28A2027A..."): the documented
# sample push, salt "testsalt". Note the trailing space inside "context": the raw value is signed.
PUSH_PARAM = (
    '{"status":"polling","billstatus":"got","message":"","lastResult":{"message":"ok","state":"0",'
    '"status":"200","condition":"F00","ischeck":"0","com":"yuantong","nu":"V030344422","data":[{"context":'
    '"上海分拨中心/装件入车扫描 ","time":"2012-08-28 16:33:19","ftime":"2012-08-28 16:33:19","status":"在途",'
    '"areaCode":"310000000000","areaName":"上海市"}]}}'
)
PUSH_SALT = "testsalt"
PUSH_SIGN = "28A2027AF99AE95CDC1E473B5B2F8F70"

QUERY_PARAM = (
    '{"com":"yuantong","num":"YT9693083639795","phone":"","from":"","to":"","resultv2":"4","show":"0",'
    '"order":"desc"}'
)
QUERY_SIGN = "7BBE48276F714FE02061E1190FECFBCA"  # key testkey, customer testcustomer
LABEL_SIGN = "3174ED0A6395C1DDB78B4A79F933F784"  # param {"kuaidicom":"zhongtong"}, t 1576123932000

# A resultv2=4 tracking result: strings everywhere, full history, newest first.
YTO_RESULT = {
    "message": "ok",
    "state": "3",
    "status": "200",
    "condition": "F00",
    "ischeck": "1",
    "com": "yuantong",
    "nu": "YT9693083639795",
    "data": [
        {
            "context": "您的快件已签收，签收人凭取货码签收。感谢使用圆通速递",
            "time": "2026-11-03 17:31:57",
            "ftime": "2026-11-03 17:31:57",
            "status": "签收",
            "areaCode": "CN370112000000",
            "areaName": "山东,济南市,历城区",
            "statusCode": "304",
            "location": "济南市",
        },
        {
            "context": "快件已由济南历城区某某驿站代收，请及时取件",
            "time": "2026-11-03 13:53:38",
            "ftime": "2026-11-03 13:53:38",
            "status": "派件",
            "statusCode": "501",
            "areaName": "山东,济南市,历城区",
        },
        {
            "context": "【山东省济南市公司】 派件人: 张三 电话 138xxxx",
            "time": "2026-11-03 08:13:56",
            "ftime": "2026-11-03 08:13:56",
            "status": "派件",
            "statusCode": "5",
        },
        {
            "context": "快件已到达【济南转运中心】",
            "time": "2026-11-02 21:00:00",
            "ftime": "2026-11-02 21:00:00",
            "status": "在途",
            "statusCode": "1002",
        },
        {
            "context": "【浙江省杭州市萧山区公司】 已揽收",
            "time": "2026-11-01 18:00:00",
            "ftime": "2026-11-01 18:00:00",
            "status": "揽收",
            "statusCode": "103",
        },
        {
            "context": "商家已通知快递员上门揽件",
            "time": "2026-11-01 10:00:00",
            "ftime": "2026-11-01 10:00:00",
            "status": "揽收",
            "statusCode": "1",
        },
    ],
}


def text_only(result: dict[str, object]) -> dict[str, object]:
    """The same result as a plain subscription sends it: no status, statusCode or area per event."""
    events = [{"context": e["context"], "time": e["time"], "ftime": e["ftime"]} for e in result["data"]]  # type: ignore[attr-defined]
    return {**result, "data": events}


@dataclass
class MockKuaidi100:
    """Answers each POST with `answer(form)`; records what was sent so tests can check it."""

    answer: Callable[[dict[str, str]], httpx.Response]
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = {k: v[0] for k, v in parse_qs(request.content.decode("utf-8"), keep_blank_values=True).items()}
        self.seen.append((str(request.url), form))
        return self.answer(form)

    def transport(self) -> FormTransport:
        return FormTransport(httpx.Client(transport=httpx.MockTransport(self.handle)))


def json_reply(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, text=json.dumps(body, ensure_ascii=False))


@contextmanager
def push_endpoints(engine: Engine, config: PushConfig) -> Iterator[FastAPI]:
    """The push endpoints on this database, with no job queue (a test drains the inbox itself); the inbox's
    writer closed after."""
    app = FastAPI()
    app.state.engine = engine
    app.state.push_config = config
    app.state.push_nudge = lambda: None
    app.include_router(push_router())
    try:
        yield app
    finally:
        writer = getattr(app.state, "push_inbox", None)
        if writer is not None:
            writer.close()
