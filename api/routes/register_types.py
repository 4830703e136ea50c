"""The file types each register accepts (per tenant): read by its users, set by its admin."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import register_types
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.models import RegisterKind
from dms.permissions import Action, require
from ingest.detect import ALLOWED_MIME_TYPES
from ingest.runtime import Runtime

router = APIRouter(prefix="/register-settings", tags=["registers"])


class RegisterName(StrEnum):
    incoming = "incoming"
    outgoing = "outgoing"
    internal = "internal"


class MimeTypes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mime_types: list[str] | None = Field(
        ..., max_length=register_types.MAX_TYPES,
        description="the types this register accepts (detected from the bytes), or null: every type intake accepts",
    )


@router.get("/mime-types", summary="The file types each register accepts (null: every type intake accepts)")
def list_mime_types(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.record_read)
    return {"registers": register_types.all_types(session, tenant_id), "accepted": sorted(ALLOWED_MIME_TYPES)}


@router.put("/{register}/mime-types", summary="Narrow the file types a register accepts, or null to reset (admin)")
def set_mime_types(
    register: RegisterName,
    body: MimeTypes,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        types = register_types.set_types(session, tenant_id, principal.user_id, RegisterKind.parse(register.value),
                                         body.mime_types, accepted=ALLOWED_MIME_TYPES)
    return {"register": register.value, "mime_types": types}
