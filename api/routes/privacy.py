"""Personal data accounted for: who read a record (the access log), and a contact's subject access export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from sqlmodel import Session
from starlette.background import BackgroundTask

from api.deps import MAX_INT_ID, current_principal, get_runtime, read_session
from dms import access_log, records, subject_access
from dms.accounts import Principal
from dms.permissions import Action, require
from ingest.runtime import Runtime

router = APIRouter(tags=["privacy"])


@router.get("/records/{record_id}/access-log", summary="Who read this record, its metadata or files, and when "
            "(tenant admin), newest first")
def record_access_log(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    limit: Annotated[int, Query(ge=1, le=access_log.MAX_LIST)] = 100,
    before: Annotated[int | None, Query(ge=1, le=MAX_INT_ID, description="an event id: the page before it")] = None,
) -> dict:
    tenant_id = require(principal, Action.access_log_read)
    record = records.get(session, tenant_id, record_id)
    rows = access_log.for_record(session, tenant_id, record.id, limit=limit, before=before)
    return {"record_id": record.id, "reference": record.reference, "events": [access_log.to_dict(r) for r in rows]}


@router.get(
    "/contacts/{contact_id}/subject-access",
    summary="GDPR art. 15: a zip of every record that mentions this contact, with its metadata (tenant admin)",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def contact_subject_access(
    contact_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    files: Annotated[bool, Query(description="include the records' files")] = False,
) -> FileResponse:
    tenant_id = require(principal, Action.subject_access)
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=spool, prefix="subject-access-", suffix=".zip", delete=False) as tmp:
        path = Path(tmp.name)
    try:
        done = subject_access.export(runtime.backends, principal, tenant_id, contact_id, path, include_files=files)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"acces-personne-{done.contact_id}.zip",
        headers={"X-Subject-Access-Records": str(done.records), "X-Content-Type-Options": "nosniff"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
