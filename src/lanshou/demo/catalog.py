"""The demo world as data: shops, products, geography, names, carriers. No logic beyond lookups."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DOUYIN_48H = (
    "配饰",
    "鲜花速递/花卉仿真/绿植园艺",
    "服饰配件",
    "潮品鞋服",
    "花卉/绿植盆栽",
    "定制珠宝文玩",
    "手表奢侈品",
)


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    title: str
    category: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the shop's parcels come from, at its warehouse (the origin's district): what its labels and
    waybill requests print, kept in the shop's settings ("sender") as a merchant sets their own. Invented
    people and numbers, in the form a real shop's would take (a landline with the city's area code)."""

    name: str
    phone: str
    street: str


@dataclass(frozen=True, slots=True)
class DemoShop:
    platform: str
    name: str
    weight: float  # share of all orders
    origin: tuple[str, str, str]  # warehouse province, city, district
    carriers: tuple[tuple[str, float], ...]  # (carrier code, weight)
    cutoff_hour: int  # local hour after which the day's carrier pickup is missed
    sunday_pickup: bool  # does the carrier collect on Sundays?
    promise_hours: int | None  # platform's promised ship time after payment (None: the pack default)
    presale_share: float
    products: tuple[Product, ...]
    sender: Sender
    timezone: str = "Asia/Shanghai"
    abroad: bool = False  # buyers outside China (AliExpress)

    @property
    def warehouse(self) -> str:
        """The code of the warehouse the shop ships from (its settings' "warehouse", its stock's)."""
        return "".join(self.origin[:2])

    def sender_settings(self) -> dict[str, str]:
        """The shop's settings "sender", in the form lanshou.shipping.config.sender_from reads."""
        province, city, district = self.origin
        return {
            "name": self.sender.name,
            "phone": self.sender.phone,
            "province": province,
            "city": city,
            "district": district,
            "address": self.sender.street,
            "company": self.name,
        }


def _p(sku: str, title: str, category: str, price: str) -> Product:
    return Product(sku, title, category, Decimal(price))


