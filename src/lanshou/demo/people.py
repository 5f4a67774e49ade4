"""Demo buyers: a deterministic identity per (platform, buyer number), so repeat buyers look the same."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

from lanshou.demo import catalog as c
from lanshou.demo import geography as g

_PROVINCES = tuple(g.PROVINCES)
_PROVINCE_CUM = tuple(accumulate(v[1] for v in g.PROVINCES.values()))
_ABROAD_CUM = tuple(accumulate(w for _, _, w in g.ABROAD))
_KEY_PREFIX = {"taobao": "tb", "tmall": "tb", "douyin": "dy", "pdd": "pdd", "jd": "jd", "aliexpress": "ae"}


@dataclass(frozen=True, slots=True)
class Buyer:
    key: str
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str

    def full_address(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.district, self.address) if p)


def buyer(seed: int, platform: str, number: int, abroad: bool = False) -> Buyer:
    """The same (seed, platform, number) always gives the same person."""
    rng = random.Random(seed * 1_000_003 + number * 31 + sum(map(ord, platform)))
    key = f"{_KEY_PREFIX.get(platform, platform)}_{number:08d}{rng.randrange(100):02d}"
    if abroad:
        return _abroad_buyer(rng, key)
    name = rng.choice(c.SURNAMES) + "".join(rng.choice(c.GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    phone = rng.choice(c.PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
    province = rng.choices(_PROVINCES, cum_weights=_PROVINCE_CUM)[0]
    city, districts = rng.choice(g.PROVINCES[province][2])
    district = rng.choice(districts)
    address = (
        f"{rng.choice(g.STREETS)}{rng.randint(1, 999)}号{rng.choice(g.COMMUNITIES)}"
        f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
    )
    return Buyer(key, name, phone, province, city, district, address)


def _abroad_buyer(rng: random.Random, key: str) -> Buyer:
    country, city, _ = rng.choices(g.ABROAD, cum_weights=_ABROAD_CUM)[0]
    name = f"{rng.choice(c.LATIN_FIRST)} {rng.choice(c.LATIN_LAST)}"
    phone = f"+{rng.randint(1, 99)} {rng.randrange(10**9):09d}"
    street = rng.choice(("Main St", "Oak Ave", "Lenina ul.", "Calle Mayor", "Rue Verte"))
    address = f"{rng.randint(1, 200)} {street}"
    return Buyer(key, name, phone, country, city, "", address)
