"""Texts of the stock, notification log, carrier scorecard and rule pages: key -> (中文, English).
Merged into `messages.MESSAGES`."""

from __future__ import annotations

MORE_MESSAGES: dict[str, tuple[str, str]] = {
    "stock.title": ("库存", "Stock"),
    "stock.low_only": ("仅低库存", "Low stock only"),
    "stock.low": ("低库存", "Low"),
    "stock.warehouse": ("仓库", "Warehouse"),
    "stock.on_hand": ("在库", "On hand"),
    "stock.reserved": ("占用", "Reserved"),
    "stock.available": ("可用", "Available"),
    "stock.safety": ("安全库存", "Safety level"),
    "stock.none": ("没有库存记录", "No stock"),
    "stock.adjust": ("调整库存", "Adjust stock"),
    "stock.delta": ("数量 (+增 / -减)", "Change (+add / -take)"),
    "stock.reason": ("原因", "Reason"),
    "stock.save": ("保存调整", "Save adjustment"),
    "stock.adjusted": ("库存已调整", "Stock adjusted"),
    "stock.bad_delta": ("数量必须是非零整数", "The change must be a whole number other than 0"),
    "notify.title": ("通知发送记录", "Notification log"),
    "notify.time": ("时间", "Time"),
    "notify.order": ("订单", "Order"),
    "notify.stage": ("阶段", "Stage"),
    "notify.channel": ("渠道", "Channel"),
    "notify.recipient": ("收件人", "Recipient"),
    "notify.state": ("状态", "State"),
    "notify.error": ("错误", "Error"),
    "notify.none": ("没有通知记录", "No notifications"),
    "notify.state.pending": ("待发送", "Pending"),
    "notify.state.held_quiet": ("免打扰暂缓", "Held (quiet hours)"),
    "notify.state.rate_limited": ("限流暂缓", "Rate limited"),
    "notify.state.sending": ("发送中", "Sending"),
    "notify.state.sent": ("已发送", "Sent"),
    "notify.state.failed": ("失败", "Failed"),
    "notify.state.opted_out": ("买家已退订", "Opted out"),
    "notify.state.skipped": ("已跳过", "Skipped"),
}