SHOPS: tuple[DemoShop, ...] = (
    DemoShop(
        "tmall",
        "蓝山美妆旗舰店",
        0.24,
        ("浙江省", "杭州市", "余杭区"),
        (("zto", 0.45), ("yto", 0.3), ("sf", 0.25)),
        16,
        True,
        48,
        0.06,
        (
            _p("LS-SERUM-30", "蓝山 玻尿酸精华液 30ml", "美妆", "129.00"),
            _p("LS-CREAM-50", "蓝山 修护面霜 50g", "美妆", "159.00"),
            _p("LS-MASK-10", "蓝山 补水面膜 10片装", "美妆", "69.90"),
            _p("LS-LIP-03", "蓝山 丝绒口红 #03", "美妆", "89.00"),
            _p("LS-SUN-50", "蓝山 清透防晒乳 SPF50", "美妆", "99.00"),
            _p("LS-CLEAN-120", "蓝山 氨基酸洁面 120g", "个护", "59.00"),
            _p("LS-SHAMPOO-500", "蓝山 无硅油洗发水 500ml", "个护", "79.00"),
            _p("LS-GIFT-SET", "蓝山 护肤礼盒套装", "美妆", "399.00"),
        ),
        Sender("周敏", "0571-88613725", "仓前街道文一西路1218号 蓝山电商仓2号库"),
    ),
    DemoShop(
        "taobao",
        "小林家居杂货铺",
        0.15,
        ("浙江省", "金华市", "义乌市"),
        (("yunda", 0.45), ("sto", 0.35), ("zto", 0.2)),
        17,
        False,
        48,
        0.04,
        (
            _p("XL-CUP-500", "304不锈钢保温杯 500ml", "家居", "39.90"),
            _p("XL-BOX-3", "桌面收纳盒 三件套", "家居", "29.90"),
            _p("XL-TOWEL-2", "纯棉毛巾 2条装", "家居", "25.80"),
            _p("XL-HOOK-10", "免打孔挂钩 10只", "家居", "9.90"),
            _p("XL-LAMP-01", "LED护眼台灯", "家居", "89.00"),
            _p("XL-MAT-60", "硅藻泥浴室地垫 60cm", "家居", "35.00"),
            _p("XL-RACK-01", "厨房调料置物架", "家居", "49.90"),
            _p("XL-BAG-50", "加厚垃圾袋 50只", "家居", "12.90"),
        ),
        Sender("林小军", "0579-85127436", "福田街道宗泽北路366号 小林家居仓"),
    ),
    DemoShop(
        "douyin",
        "花语小铺抖音店",
        0.12,
        ("云南省", "昆明市", "呈贡区"),
        (("sf", 0.5), ("yto", 0.3), ("ems", 0.2)),
        15,
        True,
        48,
        0.08,
        (
            _p("HY-ROSE-11", "云南鲜花 红玫瑰 11枝", "鲜花速递/花卉仿真/绿植园艺", "69.00"),
            _p("HY-LILY-5", "香水百合 5枝 鲜切花", "鲜花速递/花卉仿真/绿植园艺", "59.00"),
            _p("HY-SUCC-6", "多肉植物 组合盆栽 6棵", "花卉/绿植盆栽", "39.90"),
            _p("HY-MONEY-01", "发财树 办公室绿植", "花卉/绿植盆栽", "129.00"),
            _p("HY-SILK-01", "仿真花 客厅摆件", "鲜花速递/花卉仿真/绿植园艺", "45.00"),
            _p("HY-VASE-01", "北欧玻璃花瓶", "家居", "35.90"),
            _p("HY-SOIL-5L", "营养土 5L", "家居", "15.90"),
            _p("HY-TEA-250", "云南滇红茶 250g", "食品", "88.00"),
        ),
        Sender("杨丽华", "0871-67452918", "斗南街道花卉市场B区12号 花语小铺发货部"),
    ),
    DemoShop(
        "douyin",
        "潮玩配饰抖音旗舰店",
        0.15,
        ("广东省", "广州市", "白云区"),
        (("zto", 0.4), ("yto", 0.35), ("yunda", 0.25)),
        16,
        True,
        48,
        0.07,
        (
            _p("CW-NECK-01", "钛钢锁骨链 女款", "配饰", "59.00"),
            _p("CW-EAR-02", "珍珠耳钉 一对", "配饰", "39.00"),
            _p("CW-BELT-01", "真皮腰带 男士", "服饰配件", "129.00"),
            _p("CW-CAP-01", "潮牌棒球帽", "服饰配件", "69.00"),
            _p("CW-SNEAK-42", "潮流老爹鞋", "潮品鞋服", "299.00"),
            _p("CW-HOOD-L", "重磅连帽卫衣", "潮品鞋服", "189.00"),
            _p("CW-JADE-01", "和田玉手串 定制刻字", "定制珠宝文玩", "399.00"),
            _p("CW-WATCH-01", "机械腕表 复古款", "手表奢侈品", "1299.00"),
            _p("CW-LIP-01", "哑光唇釉", "美妆", "49.00"),
            _p("CW-EARBUD-01", "蓝牙耳机 半入耳", "数码", "159.00"),
        ),
        Sender("陈志强", "020-36283154", "石井街道石沙路128号 潮玩配饰仓"),
    ),
    DemoShop(
        "pdd",
        "鲜果食品拼多多店",
        0.18,
        ("山东省", "临沂市", "兰山区"),
        (("yunda", 0.4), ("sto", 0.35), ("yto", 0.25)),
        14,
        False,
        None,
        0.0,
        (
            _p("XG-APPLE-5", "烟台红富士苹果 5斤", "食品", "29.90"),
            _p("XG-NUT-500", "每日坚果 500g", "食品", "45.90"),
            _p("XG-JERKY-200", "手撕牛肉干 200g", "食品", "39.90"),
            _p("XG-NOODLE-10", "螺蛳粉 10袋", "食品", "59.90"),
            _p("XG-DATE-1KG", "新疆红枣 1kg", "食品", "35.00"),
            _p("XG-HONEY-500", "土蜂蜜 500g", "食品", "49.00"),
            _p("XG-SNACK-BOX", "零食大礼包", "食品", "68.00"),
            _p("XG-PEAR-5", "砀山酥梨 5斤", "食品", "24.90"),
        ),
        Sender("王建国", "0539-81256734", "义堂镇物流大道66号 鲜果冷链仓"),
    ),
    DemoShop(
        "jd",
        "京选数码专营店",
        0.11,
        ("广东省", "深圳市", "龙华区"),
        (("jd", 0.8), ("sf", 0.2)),
        18,
        True,
        24,
        0.0,
        (
            _p("JX-CABLE-C", "Type-C 快充数据线 2m", "数码", "29.90"),
            _p("JX-PB-20K", "20000mAh 充电宝", "数码", "139.00"),
            _p("JX-MOUSE-01", "无线静音鼠标", "数码", "69.00"),
            _p("JX-KB-87", "87键机械键盘", "数码", "259.00"),
            _p("JX-HUB-7", "USB-C 七合一扩展坞", "数码", "189.00"),
            _p("JX-BUDS-02", "主动降噪蓝牙耳机", "数码", "399.00"),
            _p("JX-WATCH-01", "智能运动手环", "数码", "229.00"),
            _p("JX-CHARGER-65", "65W 氮化镓充电器", "数码", "119.00"),
        ),
        Sender("刘洋", "0755-23456718", "观湖街道环观南路39号 京选数码仓"),
    ),
    DemoShop(
        "aliexpress",
        "Lanshou Global Store",
        0.05,
        ("广东省", "深圳市", "宝安区"),
        (("cainiao", 0.7), ("ems", 0.3)),
        17,
        True,
        72,
        0.0,
        (
            _p("AE-CASE-01", "Phone case shockproof", "数码", "6.99"),
            _p("AE-RING-01", "Stainless steel ring", "配饰", "4.50"),
            _p("AE-LED-5M", "LED strip 5m RGB", "家居", "12.80"),
            _p("AE-EARBUD-01", "TWS wireless earbuds", "数码", "15.99"),
            _p("AE-WATCH-01", "Smart watch sport", "数码", "24.90"),
            _p("AE-HAIR-01", "Hair clips set", "配饰", "3.20"),
            _p("AE-BAG-01", "Crossbody bag", "服饰配件", "18.50"),
            _p("AE-CABLE-01", "USB C cable 1m", "数码", "2.99"),
        ),
        Sender("黄海", "0755-27891346", "福永街道凤凰第一工业区A栋3楼 跨境发货仓"),
        abroad=True,
    ),
)

