"""Transfer packages: export records as a zipped BagIt bag (SEDA 2.3 ArchiveTransfer), import one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from api.deps import current_principal, get_runtime
from dms import transfers
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.permissions import Action, require
from ingest.runtime import Runtime
from ingest.transfers import import_zipped_bag
from metadata import Organization

router = APIRouter(prefix="/transfers", tags=["transfers"])


class Agency(BaseModel):
    identifier: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] | None = Field(default=None, max_length=transfers.MAX_API_RECORDS)
    query: str | None = Field(default=None, max_length=1000)
    classification: str | None = Field(default=None, max_length=1000)
    archival_agency: Agency | None = None
    comment: str | None = Field(default=None, max_length=2000)


@router.post(
    "",
    summary="Export records as one SEDA 2.3 ArchiveTransfer in a BagIt bag, answered as a zip",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def export_transfer(
    request: TransferRequest,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> StreamingResponse:
    """Choose the records with exactly one of ``ids``, ``query`` or ``classification`` (at most 5,000).
    The bag is built (and checked) before the answer starts, then streamed as a zip and removed."""
    tenant_id = require(principal, Action.transfer_export)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        ids = transfers.select_records(
            session, runtime.backends.search, tenant_id, ids=request.ids, query=request.query,
            classification=request.classification, limit=transfers.MAX_API_RECORDS,
        )
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="transfer-", dir=spool))
    try:
        agency = request.archival_agency
        done = transfers.export_transfer(
            runtime.backends, tenant_id, principal.user_id, ids, work / "bag",
            archival_agency=Organization(agency.identifier, agency.name) if agency else None,
            comment=request.comment, schema_dir=runtime.settings.seda_schema_dir,
        )
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    name = f"transfer-{done.message_identifier}"

    def body() -> Iterator[bytes]:
        try:
            yield from transfers.zip_bag(done.path, top=name)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return StreamingResponse(
        body(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.zip"',
            "X-Transfer-Message-Identifier": done.message_identifier,
            "X-Transfer-Records": str(done.records),
            "X-Transfer-Files": str(done.files),
        },
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )


@router.post("/import", summary="Import a zipped transfer bag: new records in this commune's registers")
def import_transfer(
    file: UploadFile,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    require(principal, Action.transfer_import)
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=spool, prefix="import-", suffix=".zip") as tmp:
        shutil.copyfileobj(file.file, tmp, 1024 * 1024)
        tmp.flush()
        report = import_zipped_bag(runtime, principal, Path(tmp.name))
    return {
        "message_identifier": report.message_identifier,
        "imported": report.imported,
        "skipped": report.skipped,
        "failed": report.failed,
    }
