"""Kuaidi100 e-waybill V2 (`POST https://api.kuaidi100.com/label/order`), WIRE-FORMATS.md 1c.

Form fields `method` (order | cancel | printOld), `key`, `t` (ms), `param` (JSON) and
`sign = UPPER(MD5(param + t + key + secret))`. One order per call; the reply is
`{"code":200,"message":"","data":{...}}`, any other code a failure with its message.
`orderId` = our object id with `reorder=false`: a retried order within 48 h returns the first result
instead of a second waybill number.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from lanshou.carriers.kuaidi100.signing import label_sign
from lanshou.carriers.kuaidi100.tracking import Kuaidi100Account, kuaidi100_company
from lanshou.carriers.wire import (
    FormPoster,
    FormRequest,
    HttpReply,
    TransportError,
    compact_json,
    json_object,
    text_of,
)
from lanshou.shipping.waybills import (
    Address,
    WaybillAction,
    WaybillRequest,
    WaybillResult,
    screen_batch,
)

LABEL_URL = "https://api.kuaidi100.com/label/order"
MOBILE = re.compile(r"1\d{10}(-\d{1,6})?")  # a mainland mobile, or a virtual number 主号-分机号


@dataclass(frozen=True, slots=True)
class LabelSettings:
    """One carrier account used through Kuaidi100 (the partner fields come from the carrier's office)."""

    account: Kuaidi100Account
    carrier: str  # internal code
    partner_id: str = ""
    partner_key: str = ""
    partner_secret: str = ""
    partner_name: str = ""
    net: str = ""  # taobao / cainiao / pinduoduoWx / douyin ... for platform-authorised waybills
    code: str = ""
    tb_net: str = ""  # "网点名称,网点编号"
    print_type: str = "NON"  # NON: number only | IMAGE | HTML | CLOUD (+ siid)
    siid: str = ""
    temp_id: str = ""
    child_temp_id: str = ""
    pay_type: str = "MONTHLY"
    exp_type: str = "标准快递"

    def partner(self) -> dict[str, str]:
        fields = {
            "partnerId": self.partner_id,
            "partnerKey": self.partner_key,
            "partnerSecret": self.partner_secret,
            "partnerName": self.partner_name,
            "net": self.net,
            "code": self.code,
            "tbNet": self.tb_net,
        }
        return {k: v for k, v in fields.items() if v}


def label_request(account: Kuaidi100Account, method: str, param: Mapping[str, Any], t_ms: int) -> FormRequest:
    body, t = compact_json(param), str(t_ms)
    sign = label_sign(body, t, account.key, account.secret)
    return FormRequest(LABEL_URL, {"method": method, "key": account.key, "t": t, "param": body, "sign": sign})


def _man(name: str, phone: str, address: Address, company: str = "") -> dict[str, str]:
    man = {"name": name, "mobile" if MOBILE.fullmatch(phone) else "tel": phone, "company": company}
    if address.detail:
        man["printAddr"] = address.one_line()
    else:  # a token recipient: the area only, the platform fills in the rest
        man.update(province=address.province, city=address.city, district=address.district)
    return {k: v for k, v in man.items() if v}


def order_param(request: WaybillRequest, settings: LabelSettings) -> dict[str, Any]:
    """The `param` of method=order for one screened request."""
    recipient, sender = request.recipient, request.sender
    param: dict[str, Any] = {
        "printType": settings.print_type,
        "kuaidicom": kuaidi100_company(settings.carrier),
        **settings.partner(),
        "recMan": _man(recipient.name, recipient.phone, recipient.address),
        "sendMan": _man(sender.name, sender.phone, sender.address, sender.company),
        "cargo": "、".join(item.name for item in request.items),
        "count": request.package_count,
        "payType": settings.pay_type,
        "expType": request.product or settings.exp_type,
        "remark": request.remark,
        "orderId": request.object_id,
        "reorder": False,
        "thirdOrderId": request.order_ids[0],
        "oaid": recipient.oaid,
        "caid": recipient.caid,
        "siid": settings.siid,
        "tempId": settings.temp_id,
        "childTempId": settings.child_temp_id,
    }
    if request.package_count > 1:
        param["needChild"] = "1"  # count - 1 children; their numbers come back in childNum
    if request.weight_g is not None:
        param["weight"] = request.weight_g / 1000  # kg
    if request.volume_ml is not None:
        param["volume"] = str(request.volume_ml)  # cm³
    return {k: v for k, v in param.items() if v != ""}


def _reply(reply: HttpReply) -> tuple[dict[str, Any] | None, str]:
    """The `data` of a successful reply, or None and the reason."""
    body = json_object(reply.text) if reply.status == 200 else None
    if body is None:
        return None, f"快递100 应答无法识别 unreadable reply (HTTP {reply.status})"
    code = text_of(body.get("code"))
    if code != "200":
        return None, f"快递100 拒绝 refused ({code or '?'}): {text_of(body.get('message'))}"
    data = body.get("data")
    return (data if isinstance(data, dict) else {}), ""


def parse_order_reply(object_id: str, reply: HttpReply) -> WaybillResult:
    data, error = _reply(reply)
    number = text_of(data.get("kuaidinum")) if data is not None else ""
    if data is None or not number:
        return WaybillResult.failed(object_id, error or "快递100 未返回单号 no kuaidinum in the reply")
    children = tuple(n.strip() for n in text_of(data.get("childNum")).split(",") if n.strip())
    ref = {k: text_of(data.get(k)) for k in ("taskId", "kdComOrderNum") if text_of(data.get(k))}
    return WaybillResult(
        object_id,
        ok=True,
        waybill_no=number,
        child_waybill_nos=children,
        sorting_code=text_of(data.get("destSortingCode")),
        package_center=text_of(data.get("pkgName")),
        short_address=text_of(data.get("bulkpen")),
        print_data=text_of(data.get("label")) or text_of(data.get("printData")),
        provider_ref=compact_json(ref),
    )


def parse_action_reply(waybill_no: str, reply: HttpReply) -> WaybillAction:
    data, error = _reply(reply)
    if data is None:
        return WaybillAction(waybill_no, ok=False, error=error)
    return WaybillAction(
        waybill_no, ok=True, print_data=text_of(data.get("label")) or text_of(data.get("printData"))
    )


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Kuaidi100Waybills:
    """The WaybillProvider for one carrier account through Kuaidi100.

    `refs` keeps each waybill's provider_ref (taskId for reprint, kdComOrderNum for cancel); a store
    can back it with any MutableMapping.
    """

    def __init__(
        self,
        settings: LabelSettings,
        transport: FormPoster,
        refs: MutableMapping[str, str] | None = None,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.refs: MutableMapping[str, str] = {} if refs is None else refs
        self.clock_ms = clock_ms

    def issue(self, requests: Sequence[WaybillRequest]) -> list[WaybillResult]:
        return [
            item if isinstance(item, WaybillResult) else self._order(item)
            for item in screen_batch(requests, self.settings.carrier)
        ]

    def _order(self, request: WaybillRequest) -> WaybillResult:
        param = order_param(request, self.settings)
        try:
            reply = self._post("order", param)
        except TransportError as exc:
            return WaybillResult.failed(request.object_id, str(exc))
        result = parse_order_reply(request.object_id, reply)
        if result.ok:
            self.refs[result.waybill_no] = result.provider_ref
        return result

    def cancel(self, waybill_no: str, reason: str = "") -> WaybillAction:
        param: dict[str, Any] = {
            **self.settings.partner(),
            "kuaidicom": kuaidi100_company(self.settings.carrier),
            "kuaidinum": waybill_no,
            "orderId": self._ref(waybill_no).get("kdComOrderNum", ""),
            "reason": reason,
        }
        return self._action("cancel", waybill_no, {k: v for k, v in param.items() if v})

    def reprint(self, waybill_no: str) -> WaybillAction:
        task_id = self._ref(waybill_no).get("taskId", "")
        if not task_id:
            return WaybillAction(
                waybill_no, ok=False, error=f"无打印任务号 no Kuaidi100 taskId known for {waybill_no}"
            )
        param = {"taskId": task_id, "siid": self.settings.siid}
        return self._action("printOld", waybill_no, {k: v for k, v in param.items() if v})

    def _ref(self, waybill_no: str) -> dict[str, Any]:
        return json_object(self.refs.get(waybill_no, "")) or {}

    def _action(self, method: str, waybill_no: str, param: Mapping[str, Any]) -> WaybillAction:
        try:
            return parse_action_reply(waybill_no, self._post(method, param))
        except TransportError as exc:
            return WaybillAction(waybill_no, ok=False, error=str(exc))

    def _post(self, method: str, param: Mapping[str, Any]) -> HttpReply:
        return self.transport.post(label_request(self.settings.account, method, param, self.clock_ms()))
