"""The rule language, checked while a rule is typed (规则校验): condition and action in, where and why
it is wrong out — the same answer the rule editor page shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from lanshou.accounts.model import User
from lanshou.accounts.roles import Permission
from lanshou.api.deps import NO_NUL, require
from lanshou.api.errors import BODY_RESPONSES
from lanshou.rules.store import SCOPES

router = APIRouter(tags=["rules"])

# the roles that review orders are the ones that write review rules
RuleUser = Annotated[User, Depends(require(Permission.ORDERS_REVIEW))]


class RuleDraft(BaseModel):
    condition: str = Field(max_length=5000, pattern=NO_NUL, description="CEL condition, e.g. amount > 2000.0")
    action: str = Field(max_length=500, pattern=NO_NUL, description="accept, hold:原因, tag:名, carrier:sf …")
    scope: str | None = Field(
        None, description="check the action against a scope too", json_schema_extra={"enum": list(SCOPES)}
    )


class RuleCheck(BaseModel):
    ok: bool
    field: str | None = Field(description="condition, action or scope: the part that is wrong")
    line: int | None = Field(description="1-based line of the problem in the condition, when known")
    column: int | None = Field(description="1-based column, when known")
    reason: str


@router.post("/rules/validate", summary="Check a rule as it is typed 规则校验", responses=BODY_RESPONSES)
def validate(body: RuleDraft, user: RuleUser) -> RuleCheck:
    from lanshou.rules.validation import validate_rule

    return RuleCheck(**validate_rule(body.condition, body.action, body.scope))
