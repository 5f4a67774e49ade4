"""GET /api/v1/me: who the token belongs to, what the role may do, which shops it sees."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from lanshou.accounts.roles import ROLE_LABELS, ROLE_PERMISSIONS
from lanshou.accounts.service import shops_for
from lanshou.api.deps import ApiUser, EngineDep
from lanshou.api.v1.shops import ShopOut

router = APIRouter(tags=["accounts"])


class Me(BaseModel):
    name: str
    role: str
    role_label: str  # 中文 English
    permissions: list[str]
    all_shops: bool
    shops: list[ShopOut]


@router.get("/me", response_model=Me, summary="The caller 当前用户")
def me(user: ApiUser, engine: EngineDep) -> Me:
    zh, en = ROLE_LABELS[user.role]
    return Me(
        name=user.name,
        role=user.role.value,
        role_label=f"{zh} {en}",
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[user.role]),
        all_shops=user.all_shops,
        shops=[ShopOut.of(shop) for shop in shops_for(engine, user)],
    )
