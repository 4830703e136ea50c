"""The mail registers: the daily register ("registre du courrier") exported as CSV or PDF."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import Session

from api.deps import current_principal, read_session
from dms import register_export
from dms.accounts import Principal

router = APIRouter(prefix="/registers", tags=["registers"])


class RegisterName(StrEnum):
    incoming = "incoming"
    outgoing = "outgoing"
    internal = "internal"


class ExportFormat(StrEnum):
    csv = "csv"
    pdf = "pdf"


@router.get(
    "/{register}/export",
    summary="The register of a period (by date of registration), as CSV (UTF-8 with BOM, ';') or PDF",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
def export(
    register: RegisterName,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    start: Annotated[str, Query(alias="from", description="first day, YYYY-MM-DD", max_length=10)],
    end: Annotated[str, Query(alias="to", description="last day (inclusive), YYYY-MM-DD", max_length=10)],
    format: Annotated[ExportFormat, Query()] = ExportFormat.csv,  # noqa: A002 (the API's parameter name)
) -> Response:
    done = register_export.export_register(session, principal, register.value, start, end, format.value)
    return Response(
        done.content,
        media_type=done.media_type,
        headers={"Content-Disposition": f'attachment; filename="{done.filename}"', "X-Register-Lines": str(done.lines)},
    )
