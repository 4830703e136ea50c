"""Barcode sheets to print for the scanner (docs/intake.md): the separator sheet, and a record's re-scan sheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlmodel import Session

from api.deps import current_principal, read_session
from dms.accounts import Principal
from dms.permissions import Action, require
from ingest import barcodes, scan_batches

router = APIRouter(tags=["intake"])
PDF = {200: {"content": {"application/pdf": {}}}}


def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/barcodes/separator.pdf", summary="The separator sheet (DMS-SEPARATOR) to put between documents",
            response_class=Response, responses=PDF)
def separator_sheet(principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    require(principal, Action.record_create)
    return _pdf(barcodes.separator_sheet_pdf(), "separateur.pdf")


@router.get("/records/{record_id}/scan-sheet.pdf", summary="The cover sheet that links a re-scan to this record",
            response_class=Response, responses=PDF)
def record_scan_sheet(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    name, pdf = scan_batches.scan_sheet(session, principal, record_id)
    return _pdf(pdf, name)
