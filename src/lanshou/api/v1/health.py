"""GET /api/v1/health: public (for load balancers and monitors); says only whether the database answers."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lanshou.api.deps import EngineDep
from lanshou.api.errors import ApiError, ErrorBody

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


@router.get(
    "/health",
    response_model=Health,
    summary="Service health 服务状态",
    responses={503: {"model": ErrorBody, "description": "the database does not answer 数据库不可用"}},
)
def health(engine: EngineDep) -> Health:
    try:
        # one statement, outside a transaction: no BEGIN and ROLLBACK round trips for a monitor's poll
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise ApiError(503, "database_unavailable", "数据库不可用 the database does not answer") from None
    return Health(status="ok", database="ok")
