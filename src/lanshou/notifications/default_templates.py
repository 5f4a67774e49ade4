"""Built-in templates for every stage, in zh-CN and en. Each stage is written once as a subject, a few
lines and an SMS text; the plain-text and HTML e-mail bodies are both made from the same lines.

The SMS providers only send pre-approved templates, so each stage also names the parameters the merchant's
approved provider template receives (`DEFAULT_SMS_PARAMS`, in the order Tencent's TemplateParamSet wants).
"""

from __future__ import annotations

from dataclasses import dataclass

from lanshou.notifications.model import Stage
from lanshou.notifications.templates import TemplateFormat


@dataclass(frozen=True)
class StageText:
    subject: str
    lines: tuple[str, ...]
    sms: str


_ITEMS_ZH = (
    "商品：{% for i in items %}{{ i.title }} ×{{ i.quantity }}{% if not loop.last %}；{% endif %}{% endfor %}"
)
_ITEMS_EN = (
    "Items: {% for i in items %}{{ i.title }} × {{ i.quantity }}"
    "{% if not loop.last %}; {% endif %}{% endfor %}"
)
_TRACK_ZH = "{% if tracking_no %}{{ carrier.name }} 运单号 {{ tracking_no }}{% endif %}"
_TRACK_EN = "{% if tracking_no %}{{ carrier.name }} tracking number {{ tracking_no }}{% endif %}"
_ETA_ZH = "{% if eta %}预计 {{ eta|date }} 送达。{% endif %}"
_ETA_EN = "{% if eta %}Expected by {{ eta|date }}.{% endif %}"
_THANKS_ZH = (
    "{% if is_high_value %}感谢您对{{ shop.name }}的信任，我们已为您的订单安排优先处理。"
    "{% elif is_repeat_buyer %}感谢您再次光临{{ shop.name }}！{% endif %}"
)
_THANKS_EN = (
    "{% if is_high_value %}Thank you for trusting {{ shop.name }}; your order has priority handling."
    "{% elif is_repeat_buyer %}Thank you for shopping with {{ shop.name }} again!{% endif %}"
)

ZH: dict[Stage, StageText] = {
    Stage.ORDER_ACCEPTED: StageText(
        "【{{ shop.name }}】已收到您的订单 {{ order.order_no }}",
        (
            "{{ buyer.first_name }}，您好：",
            "您的订单 {{ order.order_no }} 已确认，我们正在为您备货。",
            _ITEMS_ZH,
            _THANKS_ZH,
        ),
        "{{ buyer.first_name }}您好，您在{{ shop.name }}的订单{{ order.order_no }}已确认，我们正在备货。",
    ),
    Stage.ORDER_SHIPPED: StageText(
        "【{{ shop.name }}】您的订单 {{ order.order_no }} 已发货",
        (
            "{{ buyer.first_name }}，您好：",
            "您的订单 {{ order.order_no }} 已发货。",
            _TRACK_ZH,
            _ETA_ZH,
            _ITEMS_ZH,
            _THANKS_ZH,
        ),
        "{{ buyer.first_name }}您好，您的订单{{ order.order_no }}已发货"
        "{% if tracking_no %}，{{ carrier.name }}运单号{{ tracking_no }}{% endif %}。",
    ),
    Stage.PICKED_UP: StageText(
        "【{{ shop.name }}】快递已揽收 {{ tracking_no }}",
        ("{{ buyer.first_name }}，您好：", "您的包裹已被快递揽收。", _TRACK_ZH, _ETA_ZH),
        "{{ buyer.first_name }}您好，您的包裹已揽收"
        "{% if tracking_no %}，{{ carrier.name }}{{ tracking_no }}{% endif %}。",
    ),
    Stage.IN_TRANSIT_LONG: StageText(
        "【{{ shop.name }}】包裹运输时间较长，我们正在跟进",
        (
            "{{ buyer.first_name }}，您好：",
            "您的包裹在途时间比平常长，我们已联系快递跟进，请您放心。",
            _TRACK_ZH,
            "{% if last_event %}最新动态：{{ last_event }}{% endif %}",
        ),
        "{{ buyer.first_name }}您好，您的包裹在途时间较长，我们已联系快递跟进，请放心。",
    ),
    Stage.OUT_FOR_DELIVERY: StageText(
        "【{{ shop.name }}】包裹正在派送中",
        ("{{ buyer.first_name }}，您好：", "您的包裹今天正在派送，请保持电话畅通。", _TRACK_ZH),
        "{{ buyer.first_name }}您好，您的包裹正在派送，请保持电话畅通。",
    ),
    Stage.DELIVERED: StageText(
        "【{{ shop.name }}】包裹已签收",
        (
            "{{ buyer.first_name }}，您好：",
            "您的包裹已签收，祝您使用愉快。如有问题请随时联系我们。",
            _TRACK_ZH,
            _THANKS_ZH,
        ),
        "{{ buyer.first_name }}您好，您的包裹已签收，如有问题请联系{{ shop.name }}。",
    ),
    Stage.EXCEPTION: StageText(
        "【{{ shop.name }}】您的包裹遇到问题，我们正在处理",
        (
            "{{ buyer.first_name }}，您好：",
            "您的包裹出现异常{% if exception_reason %}（{{ exception_reason }}）{% endif %}"
            "，我们正在与快递处理。",
            _TRACK_ZH,
        ),
        "{{ buyer.first_name }}您好，您的包裹出现异常，{{ shop.name }}正在处理，请留意后续通知。",
    ),
    Stage.CAMPAIGN: StageText(
        "【{{ shop.name }}】{{ buyer.first_name }}，送您一份专属礼遇",
        (
            "{{ buyer.first_name }}，您好：",
            "感谢您一直以来对{{ shop.name }}的支持。",
            "{% if coupon %}您的专属优惠码：{{ coupon }}，下单时输入即可使用。{% endif %}",
        ),
        "{{ buyer.first_name }}您好，感谢支持{{ shop.name }}"
        "{% if coupon %}，专属优惠码{{ coupon }}{% endif %}。拒收请回复TD",
    ),
}

