"""The facts a rule sees about one order, their declared types, and the activation built from them.

`RuleOrder` is a plain frozen record (the lead fills it from the database). `FACTS` declares every name a
rule may use with its CEL type, so the type checker refuses `amout > 10` or `buyer.ordrs > 3` when a rule is
saved. `activation(order, now)` turns one order into the language's activation once; every rule of a rule
set is then checked against that same activation.

Types (see `FACTS` for the full list): money and hours are `double`, counts and grams are `int`, times are
`timestamp` (UTC instants; naive datetimes are read as UTC), lists are `list(string)`, and order lines are
`lanshou.rules.Line` messages with typed fields (sku, category, quantity, unit_price, weight_g).
A fact that is unknown for this order (`paid_at` of an unpaid order, `promised_ship_by` when the platform
gave no deadline, and the hours computed from them) is left unbound: a rule that reads it fails for that
order with a clear error instead of guessing; guard with `is_paid && ...` or `has_deadline && ...`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from cel_expr_python import cel
from cel_expr_python.ext import ext_strings
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

Number = Decimal | float | int


@dataclass(frozen=True, slots=True)
class RuleLine:
    sku: str
    category: str = ""
    quantity: int = 1
    unit_price: Number = 0
    weight_g: int = 0


@dataclass(frozen=True, slots=True)
class RuleBuyer:
    orders: int = 0  # earlier orders by this buyer in this shop
    spend: Number = 0  # what those orders came to
    is_repeat: bool = False
    tier: str = ""
    segments: tuple[str, ...] = ()
    blacklisted: bool = False


@dataclass(frozen=True, slots=True)
class RuleOrder:
    platform: str
    shop: str
    order_id: str
    created_at: datetime
    status: str = "paid"
    amount: Number = 0
    currency: str = "CNY"
    country: str = "CN"
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    shipping_method: str = ""  # what the buyer chose at checkout, e.g. "express", "standard", "pickup"
    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    lines: tuple[RuleLine, ...] = ()
    total_quantity: int = 0
    weight_g: int = 0
    buyer: RuleBuyer = field(default_factory=RuleBuyer)
    message: str = ""  # the buyer's message (买家留言)
    remark: str = ""  # the seller's remark (卖家备注)
    is_presale: bool = False
    paid_at: datetime | None = None
    promised_ship_by: datetime | None = None
    tags: tuple[str, ...] = ()

    def hours_since_paid(self, now: datetime) -> float | None:
        return None if self.paid_at is None else _hours_between(self.paid_at, now)

    def hours_to_deadline(self, now: datetime) -> float | None:
        """Hours left before the promised ship-by time; negative once it has passed."""
        return None if self.promised_ship_by is None else _hours_between(now, self.promised_ship_by)


class LineFacts(NamedTuple):
    categories: tuple[str, ...]
    skus: tuple[str, ...]
    total_quantity: int
    weight_g: int


def summarise_lines(lines: Iterable[RuleLine]) -> LineFacts:
    """The order-level facts that follow from its lines (distinct categories and SKUs in line order)."""
    lines = tuple(lines)
    return LineFacts(
        categories=tuple(dict.fromkeys(line.category for line in lines if line.category)),
        skus=tuple(dict.fromkeys(line.sku for line in lines)),
        total_quantity=sum(line.quantity for line in lines),
        weight_g=sum(line.weight_g * line.quantity for line in lines),
    )


def as_utc(moment: datetime) -> datetime:
    """Aware datetimes keep their instant; naive ones are UTC by the project's convention."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _hours_between(start: datetime, end: datetime) -> float:
    if (start.tzinfo is None) is not (end.tzinfo is None):  # one naive (UTC), one aware
        start, end = as_utc(start), as_utc(end)
    return (end - start).total_seconds() / 3600


class FactsError(ValueError):
    """An order's facts cannot be given to the rules (e.g. an amount that is not a number)."""


# --- declarations ---------------------------------------------------------------------------------

LINE_MESSAGE = "lanshou.rules.Line"
_LINE_FIELDS = (  # name, protobuf field type (FieldDescriptorProto.Type)
    ("sku", descriptor_pb2.FieldDescriptorProto.TYPE_STRING),
    ("category", descriptor_pb2.FieldDescriptorProto.TYPE_STRING),
    ("quantity", descriptor_pb2.FieldDescriptorProto.TYPE_INT64),
    ("unit_price", descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE),
    ("weight_g", descriptor_pb2.FieldDescriptorProto.TYPE_INT64),
)


