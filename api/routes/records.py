from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import records
from dms.accounts import Principal
from dms.blobs import BlobNotFound, BlobUnavailable
from dms.errors import BackendUnavailable, BadInput, NotFound
from dms.models import RegisterKind
from dms.permissions import Action, require
from ingest.pipeline import Intake, ingest_file
from ingest.runtime import Runtime

router = APIRouter(prefix="/records", tags=["records"])


@router.post("", status_code=201, summary="Register a document: upload, extract, number, index")
def create_record(
    file: UploadFile,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    register_name: Annotated[str, Form(alias="register", pattern="^(incoming|outgoing|internal|E|S|I)$")] = "incoming",
    subject: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=20000)] = "",
    language: Annotated[str, Form(pattern="^(fr|nl|de|en)$")] = "fr",
    received_at: Annotated[datetime | None, Form()] = None,
    allow_duplicate: Annotated[bool, Form()] = False,
) -> dict:
    require(principal, Action.record_create)
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=spool, prefix="upload-") as tmp:
        shutil.copyfileobj(file.file, tmp, 1024 * 1024)
        tmp.flush()
        intake = Intake(
            original_name=file.filename or "document",
            register=RegisterKind.parse(register_name),
            subject=subject,
            description=description,
            language=language,
            received_at=received_at,
            allow_duplicate=allow_duplicate,
        )
        registered = ingest_file(runtime, principal, _path(tmp.name), intake)
    return records.to_dict(registered.record, registered.files)


@router.get("/{record_id}", summary="One record with its files")
def get_record(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id)
    return records.to_dict(record, records.files_of(session, record))


@router.get("/{record_id}/files/{file_id}", summary="The bytes of one file, streamed",
            response_class=StreamingResponse)
def download_file(
    record_id: str,
    file_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> StreamingResponse:
    tenant_id = require(principal, Action.record_read)
    row = records.get_file(session, tenant_id, record_id, file_id)
    try:
        chunks = runtime.backends.blobs.open(row.blob_key)
    except BlobNotFound as exc:
        raise NotFound("file content is missing from the store") from exc
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
    return StreamingResponse(
        chunks,
        media_type=row.mime,
        headers={
            "Content-Length": str(row.size),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.original_name)}",
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{row.sha256}"',
        },
    )


def _path(name: str):
    from pathlib import Path

    path = Path(name)
    if not path.is_file():
        raise BadInput("upload could not be spooled")
    return path
