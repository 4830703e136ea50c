from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import access_log, records
from dms.accounts import Principal
from dms.blobs import BlobNotFound, BlobUnavailable
from dms.db import unit_of_work
from dms.errors import BackendUnavailable, BadInput, NotFound
from dms.models import RegisterKind
from dms.permissions import Action, require
from ingest.pipeline import Intake, ingest_file, run_jobs_now
from ingest.runtime import Runtime
from metadata.sidecar import MAX_SIDECAR_BYTES

router = APIRouter(prefix="/records", tags=["records"])
log = logging.getLogger(__name__)


@router.post("", status_code=201, summary="Register a document: upload, extract, number, index")
def create_record(
    file: UploadFile,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    register_name: Annotated[str, Form(alias="register", pattern="^(incoming|outgoing|internal|E|S|I)$")] = "incoming",
    subject: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=20000)] = "",
    language: Annotated[str | None, Form(pattern="^(fr|nl|de|en)$")] = None,
    received_at: Annotated[datetime | None, Form()] = None,
    allow_duplicate: Annotated[bool, Form()] = False,
    classification: Annotated[str | None, Form(max_length=1000, description="concept URI of the plan")] = None,
    keywords: Annotated[list[str], Form(description="thesaurus concept URIs (repeat, or separate by spaces)")] = [],  # noqa: B006
    metadata: Annotated[UploadFile | None, File(description="SEDA or Dublin Core XML describing the file")] = None,
    external_reference: Annotated[str, Form(max_length=200, description="the sender's reference")] = "",
    sent_at: Annotated[datetime | None, Form(description="date of the mail")] = None,
    sender_id: Annotated[str | None, Form(max_length=36, description="contact id")] = None,
    recipient_ids: Annotated[list[str], Form(description="contact ids (repeat, or separate by spaces)")] = [],  # noqa: B006
    treating_service: Annotated[str | None, Form(max_length=64, description="service id or code")] = None,
    copy_services: Annotated[list[str], Form(description="service ids or codes (repeatable)")] = [],  # noqa: B006
    assignee_id: Annotated[str | None, Form(max_length=36, description="user id of the agent")] = None,
    due_date: Annotated[date | None, Form()] = None,
    mail_type: Annotated[str | None, Form(max_length=64, description="code from /mail-types")] = None,
    send_modes: Annotated[list[str], Form(description="courrier, recommande, email… (repeatable)")] = [],  # noqa: B006
    reply_to_id: Annotated[str | None, Form(max_length=36, description="record this mail answers")] = None,
    related_ids: Annotated[list[str], Form(description="related record ids (repeatable)")] = [],  # noqa: B006
) -> dict:
    require(principal, Action.record_create)
    mail = {
        "external_reference": external_reference, "sent_at": sent_at, "sender_id": sender_id or None,
        "recipient_ids": _split(recipient_ids), "treating_service_id": treating_service or None,
        "copy_service_ids": _split(copy_services), "assignee_id": assignee_id or None, "due_date": due_date,
        "mail_type": mail_type or None, "send_modes": _split(send_modes), "reply_to_id": reply_to_id or None,
        "related_ids": _split(related_ids),
    }
    sidecar = read_sidecar_part(metadata) if metadata is not None else None
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
            classification=classification or None,
            keywords=[uri for item in keywords for uri in item.split()],
            sidecar=sidecar,
            mail=mail,
        )
        registered = ingest_file(runtime, principal, _path(tmp.name), intake)
    answer = records.to_dict(registered.record, registered.files)
    answer["suggestions"] = intake_suggestions(runtime, registered.record)
    return answer


def _split(values: list[str]) -> list[str]:
    return [item for value in values for item in value.replace(",", " ").split()]


def intake_suggestions(runtime: Runtime, record) -> dict | None:
    """Classification and keyword suggestions for the clerk, best effort: the record is already registered."""
    from dms.classification import suggest_for_record

    try:
        with unit_of_work(runtime.backends.engine, write=False) as session:
            return suggest_for_record(session, record.tenant_id, record.id)
    except Exception:  # noqa: BLE001 (advice only: never fail a registration that succeeded)
        log.warning("suggestions failed for record %s", record.id, exc_info=True)
        return None


@router.get("/{record_id}", summary="One record with its files")
def get_record(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id, viewer=principal)
    access_log.log(runtime.backends.engine, principal, tenant_id, access_log.RECORD_READ, record_id=record.id)
    return records.to_dict(record, records.files_of(session, record))


class RecordChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = None
    description: str | None = None
    received_at: datetime | None = None
    external_reference: str | None = None
    sent_at: datetime | None = None
    sender_id: str | None = None
    recipient_ids: list[str] | None = None
    treating_service_id: str | None = None
    copy_service_ids: list[str] | None = None
    assignee_id: str | None = None
    due_date: date | None = None
    mail_type: str | None = None
    send_modes: list[str] | None = None
    reply_to_id: str | None = None
    related_ids: list[str] | None = None


@router.patch("/{record_id}", summary="Change a record's descriptive and mail fields (sender, services, type…)")
def update_record(
    record_id: str,
    changes: RecordChanges,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    """Each change makes a new metadata version, an audit event and a reindex."""
    tenant_id = require(principal, Action.record_update)
    with unit_of_work(runtime.backends.engine) as session:
        done = records.update(session, tenant_id, principal.user_id, record_id, changes.model_dump(exclude_unset=True),
                              schema_dir=runtime.settings.seda_schema_dir)
    run_jobs_now(runtime, done.job_ids)
    return records.to_dict(done.record, done.files)


def read_sidecar_part(part: UploadFile) -> bytes:
    """The ``metadata`` part, read up to one byte past the sidecar limit (the parser refuses beyond it)."""
    return part.file.read(MAX_SIDECAR_BYTES + 1)


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
    records.get(session, tenant_id, record_id, viewer=principal)
    row = records.get_file(session, tenant_id, record_id, file_id)
    access_log.log(runtime.backends.engine, principal, tenant_id, access_log.FILE_READ, record_id=record_id,
                   file_id=row.id, detail={"name": row.original_name, "sha256": row.sha256})
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
