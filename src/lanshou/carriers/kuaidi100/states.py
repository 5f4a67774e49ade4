"""Kuaidi100 tracking states (main state -> sub-states), "1.6 运单快递状态(state)说明" (WIRE-FORMATS.md 1a).

Its documents disagree on how many states exist ("8", "10", "13"), so unknown codes read as unknown.
"""

from __future__ import annotations

from lanshou.carriers.code_table import CodeTable, family
from lanshou.tracking.status import TrackingStatus as T

KUAIDI100 = CodeTable(
    "kuaidi100",
    [
        # 101/102 come before the pickup (info_received); 103 is the pickup itself.
        *family(
            "1",
            "揽收",
            T.PICKED_UP,
            [
                ("101", "已下单", T.INFO_RECEIVED),
                ("102", "待揽收", T.INFO_RECEIVED),
                ("103", "已揽收", T.PICKED_UP),
            ],
        ),
        *family(
            "0",
            "在途",
            T.IN_TRANSIT,
            [
                ("1001", "到达派件城市", T.IN_TRANSIT),
                ("1002", "干线", T.IN_TRANSIT),
                ("1003", "转递", T.IN_TRANSIT),
            ],
        ),
        *family("5", "派件", T.OUT_FOR_DELIVERY, [("501", "投柜或驿站", T.AVAILABLE_FOR_PICKUP)]),
        *family(
            "3",
            "签收",
            T.DELIVERED,
            [
                ("301", "本人签收", T.DELIVERED),
                ("302", "派件异常后签收", T.DELIVERED),
                ("303", "代签", T.DELIVERED),
                ("304", "投柜或站签收", T.DELIVERED),
            ],
        ),
        *family("6", "退回", T.RETURNING),
        # 14 拒签 is listed under 4 退签 and as a main state of its own; one entry serves both.
        *family("4", "退签", T.RETURNED, [("401", "已销单", T.RETURNED), ("14", "拒签", T.REJECTED)]),
        *family("7", "转投", T.IN_TRANSIT),
        *family(
            "2",
            "疑难",
            T.EXCEPTION,
            [
                ("201", "超时未签收", T.EXCEPTION),
                ("202", "超时未更新", T.EXCEPTION),
                ("203", "拒收", T.REJECTED),
                ("204", "派件异常", T.FAILED_ATTEMPT),
                ("205", "柜或驿站超时未取", T.AVAILABLE_FOR_PICKUP),
                ("206", "无法联系", T.FAILED_ATTEMPT),
                ("207", "超区", T.EXCEPTION),
                ("208", "滞留", T.EXCEPTION),
                ("209", "破损", T.EXCEPTION),
                ("210", "销单", T.EXCEPTION),
            ],
        ),
        *family(
            "8",
            "清关",
            T.IN_TRANSIT,
            [
                ("10", "待清关", T.IN_TRANSIT),
                ("11", "清关中", T.IN_TRANSIT),
                ("12", "已清关", T.IN_TRANSIT),
                ("13", "清关异常", T.EXCEPTION),
            ],
        ),
    ],
)
