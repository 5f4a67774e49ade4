"""The generic feedback file: platform, shop, order_id, created_at, rating, tags, content."""

from __future__ import annotations

from collections.abc import Iterator

from lanshou.files.tabular import Table
from lanshou.orders.records import FeedbackRecord, RowError
from lanshou.platforms.base import ReadContext, cell, require_columns
from lanshou.platforms.limits import feedback_problem
from lanshou.platforms.registry import platform_codes
from lanshou.platforms.values import clean_id, parse_rating, parse_time

REQUIRED = ("platform", "shop", "order_id", "created_at")


def split_tags(text: str) -> tuple[str, ...]:
    return tuple(tag.strip().strip("[]【】") for tag in text.split("|") if tag.strip())


def read_feedback(table: Table, ctx: ReadContext) -> Iterator[FeedbackRecord | RowError]:
    required = [c for c in REQUIRED if not (c == "shop" and ctx.shop)]
    pos = require_columns(table, required)
    for line, row in table.rows:
        column = "platform"
        try:
            platform = cell(row, pos["platform"]).lower()
            if platform not in platform_codes():
                raise ValueError(
                    f"unknown platform {platform!r} (expected one of {', '.join(platform_codes())})"
                )
            column = "shop"
            shop = cell(row, pos.get("shop")) or (ctx.shop or "")
            if not shop:
                raise ValueError("missing shop")
            ctx.known_shop(platform, shop)
            column = "order_id"
            order_no = clean_id(cell(row, pos["order_id"]))
            if not order_no:
                raise ValueError("missing order_id")
            column = "created_at"
            created = parse_time(cell(row, pos["created_at"]), ctx.tz_for(platform, shop))
            column = "rating"
            rating = parse_rating(cell(row, pos.get("rating")))
        except ValueError as exc:
            yield RowError(table.path.name, line, column, str(exc), row)
            continue
        record = FeedbackRecord(
            platform=platform,
            shop=shop,
            order_no=order_no,
            created_at=created,
            rating=rating,
            tags=split_tags(cell(row, pos.get("tags"))),
            content=cell(row, pos.get("content")),
            source_line=line,
        )
        problem = feedback_problem(record, ctx.limits)
        if problem is not None:
            yield RowError(table.path.name, line, FIELDS.get(problem[0], problem[0]), problem[1], row)
            continue
        yield record


FIELDS = {"order_no": "order_id"}  # record field -> this file's column
