"""Tmall 天猫: the same 订单报表 / 宝贝报表 exports as Taobao, its own rule pack."""

from lanshou.platforms.base import register
from lanshou.platforms.registry import marketplace
from lanshou.platforms.taobao.reader import TaobaoItems, TaobaoOrders

MARKETPLACE = marketplace("tmall", "天猫", "Tmall")


class TmallOrders(TaobaoOrders):
    name = "tmall"
    platform = "tmall"


class TmallItems(TaobaoItems):
    name = "tmall-items"
    platform = "tmall"


register("tmall")(TmallOrders)
register("tmall-items")(TmallItems)

from lanshou.platforms.tmall import ship_file  # noqa: E402,F401  (registers the batch-ship upload file)