EN: dict[Stage, StageText] = {
    Stage.ORDER_ACCEPTED: StageText(
        "[{{ shop.name }}] We have your order {{ order.order_no }}",
        (
            "Hi {{ buyer.first_name }},",
            "Order {{ order.order_no }} is confirmed and being prepared.",
            _ITEMS_EN,
            _THANKS_EN,
        ),
        "Hi {{ buyer.first_name }}, your {{ shop.name }} order {{ order.order_no }} is confirmed.",
    ),
    Stage.ORDER_SHIPPED: StageText(
        "[{{ shop.name }}] Order {{ order.order_no }} has shipped",
        (
            "Hi {{ buyer.first_name }},",
            "Order {{ order.order_no }} has shipped.",
            _TRACK_EN,
            _ETA_EN,
            _ITEMS_EN,
            _THANKS_EN,
        ),
        "Hi {{ buyer.first_name }}, order {{ order.order_no }} has shipped"
        "{% if tracking_no %}: {{ carrier.name }} {{ tracking_no }}{% endif %}.",
    ),
    Stage.PICKED_UP: StageText(
        "[{{ shop.name }}] Your parcel was picked up",
        ("Hi {{ buyer.first_name }},", "The carrier has picked up your parcel.", _TRACK_EN, _ETA_EN),
        "Hi {{ buyer.first_name }}, your parcel was picked up"
        "{% if tracking_no %}: {{ tracking_no }}{% endif %}.",
    ),
    Stage.IN_TRANSIT_LONG: StageText(
        "[{{ shop.name }}] Your parcel is taking longer than usual",
        (
            "Hi {{ buyer.first_name }},",
            "Your parcel is taking longer than usual; we have asked the carrier to follow up.",
            _TRACK_EN,
            "{% if last_event %}Latest: {{ last_event }}{% endif %}",
        ),
        "Hi {{ buyer.first_name }}, your parcel is taking longer than usual; we are following up.",
    ),
    Stage.OUT_FOR_DELIVERY: StageText(
        "[{{ shop.name }}] Your parcel is out for delivery",
        ("Hi {{ buyer.first_name }},", "Your parcel is out for delivery today.", _TRACK_EN),
        "Hi {{ buyer.first_name }}, your parcel is out for delivery today.",
    ),
    Stage.DELIVERED: StageText(
        "[{{ shop.name }}] Your parcel was delivered",
        (
            "Hi {{ buyer.first_name }},",
            "Your parcel was delivered. Tell us if anything is wrong.",
            _TRACK_EN,
            _THANKS_EN,
        ),
        "Hi {{ buyer.first_name }}, your parcel was delivered. Questions? Contact {{ shop.name }}.",
    ),
    Stage.EXCEPTION: StageText(
        "[{{ shop.name }}] A problem with your parcel",
        (
            "Hi {{ buyer.first_name }},",
            "Your parcel ran into a problem{% if exception_reason %} ({{ exception_reason }}){% endif %};"
            " we are sorting it out with the carrier.",
            _TRACK_EN,
        ),
        "Hi {{ buyer.first_name }}, your parcel ran into a problem; {{ shop.name }} is sorting it out.",
    ),
    Stage.CAMPAIGN: StageText(
        "[{{ shop.name }}] A thank-you for {{ buyer.first_name }}",
        (
            "Hi {{ buyer.first_name }},",
            "Thank you for shopping with {{ shop.name }}.",
            "{% if coupon %}Your own coupon code: {{ coupon }} (enter it at checkout).{% endif %}",
        ),
        "Hi {{ buyer.first_name }}, thanks for shopping with {{ shop.name }}"
        "{% if coupon %}: your coupon code {{ coupon }}{% endif %}. Reply STOP to opt out",
    ),
}

