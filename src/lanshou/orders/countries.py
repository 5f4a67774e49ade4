"""An order's destination country as carrier price tables and rules key it: the ISO 3166-1 alpha-2 code.

Cross-border exports write the country as a code (US), an English name (United States) or a Chinese one
(美国). `country_code` gives the code for the ones it knows and keeps any other text as it was written (a
price table can still name it); "" stays "" (the order's destination is the shop's home country).
"""

from __future__ import annotations

HOME = "CN"

# the destinations cross-border shops ship to most, by the names exports use for them
_NAMES: dict[str, str] = {
    "中国": "CN", "china": "CN", "中国大陆": "CN",
    "美国": "US", "united states": "US", "united states of america": "US", "usa": "US",
    "英国": "GB", "united kingdom": "GB", "uk": "GB", "great britain": "GB",
    "西班牙": "ES", "spain": "ES",
    "法国": "FR", "france": "FR",
    "德国": "DE", "germany": "DE",
    "意大利": "IT", "italy": "IT",
    "荷兰": "NL", "netherlands": "NL",
    "比利时": "BE", "belgium": "BE",
    "波兰": "PL", "poland": "PL",
    "葡萄牙": "PT", "portugal": "PT",
    "瑞典": "SE", "sweden": "SE",
    "捷克": "CZ", "czech republic": "CZ", "czechia": "CZ",
    "俄罗斯": "RU", "russia": "RU", "russian federation": "RU",
    "乌克兰": "UA", "ukraine": "UA",
    "土耳其": "TR", "turkey": "TR", "türkiye": "TR",
    "以色列": "IL", "israel": "IL",
    "沙特阿拉伯": "SA", "saudi arabia": "SA",
    "阿联酋": "AE", "united arab emirates": "AE",
    "巴西": "BR", "brazil": "BR",
    "墨西哥": "MX", "mexico": "MX",
    "智利": "CL", "chile": "CL",
    "哥伦比亚": "CO", "colombia": "CO",
    "秘鲁": "PE", "peru": "PE",
    "阿根廷": "AR", "argentina": "AR",
    "加拿大": "CA", "canada": "CA",
    "澳大利亚": "AU", "australia": "AU",
    "新西兰": "NZ", "new zealand": "NZ",
    "日本": "JP", "japan": "JP",
    "韩国": "KR", "south korea": "KR", "korea": "KR", "republic of korea": "KR",
    "新加坡": "SG", "singapore": "SG",
    "马来西亚": "MY", "malaysia": "MY",
    "泰国": "TH", "thailand": "TH",
    "越南": "VN", "vietnam": "VN", "viet nam": "VN",
    "菲律宾": "PH", "philippines": "PH",
    "印度尼西亚": "ID", "indonesia": "ID",
    "印度": "IN", "india": "IN",
    "南非": "ZA", "south africa": "ZA",
    "香港": "HK", "中国香港": "HK", "hong kong": "HK",
    "澳门": "MO", "中国澳门": "MO", "macau": "MO", "macao": "MO",
    "台湾": "TW", "中国台湾": "TW", "taiwan": "TW",
}  # fmt: skip


def country_code(text: str) -> str:
    """The ISO code of a country as an export writes it; unknown names are kept as written (trimmed)."""
    value = text.strip()
    if not value:
        return ""
    if len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return _NAMES.get(value.lower(), value)


def destination_country(platform: str, country: str) -> str:
    """Where the order goes: its own country when the file gave one, else home (CN) for the domestic
    platforms and "" (unknown) for cross-border ones (AliExpress)."""
    if country:
        return country
    return "" if platform == "aliexpress" else HOME
