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
}
