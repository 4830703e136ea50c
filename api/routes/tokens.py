"""API tokens: a user lists, creates and revokes their own; a tenant admin those of their tenant's users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import tokens
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.permissions import Action, require_scope
from ingest.runtime import Runtime

router = APIRouter(prefix="/tokens", tags=["tokens"])


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field("", max_length=tokens.MAX_LABEL)
    expires_in_days: int = Field(
        tokens.DEFAULT_LIFETIME.days, ge=1, le=tokens.MAX_API_LIFETIME.days,
        description="the token stops working after this many days (a token that never expires: `dms token create`)",
    )


@router.get("", summary="The caller's API tokens (an admin: ?user=EMAIL of their tenant), never their values")
def list_tokens(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    user: Annotated[str | None, Query(max_length=254, description="another user's e-mail (tenant admin)")] = None,
) -> dict:
    require_scope(principal, Action.token_own)
    rows = tokens.list_tokens(session, user or principal.email, actor=principal)
    return {"tokens": [tokens.to_dict(row) for row in rows]}


@router.post("", status_code=201, summary="A new token for the caller: its value is in this answer only")
def create_token(
    body: NewToken,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    require_scope(principal, Action.token_own)
    lifetime = tokens.parse_lifetime(f"{body.expires_in_days}d")
    with unit_of_work(runtime.backends.engine) as session:
        issued = tokens.issue(session, principal.email, label=body.label, lifetime=lifetime, actor=principal)
    return tokens.to_dict(issued.row) | {"token": issued.token}


@router.delete("/{token_id}", summary="Revoke a token (the caller's own, or a tenant admin: a user's of the tenant)")
def revoke_token(
    token_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    require_scope(principal, Action.token_own)
    with unit_of_work(runtime.backends.engine) as session:
        return tokens.to_dict(tokens.revoke(session, token_id, actor=principal))
