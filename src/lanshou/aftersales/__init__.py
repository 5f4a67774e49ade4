"""After-sales (售后): refunds, returns, exchanges, reships, price protection, on one state machine.

- `states`: the case types (`CaseType`), statuses (`CaseStatus`), actions and the one table of allowed
  transitions (`transition(status, action)` refuses anything else with a clear reason, changing nothing);
  and each platform's raw statuses mapped onto them — Taobao/Tmall API enum and export text, Douyin
  (`aftersale_type`, `aftersale_status`), Pinduoduo `after_sales_status` — with the raw value kept and an
  unknown one reported as "unknown platform status X", never a crash.
- `money`: the refund check over every case of an order together (refunds ≤ what was paid, per order and per
  line, in Decimal) and the return-window check (7-day no-reason returns after delivery).

Everything here is pure: no I/O, no clock. Storing cases and running the platform calls belong to the use
cases that will sit beside these modules.
"""