def _line_message_pool() -> tuple[descriptor_pool.DescriptorPool, Any]:
    """A private descriptor pool holding the Line message, so `l.weight` is refused like `amout`."""
    file = descriptor_pb2.FileDescriptorProto(name="lanshou/rules/line.proto", package="lanshou.rules")
    file.syntax = "proto3"
    message = file.message_type.add(name="Line")
    for number, (name, kind) in enumerate(_LINE_FIELDS, start=1):
        message.field.add(
            name=name, number=number, type=kind, label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return pool, message_factory.GetMessageClass(pool.FindMessageTypeByName(LINE_MESSAGE))


_POOL, LineMessage = _line_message_pool()

_T = cel.Type
_STRINGS = _T.List(_T.STRING)


Getter = Callable[[Any, datetime], Any]  # (the record: a RuleOrder for ORDER_FACTS, now)


class Fact(NamedTuple):
    name: str
    type: Any  # cel.Type
    help: str  # Chinese first, English beside it
    get: Getter  # the plain value for one order at `now`; None leaves the fact unbound


def _time(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


FACTS: tuple[Fact, ...] = (
    Fact(
        "platform",
        _T.STRING,
        "平台 platform: tmall, taobao, douyin, pdd, jd, aliexpress",
        lambda o, n: o.platform,
    ),
    Fact("shop", _T.STRING, "店铺 shop", lambda o, n: o.shop),
    Fact("order_id", _T.STRING, "订单号 order number", lambda o, n: o.order_id),
    Fact("status", _T.STRING, "订单状态 order status", lambda o, n: str(o.status)),
    Fact("amount", _T.DOUBLE, "实付金额 amount paid (write 2000.0, not 2000)", lambda o, n: float(o.amount)),
    Fact("currency", _T.STRING, "币种 currency, e.g. CNY", lambda o, n: o.currency),
    Fact("country", _T.STRING, "国家 country code, e.g. CN", lambda o, n: o.country),
    Fact("province", _T.STRING, "省 province", lambda o, n: o.province),
    Fact("city", _T.STRING, "市 city", lambda o, n: o.city),
    Fact("district", _T.STRING, "区县 district", lambda o, n: o.district),
    Fact("address", _T.STRING, "详细地址 street address", lambda o, n: o.address),
    Fact(
        "shipping_method",
        _T.STRING,
        "买家选的配送方式 shipping method the buyer chose",
        lambda o, n: o.shipping_method,
    ),
    Fact("categories", _STRINGS, "类目 categories of the lines", lambda o, n: list(o.categories)),
    Fact("skus", _STRINGS, "商品编码 SKUs of the lines", lambda o, n: list(o.skus)),
    Fact(
        "lines",
        _T.List(_T(LINE_MESSAGE)),
        "订单行 lines: sku, category, quantity, unit_price, weight_g",
        lambda o, n: [_line_message(line) for line in o.lines],
    ),
    Fact("total_quantity", _T.INT, "总件数 total quantity", lambda o, n: int(o.total_quantity)),
    Fact("weight_g", _T.INT, "总重量(克) total weight in grams", lambda o, n: int(o.weight_g)),
    Fact(
        "buyer.orders",
        _T.INT,
        "买家历史订单数 buyer's earlier orders in this shop",
        lambda o, n: int(o.buyer.orders),
    ),
    Fact("buyer.spend", _T.DOUBLE, "买家历史消费 buyer's earlier spend", lambda o, n: float(o.buyer.spend)),
    Fact("buyer.is_repeat", _T.BOOL, "回头客 repeat buyer", lambda o, n: bool(o.buyer.is_repeat)),
    Fact("buyer.tier", _T.STRING, "会员等级 buyer tier", lambda o, n: o.buyer.tier),
    Fact("buyer.segments", _STRINGS, "买家分群 buyer segments", lambda o, n: list(o.buyer.segments)),
    Fact("buyer.blacklisted", _T.BOOL, "黑名单 buyer is blacklisted", lambda o, n: bool(o.buyer.blacklisted)),
    Fact("message", _T.STRING, "买家留言 buyer message", lambda o, n: o.message),
    Fact("remark", _T.STRING, "卖家备注 seller remark", lambda o, n: o.remark),
    Fact("is_presale", _T.BOOL, "预售 presale order", lambda o, n: bool(o.is_presale)),
    Fact("is_paid", _T.BOOL, "已付款 paid (paid_at is known)", lambda o, n: o.paid_at is not None),
    Fact(
        "has_deadline",
        _T.BOOL,
        "有发货时限 promised_ship_by is known",
        lambda o, n: o.promised_ship_by is not None,
    ),
    Fact("created_at", _T.TIMESTAMP, "下单时间 created at", lambda o, n: as_utc(o.created_at)),
    Fact("paid_at", _T.TIMESTAMP, "付款时间 paid at (unbound when unpaid)", lambda o, n: _time(o.paid_at)),
    Fact(
        "promised_ship_by",
        _T.TIMESTAMP,
        "承诺发货时间 promised ship-by (unbound when none)",
        lambda o, n: _time(o.promised_ship_by),
    ),
    Fact("now", _T.TIMESTAMP, "当前时间 the time of the check", lambda o, n: as_utc(n)),
    Fact(
        "hours_since_paid",
        _T.DOUBLE,
        "付款后小时数 hours since payment (unbound when unpaid)",
        lambda o, n: o.hours_since_paid(n),
    ),
    Fact(
        "hours_to_deadline",
        _T.DOUBLE,
        "距发货时限小时数 hours to ship-by; negative when late (unbound when none)",
        lambda o, n: o.hours_to_deadline(n),
    ),
    Fact("tags", _STRINGS, "订单标签 tags already on the order", lambda o, n: list(o.tags)),
)
FACT_NAMES: frozenset[str] = frozenset(fact.name for fact in FACTS)
_BY_NAME = {fact.name: fact for fact in FACTS}


class FactSet:
    """A declared set of facts a condition compiles against: an order's (`ORDER_FACTS`, the default), or
    another area's record (e.g. a buyer profile). Each fact's `get(record, now)` gives its plain value."""

    def __init__(self, name: str, declared: tuple[Fact, ...]) -> None:
        self.name = name
        self.facts = declared
        self.names: frozenset[str] = frozenset(fact.name for fact in declared)
        self.environment = cel.NewEnv(
            _POOL,
            variables={fact.name: fact.type for fact in declared},
            extensions=[ext_strings.ExtStrings()],
        )

    def values(self, record: Any, now: datetime) -> dict[str, Any]:
        """Every fact's value for one record; unknown (None) ones are left unbound."""
        values: dict[str, Any] = {}
        try:
            for fact in self.facts:
                value = fact.get(record, now)
                if value is not None:
                    values[fact.name] = value
        except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            raise FactsError(f"信息无效 invalid {self.name} facts: {exc}") from exc
        return values

    def activation(self, record: Any, now: datetime) -> Any:
        return self.environment.Activation(self.values(record, now))


ORDER_FACTS = FactSet("order", FACTS)
ENVIRONMENT = ORDER_FACTS.environment


# --- activation -----------------------------------------------------------------------------------


def facts(order: RuleOrder, now: datetime, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The plain values of the named facts (all when `names` is None) for one order; unknown ones left out."""
    return Binder(FACT_NAMES if names is None else names).values(order, now)


def activation(order: RuleOrder, now: datetime, names: Iterable[str] | None = None) -> Any:
    """Bind one order once (the `names` a rule set reads, or all facts); check many conditions on it."""
    return ENVIRONMENT.Activation(facts(order, now, names))


class Binder:
    """Binds a fixed set of facts, order after order (a rule set builds one for the facts its rules read)."""

    def __init__(self, names: Iterable[str]) -> None:
        unknown = set(names) - FACT_NAMES
        if unknown:
            raise ValueError(f"未知的事实 unknown facts: {', '.join(sorted(unknown))}")
        self.names = frozenset(names)
        self._getters = tuple((fact.name, fact.get) for fact in FACTS if fact.name in self.names)

    def values(self, order: RuleOrder, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {}
        try:
            for name, get in self._getters:
                value = get(order, now)
                if value is not None:
                    values[name] = value
        except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            raise FactsError(f"订单信息无效 invalid order facts for {order.order_id!r}: {exc}") from exc
        return values

    def activation(self, order: RuleOrder, now: datetime) -> Any:
        return ENVIRONMENT.Activation(self.values(order, now))


def _line_message(line: RuleLine) -> Any:
    return LineMessage(
        sku=line.sku,
        category=line.category,
        quantity=int(line.quantity),
        unit_price=float(line.unit_price),
        weight_g=int(line.weight_g),
    )
