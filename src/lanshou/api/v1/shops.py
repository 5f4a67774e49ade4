"""GET /api/v1/shops: the caller's shops (all of them fit one page)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from lanshou.accounts.model import ShopRef
from lanshou.api.deps import Scope
from lanshou.api.pagination import Page

router = APIRouter(tags=["shops"])


class ShopOut(BaseModel):
    id: int
    platform: str
    name: str
    timezone: str

    @classmethod
    def of(cls, shop: ShopRef) -> ShopOut:
        return cls(id=shop.id, platform=shop.platform, name=shop.name, timezone=shop.timezone)


@router.get("/shops", response_model=Page[ShopOut], summary="Your shops 我的店铺")
def list_shops(scope: Scope) -> Page[ShopOut]:
    return Page[ShopOut](items=[ShopOut.of(shop) for shop in scope.selected], next=None)
