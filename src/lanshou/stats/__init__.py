"""Business statistics (经营统计): daily orders and sales, category and product share, orders by province,
return rate by SKU and reason, repeat-purchase rate, after-sales cost, with period-over-period change.

Each order is derived once into fact rows (`derive`, pure); the rollups per (shop, local day) are a GROUP BY
over those facts, recomputed for the days a change touched (`refresh`), under one lock, so they always equal
a recompute from the raw tables. Reports read only the rollups (`report`).
"""
