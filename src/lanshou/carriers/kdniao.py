"""Kdniao (快递鸟) tracking states: State 0–4 (PLATFORMS.md) with StateEx detail.

Kdniao's numbers clash with Kuaidi100's (201 = 到达派件城市 here, 超时未签收 there; 4 = 问题件 here,
退签 there), hence a table of its own. Codes marked "single source" come from one public model of
Kdniao's StateEx list, not from Kdniao's own documents.
"""

from __future__ import annotations

from lanshou.carriers.code_table import CodeTable, family
from lanshou.tracking.status import TrackingStatus as T

KDNIAO = CodeTable(
    "kdniao",
    [
        *family("0", "暂无轨迹信息", T.INFO_RECEIVED),  # nothing scanned yet
        *family("10", "待揽件", T.INFO_RECEIVED),  # single source
        *family("1", "已揽收", T.PICKED_UP),
        *family(
            "2",
            "在途中",
            T.IN_TRANSIT,
            [
                ("201", "到达派件城市", T.IN_TRANSIT),
                ("204", "到达转运中心", T.IN_TRANSIT),  # single source
                ("205", "到达派件网点", T.IN_TRANSIT),  # single source
                ("206", "寄件网点发件", T.IN_TRANSIT),  # single source
                ("202", "派件中", T.OUT_FOR_DELIVERY),
                ("211", "已放入快递柜或驿站", T.AVAILABLE_FOR_PICKUP),
            ],
        ),
        *family(
            "3",
            "已签收",
            T.DELIVERED,
            [
                ("301", "正常签收", T.DELIVERED),
                ("302", "轨迹异常后最终签收", T.DELIVERED),
                ("304", "代收签收", T.DELIVERED),
                ("311", "快递柜或驿站签收", T.DELIVERED),
            ],
        ),
        *family(
            "4",
            "问题件",
            T.EXCEPTION,
            [
                ("401", "发货无信息", T.EXCEPTION),
                ("402", "超时未签收", T.EXCEPTION),
                ("403", "超时未更新", T.EXCEPTION),
                ("404", "拒收(退件)", T.REJECTED),
                ("405", "派件异常", T.FAILED_ATTEMPT),
                ("406", "退货签收", T.RETURNED),
                ("407", "退货未签收", T.RETURNING),
                ("412", "快递柜或驿站超时未取", T.AVAILABLE_FOR_PICKUP),
                # 413-423: single source
                ("413", "单号已拦截", T.EXCEPTION),
                ("414", "破损", T.EXCEPTION),
                ("415", "客户取消发货", None),  # may come before any pickup: not a scan we can date
                ("416", "无法联系", T.FAILED_ATTEMPT),
                ("417", "配送延迟", T.EXCEPTION),
                ("418", "快件取出", T.EXCEPTION),
                ("419", "重新派送", T.FAILED_ATTEMPT),
                ("420", "收货地址不详细", T.EXCEPTION),
                ("421", "收件人电话错误", T.EXCEPTION),
                ("422", "错分件", T.EXCEPTION),
                ("423", "超区件", T.EXCEPTION),
            ],
        ),
        *family("5", "转寄", T.IN_TRANSIT),  # single source
        *family(
            "6",
            "清关",
            T.IN_TRANSIT,
            [  # single source
                ("601", "待清关", T.IN_TRANSIT),
                ("602", "清关中", T.IN_TRANSIT),
                ("603", "已清关", T.IN_TRANSIT),
                ("604", "清关异常", T.EXCEPTION),
            ],
        ),
    ],
)
