"""The marketplaces Lanshou knows, found by looking: each sub-package of `lanshou.platforms` is one.

A marketplace package declares itself with `marketplace(code, name_zh, name_en)` in its `__init__.py` (its
names are what pages show) and keeps beside it what only it knows: its export readers (registered as
`--format` names), `headers.toml` (its header map) and `pack.toml` (its metric rule pack). Adding a
marketplace is adding a package: the platform list, the `--format` help and the rule packs all derive from
what is registered here.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from importlib import resources

import lanshou.platforms as _package


@dataclass(frozen=True)
class Marketplace:
    code: str  # as stored in orders and shops, e.g. "taobao"
    name_zh: str  # shown to people, e.g. "淘宝"
    name_en: str  # e.g. "Taobao"


_MARKETPLACES: dict[str, Marketplace] = {}


def marketplace(code: str, name_zh: str, name_en: str) -> Marketplace:
    """Declare a marketplace (called once, from its package's __init__)."""
    found = _MARKETPLACES.setdefault(code, Marketplace(code, name_zh, name_en))
    return found


@cache
def load_platforms() -> None:
    """Import every platform package once, so each registers itself and its file formats."""
    for info in pkgutil.iter_modules(_package.__path__):
        if info.ispkg:
            importlib.import_module(f"{_package.__name__}.{info.name}")


def marketplaces() -> dict[str, Marketplace]:
    load_platforms()
    return dict(sorted(_MARKETPLACES.items()))


def is_platform_code(code: str) -> bool:
    """`code in platform_codes()` without building the sorted list: the generic reader asks per order."""
    load_platforms()
    return code in _MARKETPLACES


def find_marketplace(code: str) -> Marketplace | None:
    load_platforms()
    return _MARKETPLACES.get(code)


def platform_codes() -> tuple[str, ...]:
    return tuple(marketplaces())


def resource_text(code: str, name: str) -> str:
    """A data file kept in the marketplace's package (e.g. "pack.toml"); LookupError when it has none."""
    if code not in marketplaces():
        raise LookupError(f"unknown platform {code!r} (known: {', '.join(platform_codes())})")
    try:
        return resources.files(f"{_package.__name__}.{code}").joinpath(name).read_text("utf-8")
    except FileNotFoundError:
        raise LookupError(f"platform {code!r} has no {name}") from None
