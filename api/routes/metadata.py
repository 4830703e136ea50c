"""A record's archival metadata: the current SEDA 2.3 document, older versions, Dublin Core, diffs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response
from sqlmodel import Session

from api.deps import MAX_INT_ID, current_principal, get_runtime, read_session
from dms import access_log, record_metadata, records
from dms.accounts import Principal
from dms.permissions import Action, require
from ingest.runtime import Runtime

router = APIRouter(prefix="/records", tags=["metadata"])

XML = "application/xml"


@router.get(
    "/{record_id}/metadata.xml",
    summary="The record's metadata: SEDA 2.3 (current or ?version=N) or its Dublin Core crosswalk (?format=dc)",
    response_class=Response,
    responses={200: {"content": {XML: {}}}},
)
def metadata_xml(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    version: Annotated[int | None, Query(ge=1, le=MAX_INT_ID)] = None,
    format: Annotated[Literal["seda", "dc"], Query()] = "seda",  # noqa: A002 (the query parameter's name)
) -> Response:
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id, viewer=principal)
    row = record_metadata.get_version(session, record, version)
    access_log.log(runtime.backends.engine, principal, tenant_id, access_log.METADATA_READ, record_id=record.id,
                   detail={"version": row.version, "format": format})
    body = record_metadata.dublin_core(row) if format == "dc" else row.xml.encode("utf-8")
    suffix = "-dc" if format == "dc" else ""
    name = f"{record.reference.replace('/', '-')}-v{row.version}{suffix}.xml"
    return Response(
        body,
        media_type=XML,
        headers={
            "ETag": f'"{row.sha256}{suffix}"',
            "X-Metadata-Version": str(row.version),
            "Content-Disposition": f'inline; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/{record_id}/metadata", summary="The versions of the record's metadata, oldest first")
def metadata_versions(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id, viewer=principal)
    rows = record_metadata.versions(session, record)
    return {
        "record_id": record.id,
        "reference": record.reference,
        "current": rows[-1].version if rows else None,
        "versions": [record_metadata.version_to_dict(r) for r in rows],
    }


@router.get(
    "/{record_id}/metadata/diff",
    summary="What changed between two metadata versions: changed fields (JSON) or a unified XML diff",
    responses={200: {"content": {"application/json": {}, "text/plain": {}}}},
)
def metadata_diff(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_INT_ID)],
    to_version: Annotated[int | None, Query(alias="to", ge=1, le=MAX_INT_ID)] = None,
    format: Annotated[Literal["json", "unified"], Query()] = "json",  # noqa: A002
):
    """``to`` defaults to the current version. ``format=unified`` answers a unified diff of the two XML
    documents (text/plain); the default JSON lists each changed field with its old and new value."""
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id, viewer=principal)
    to = to_version or record_metadata.get_version(session, record).version
    access_log.log(runtime.backends.engine, principal, tenant_id, access_log.METADATA_READ, record_id=record.id,
                   detail={"diff": [from_version, to], "format": format})
    if format == "unified":
        return PlainTextResponse(record_metadata.unified_diff(session, record, from_version, to))
    return record_metadata.diff(session, record, from_version, to)
