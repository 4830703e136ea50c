from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from api.deps import MAX_INT_ID, current_principal, get_runtime, read_session
from dms import jobs
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import NotFound
from dms.permissions import Action, require
from ingest.runtime import Runtime

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", summary="Background jobs of the tenant (dead letters with their error)")
def list_jobs(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    status: Annotated[Literal["queued", "running", "done", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    tenant_id = require(principal, Action.jobs_manage)
    rows = jobs.list_jobs(session, tenant_id=tenant_id, status=status, limit=limit)
    return {"jobs": [jobs.to_dict(job) for job in rows]}


@router.post("/{job_id}/retry", summary="Queue a dead job again")
def retry_job(
    job_id: Annotated[int, Path(ge=1, le=MAX_INT_ID)],
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.jobs_manage)
    with unit_of_work(runtime.backends.engine) as session:
        if not jobs.retry(session, job_id, tenant_id=tenant_id):
            raise NotFound("no such dead job")
    return {"id": job_id, "status": "queued"}