_HI_ZH, _HI_EN = "{{ buyer.first_name }}，您好：", "Hi {{ buyer.first_name }},"
_LAST_ZH = "{% if last_event %}最新动态：{{ last_event }}{% endif %}"
_LAST_EN = "{% if last_event %}Latest: {{ last_event }}{% endif %}"

# The exception stage, by the alert kind that raised it (outbox rows' alert_kind): what the buyer needs to
# hear about each. A kind not listed (the carrier's own exception or lost status) takes the stage's text.
EXCEPTION_ZH: dict[str, StageText] = {
    "failed_attempt": StageText(
        "【{{ shop.name }}】包裹派送未成功",
        (
            _HI_ZH,
            "快递员派送您的包裹时未能成功投递，快递会再次派送，请保持电话畅通，也可联系快递预约时间。",
            _TRACK_ZH,
            _LAST_ZH,
        ),
        "{{ buyer.first_name }}您好，您的包裹派送未成功，快递将再次派送，请保持电话畅通。",
    ),
    "returned": StageText(
        "【{{ shop.name }}】您的包裹被退回",
        (
            _HI_ZH,
            "{% if exception_reason %}{{ exception_reason }}{% else %}您的包裹正在退回{% endif %}，"
            "{{ shop.name }}正在处理，会尽快与您联系重新发货或退款。",
            _TRACK_ZH,
        ),
        "{{ buyer.first_name }}您好，您的包裹被退回，{{ shop.name }}会尽快与您联系重新发货或退款。",
    ),
    "locker_waiting": StageText(
        "【{{ shop.name }}】您有包裹待取件",
        (
            _HI_ZH,
            "您的包裹已放入驿站/快递柜，等待您取件。请尽快取件，以免超时被退回。",
            _TRACK_ZH,
            _LAST_ZH,
        ),
        "{{ buyer.first_name }}您好，您的包裹已到驿站/快递柜待取件，请尽快取件，以免超时退回。",
    ),
    "stalled": StageText(
        "【{{ shop.name }}】包裹物流暂未更新，我们正在跟进",
        (_HI_ZH, "您的包裹物流信息暂时没有更新，我们已联系快递跟进，请您放心。", _TRACK_ZH, _LAST_ZH),
        "{{ buyer.first_name }}您好，您的包裹物流暂未更新，我们已联系快递跟进，请放心。",
    ),
    "probably_lost": StageText(
        "【{{ shop.name }}】包裹长时间无物流更新，我们正在核查",
        (
            _HI_ZH,
            "您的包裹已有多日没有物流更新，我们已请快递核查；如确认丢失，我们会为您补发或退款。",
            _TRACK_ZH,
        ),
        "{{ buyer.first_name }}您好，您的包裹多日无物流更新，我们正在核查，如确认丢失将为您补发或退款。",
    ),
    "delivery_late": StageText(
        "【{{ shop.name }}】包裹比预计晚到，我们正在跟进",
        (_HI_ZH, "您的包裹比平常的送达时间晚了，我们已联系快递加急处理，抱歉让您久等。", _TRACK_ZH, _LAST_ZH),
        "{{ buyer.first_name }}您好，您的包裹比预计晚到，我们已联系快递加急，抱歉让您久等。",
    ),
    "pickup_overdue": StageText(
        "【{{ shop.name }}】您的包裹正在等待快递揽收",
        (_HI_ZH, "您的订单已打包，正在等待快递上门揽收，我们已在催促快递，请您放心。", _TRACK_ZH),
        "{{ buyer.first_name }}您好，您的包裹已打包，正在等待快递揽收，我们已在催促。",
    ),
}
EXCEPTION_EN: dict[str, StageText] = {
    "failed_attempt": StageText(
        "[{{ shop.name }}] Delivery attempt failed",
        (
            _HI_EN,
            "The courier could not deliver your parcel. They will try again; please keep your phone on,"
            " or contact the carrier to arrange a time.",
            _TRACK_EN,
            _LAST_EN,
        ),
        "Hi {{ buyer.first_name }}, delivery of your parcel failed; the courier will try again.",
    ),
    "returned": StageText(
        "[{{ shop.name }}] Your parcel is being returned",
        (
            _HI_EN,
            "{% if exception_reason %}{{ exception_reason|capitalize }}{% else %}Your parcel is being"
            " returned{% endif %}. {{ shop.name }} will contact you soon to resend it or refund you.",
            _TRACK_EN,
        ),
        "Hi {{ buyer.first_name }}, your parcel is being returned; {{ shop.name }} will contact you soon.",
    ),
    "locker_waiting": StageText(
        "[{{ shop.name }}] Your parcel is waiting for pickup",
        (
            _HI_EN,
            "Your parcel is waiting at a parcel locker or pickup station. Please collect it soon,"
            " before it is sent back.",
            _TRACK_EN,
            _LAST_EN,
        ),
        "Hi {{ buyer.first_name }}, your parcel is waiting at a locker or station; please collect it soon.",
    ),
    "stalled": StageText(
        "[{{ shop.name }}] No tracking update yet; we are following up",
        (_HI_EN, "Your parcel's tracking has not moved for a while; we have asked the carrier.", _TRACK_EN),
        "Hi {{ buyer.first_name }}, your parcel's tracking has not moved; we are following up.",
    ),
    "probably_lost": StageText(
        "[{{ shop.name }}] We are checking on your parcel",
        (
            _HI_EN,
            "Your parcel has had no tracking update for days. We have asked the carrier to check;"
            " if it is lost we will resend it or refund you.",
            _TRACK_EN,
        ),
        "Hi {{ buyer.first_name }}, no tracking update for days; we are checking with the carrier.",
    ),
    "delivery_late": StageText(
        "[{{ shop.name }}] Your parcel is running late",
        (_HI_EN, "Your parcel is later than usual; we have asked the carrier to hurry.", _TRACK_EN, _LAST_EN),
        "Hi {{ buyer.first_name }}, your parcel is running late; we have asked the carrier to hurry.",
    ),
    "pickup_overdue": StageText(
        "[{{ shop.name }}] Your parcel is waiting for the carrier",
        (
            _HI_EN,
            "Your order is packed and waiting for the carrier to collect it; we are chasing them.",
            _TRACK_EN,
        ),
        "Hi {{ buyer.first_name }}, your parcel is packed and waiting for the carrier; we are chasing them.",
    ),
}