CARRIER_NAMES = {
    "zto": "中通快递",
    "yto": "圆通速递",
    "sto": "申通快递",
    "yunda": "韵达快递",
    "sf": "顺丰速运",
    "jd": "京东物流",
    "ems": "中国邮政EMS",
    "cainiao": "菜鸟无忧物流",
}
# Transit speed relative to an average domestic express carrier.
CARRIER_SPEED = {
    "zto": 1.0,
    "yto": 1.0,
    "sto": 1.1,
    "yunda": 1.05,
    "sf": 0.65,
    "jd": 0.7,
    "ems": 1.3,
    "cainiao": 1.0,
}
TRACKING_PREFIX = {
    "zto": "78",
    "yto": "YT",
    "sto": "77",
    "yunda": "43",
    "sf": "SF",
    "jd": "JDVA",
    "ems": "98",
    "cainiao": "LP00",
}
# Numbers of the demo's waybill pools (lanshou.demo.fulfilment), as each carrier prints them: a prefix, then
# digits (ZTO 14 digits from 73, YTO YT + 13, SF SF + 13, EMS 13 from 11 …). Never a history number above
# (prefix, a 4-digit outlet, 10 digits: longer), so a demo order shipped now never takes a stored parcel's.
POOL_FORM = {
    "zto": ("73", 12),
    "yto": ("YT", 13),
    "sto": ("77", 11),
    "yunda": ("43", 11),
    "sf": ("SF", 13),
    "jd": ("JDVA", 11),
    "ems": ("11", 11),
    "cainiao": ("LP00", 12),
}
KUAIDI100_CARRIERS = frozenset({"sf", "jd"})  # these send Kuaidi100 numeric codes; the others Chinese words

# province -> (region, weight, ((city, (districts...)), ...))
LATIN_FIRST = (
    "Ivan",
    "Olga",
    "Maria",
    "Carlos",
    "Lucas",
    "Anna",
    "Pierre",
    "Sofia",
    "John",
    "Minji",
    "Noa",
    "Piotr",
)
LATIN_LAST = ("Petrov", "Garcia", "Silva", "Martin", "Kowalski", "Smith", "Kim", "Cohen", "Ivanova", "Lopez")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云"
    "莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖"
    "露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘"
    "育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅剑娇纪宽苛灵玛媚"
    "琪晴容睿烁堂唯威韦雯苇萱阅彦宇雨洋忠宗曼紫逸贤蝶菡绿蓝儿翠烟"
)
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)
BUYER_MESSAGES = (
    "",
    "",
    "",
    "",
    "",
    "",
    "请尽快发货",
    "麻烦包装好一点",
    "不要放驿站",
    "送人的，不要放价格单",
    "周末不在家，放快递柜",
    "可以发顺丰吗",
    "急用，谢谢",
)

COURIER_NAMES = ("王师傅", "李师傅", "张师傅", "刘师傅", "陈师傅", "赵师傅", "周师傅")

HOLD_REASONS = (
    "收货地址疑似不完整，人工审核",
    "大额订单风控审核",
    "买家留言要求修改收货地址，待确认",
    "同一收货人短时间内多笔订单，疑似刷单，人工审核",
)
OUT_OF_STOCK_REASON = "SKU {sku} 库存不足，等待补货后发货"
