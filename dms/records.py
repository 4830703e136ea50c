"""Records: registration with a number in one transaction, and reads scoped to the caller's tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from dms import jobs, registers
from dms.audit import record_event
from dms.blobs import StoredBlob
from dms.errors import BadInput, NotFound
from dms.models import File, Record, RegisterKind, TextStatus
from dms.models.base import utcnow

INDEX_JOB = "index_record"
EXTRACT_JOB = "extract_file"
MAX_SUBJECT = 500


@dataclass
class NewFile:
    blob: StoredBlob
    mime: str
    original_name: str
    text: str = ""
    text_status: TextStatus = TextStatus.pending
    pages: int | None = None
    ocr: bool = False


@dataclass
class NewRecord:
    register: RegisterKind = RegisterKind.incoming
    subject: str = ""
    description: str = ""
    language: str = "fr"
    received_at: datetime | None = None
    files: list[NewFile] = field(default_factory=list)


@dataclass
class Registered:
    record: Record
    files: list[File]
    job_ids: list[int]


def register(session: Session, tenant_id: str, actor_id: str | None, new: NewRecord) -> Registered:
    """Rows, number, audit event and jobs in the caller's transaction; the blobs are already stored."""
    subject = " ".join(new.subject.split())
    if len(subject) > MAX_SUBJECT:
        raise BadInput(f"subject longer than {MAX_SUBJECT} characters")
    if not subject and new.files:
        subject = new.files[0].original_name
    now = utcnow()
    year = now.year
    number = registers.next_number(session, tenant_id, new.register, year)
    record = Record(
        tenant_id=tenant_id,
        register_code=new.register.value,
        year=year,
        number=number,
        reference=registers.format_reference(new.register, year, number),
        subject=subject,
        description=new.description,
        language=new.language,
        received_at=new.received_at or (now if new.register == RegisterKind.incoming else None),
        registered_at=now,
        created_by=actor_id,
        updated_at=now,
    )
    session.add(record)
    session.flush()
    files = []
    queued = []
    for item in new.files:
        row = File(
            tenant_id=tenant_id,
            record_id=record.id,
            blob_key=item.blob.key,
            sha256=item.blob.sha256,
            size=item.blob.size,
            mime=item.mime,
            original_name=item.original_name,
            pages=item.pages,
            text=item.text,
            text_status=item.text_status,
            ocr=item.ocr,
        )
        session.add(row)
        files.append(row)
    session.flush()
    for row in files:
        if row.text_status == TextStatus.pending:
            queued.append(jobs.enqueue(session, EXTRACT_JOB, {"file_id": row.id}, tenant_id=tenant_id))
    queued.append(jobs.enqueue(session, INDEX_JOB, {"record_id": record.id}, tenant_id=tenant_id))
    record_event(
        session,
        tenant_id=tenant_id,
        actor_id=actor_id,
        action="record.registered",
        object_type="record",
        object_id=record.id,
        data={
            "reference": record.reference,
            "subject": record.subject,
            "files": [{"id": f.id, "sha256": f.sha256, "size": f.size, "mime": f.mime} for f in files],
        },
    )
    session.flush()
    return Registered(record=record, files=files, job_ids=[job.id for job in queued])


def find_by_content(session: Session, tenant_id: str, sha256: str) -> Record | None:
    """The first live record of this tenant holding these exact bytes."""
    return session.exec(
        select(Record)
        .join(File, File.record_id == Record.id)
        .where(File.tenant_id == tenant_id, File.sha256 == sha256, Record.cancelled == False)  # noqa: E712
        .order_by(Record.registered_at)
    ).first()


def get(session: Session, tenant_id: str, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound("no such record")
    return record


def files_of(session: Session, record: Record) -> list[File]:
    return list(
        session.exec(
            select(File).where(File.record_id == record.id, File.tenant_id == record.tenant_id)
            .order_by(File.created_at)
        ).all()
    )


def get_file(session: Session, tenant_id: str, record_id: str, file_id: str) -> File:
    row = session.get(File, file_id)
    if row is None or row.tenant_id != tenant_id or row.record_id != record_id:
        raise NotFound("no such file")
    return row


def to_dict(record: Record, files: list[File]) -> dict:
    return {
        "id": record.id,
        "reference": record.reference,
        "register": RegisterKind(record.register_code).name,
        "year": record.year,
        "number": record.number,
        "subject": record.subject,
        "description": record.description,
        "language": record.language,
        "status": record.status,
        "received_at": record.received_at,
        "registered_at": record.registered_at,
        "cancelled": record.cancelled,
        "files": [
            {
                "id": f.id,
                "name": f.original_name,
                "mime": f.mime,
                "size": f.size,
                "sha256": f.sha256,
                "pages": f.pages,
                "text_status": f.text_status,
                "ocr": f.ocr,
            }
            for f in files
        ],
    }
