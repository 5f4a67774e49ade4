"""stats_{sku,returns,reason,category,province}_span: the statistics rollups a period reads by key, summed
over aligned blocks of 2 … 128 days, so a period reads a few blocks plus single days (lanshou.stats.spans);
filled here from the daily rollups of an existing database; and an index on the daily rollups' day

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SIZES = (2, 4, 8, 16, 32, 64, 128)
DAILY = ("stats_sku", "stats_returns", "stats_category", "stats_province")
# span table -> (its daily rollup, keys besides shop and day, measures)
SPANS = {
    "stats_sku_span": ("stats_sku", ("sku",), ("orders", "quantity", "sales")),
    "stats_returns_span": ("stats_returns", ("sku",), ("returns", "cases", "refunded")),
    "stats_reason_span": ("stats_returns", ("reason_code",), ("returns", "cases", "refunded")),
    "stats_category_span": ("stats_category", ("category",), ("quantity", "sales")),
    "stats_province_span": ("stats_province", ("province",), ("orders", "sales")),
}


def _span_table(name: str, keys: tuple[sa.Column[object], ...], measures: tuple[str, ...]) -> None:
    money = {"sales", "refunded"}
    op.create_table(
        name,
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        *keys,
        *(
            sa.Column(
                m, sa.Numeric(20, 2) if m in money else sa.BigInteger(), server_default="0", nullable=False
            )
            for m in measures
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f(f"fk_{name}_shop_id_shops")),
        sa.PrimaryKeyConstraint("days", "block", "shop_id", *(k.name for k in keys), name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _span_table(
        "stats_sku_span",
        (sa.Column("sku", sa.String(length=128), nullable=False),),
        SPANS["stats_sku_span"][2],
    )
    _span_table(
        "stats_returns_span",
        (sa.Column("sku", sa.String(length=128), nullable=False),),
        SPANS["stats_returns_span"][2],
    )
    _span_table(
        "stats_reason_span",
        (sa.Column("reason_code", sa.String(length=20), nullable=False),),
        SPANS["stats_reason_span"][2],
    )
    _span_table(
        "stats_category_span",
        (sa.Column("category", sa.String(length=128), nullable=False),),
        SPANS["stats_category_span"][2],
    )
    _span_table(
        "stats_province_span",
        (sa.Column("province", sa.String(length=64), nullable=False),),
        SPANS["stats_province_span"][2],
    )
    for daily in DAILY:  # a period's single days of all shops (the primary keys lead with the shop)
        op.create_index(f"ix_{daily}_day", daily, ["day", "shop_id"])
    for span, (daily, keys, measures) in SPANS.items():
        _fill(span, daily, keys, measures)


def _fill(span: str, daily: str, keys: tuple[str, ...], measures: tuple[str, ...]) -> None:
    """Each size from the one below (pairs of days for the smallest), as lanshou.stats.spans keeps them."""
    conn = op.get_bind()
    rows = sa.table(
        daily, sa.column("shop_id"), sa.column("day", sa.Date()), *map(sa.column, (*keys, *measures))
    )
    blocks = sa.table(span, *map(sa.column, ("days", "block", "shop_id", *keys, *measures)))
    days = sorted(conn.execute(sa.select(rows.c.day).distinct()).scalars())
    names = ["days", "block", "shop_id", *keys, *measures]
    for size in SIZES:
        if size == 2:
            number = (
                sa.case({d: d.toordinal() // 2 for d in days}, value=rows.c.day) if days else sa.literal(0)
            )
            source = sa.select(number.label("block"), *(rows.c[n] for n in ("shop_id", *keys, *measures)))
        else:
            source = sa.select(
                blocks.c.block.op("/")(2).label("block"),
                *(blocks.c[n] for n in ("shop_id", *keys, *measures)),
            ).where(blocks.c.days == size // 2)
        halves = source.subquery()
        grouping = (halves.c.block, halves.c.shop_id, *(halves.c[k] for k in keys))
        summed = sa.select(
            sa.literal(size, sa.Integer), *grouping, *(sa.func.sum(halves.c[m]) for m in measures)
        )
        conn.execute(blocks.insert().from_select(names, summed.group_by(*grouping)))


def downgrade() -> None:
    op.drop_table("stats_reason_span")
    for daily in DAILY:
        op.drop_index(f"ix_{daily}_day", table_name=daily)
    op.drop_table("stats_province_span")
    op.drop_table("stats_category_span")
    op.drop_table("stats_returns_span")
    op.drop_table("stats_sku_span")