BY_LANGUAGE = {"zh-CN": ZH, "en": EN}
EXCEPTION_BY_LANGUAGE = {"zh-CN": EXCEPTION_ZH, "en": EXCEPTION_EN}

_P = tuple[tuple[str, str], ...]
_ORDER_PARAMS: _P = (("name", "{{ buyer.first_name }}"), ("order", "{{ order.order_no }}"))
_TRACK_PARAMS: _P = (
    ("name", "{{ buyer.first_name }}"),
    ("carrier", "{{ carrier.name }}"),
    ("no", "{{ tracking_no }}"),
)
DEFAULT_SMS_PARAMS: dict[Stage, _P] = {
    Stage.ORDER_ACCEPTED: _ORDER_PARAMS,
    Stage.ORDER_SHIPPED: (*_ORDER_PARAMS, ("carrier", "{{ carrier.name }}"), ("no", "{{ tracking_no }}")),
    Stage.PICKED_UP: _TRACK_PARAMS,
    Stage.IN_TRANSIT_LONG: _TRACK_PARAMS,
    Stage.OUT_FOR_DELIVERY: _TRACK_PARAMS,
    Stage.DELIVERED: _TRACK_PARAMS,
    Stage.EXCEPTION: _TRACK_PARAMS,
    Stage.CAMPAIGN: (("name", "{{ buyer.first_name }}"), ("coupon", "{{ coupon }}")),
}

_HTML_LAYOUT = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"></head>'
    '<body style="font-family:sans-serif;line-height:1.6">{body}'
    '<p style="color:#888;font-size:12px">{{{{ shop.name }}}}</p></body></html>'
)


def default_template(stage: Stage, fmt: TemplateFormat, language: str, variant: str = "") -> str:
    """The built-in template text for a stage, format and language (zh-CN or en); on the exception stage
    `variant` (the alert kind) picks the text written for it."""
    text = BY_LANGUAGE[language][stage]
    if stage is Stage.EXCEPTION and variant:
        text = EXCEPTION_BY_LANGUAGE[language].get(variant, text)
    if fmt is TemplateFormat.EMAIL_SUBJECT:
        return text.subject
    if fmt is TemplateFormat.EMAIL_HTML:
        body = "".join(f"<p>{line}</p>" for line in text.lines)
        return _HTML_LAYOUT.format(lang=language, body=body)
    if fmt is TemplateFormat.SMS:
        return text.sms
    return "\n".join(text.lines)  # EMAIL_TEXT and PLATFORM
