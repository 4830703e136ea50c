"""Records: registration with a number in one transaction, and reads scoped to the caller's tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from dms import audit, jobs, mail_fields, record_metadata, register_settings, registers, tenant_services, vocabulary
from dms.accounts import Principal
from dms.audit import record_event
from dms.blobs import StoredBlob
from dms.errors import BadInput, Conflict, NotFound
from dms.models import File, Record, RecordOrigin, RegisterKind, TextStatus
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
    classification: str | None = None  # a concept URI of the classification plan
    keywords: list[str] = field(default_factory=list)  # thesaurus concept URIs
    # the mail fields (dms/mail_fields.py checks them against the tenant's directory, services, users, records)
    external_reference: str = ""
    sent_at: datetime | None = None
    sender_id: str | None = None
    recipient_ids: list[str] = field(default_factory=list)
    treating_service_id: str | None = None  # id or code
    copy_service_ids: list[str] = field(default_factory=list)  # ids or codes
    assignee_id: str | None = None
    due_date: date | None = None
    mail_type: str | None = None
    send_modes: list[str] = field(default_factory=list)
    reply_to_id: str | None = None
    related_ids: list[str] = field(default_factory=list)


@dataclass
class Registered:
    record: Record
    files: list[File]
    job_ids: list[int]


@dataclass
class Draft:
    """A registration checked and built, waiting for its number: what ``prepare`` computes with no lock taken
    and ``allocate`` turns into rows. It holds values, not ORM objects, so a batch that failed (dms/registrar.py)
    can allocate it again in a fresh transaction."""

    tenant_id: str
    actor_id: str | None
    register: RegisterKind
    year: int
    number_format: str
    record: dict[str, Any]  # the Record's columns; number and reference come with the allocation
    files: list[dict[str, Any]]
    document: record_metadata.FirstDraft
    origin: RecordOrigin | None = None
    schema_dir: Path | None = None


def register(
    session: Session,
    tenant_id: str,
    actor_id: str | None,
    new: NewRecord,
    *,
    schema_dir: Path | None = None,
    origin: RecordOrigin | None = None,
) -> Registered:
    """Rows, number, metadata version, audit event and jobs in the caller's transaction; the blobs are
    already stored. ``origin`` (a transfer import) says where the record was registered first.

    Gap-free numbering holds the register counter (and the tenant's audit head) locked from the allocation
    to the caller's commit, so every other registration of the register waits that long. Hence two halves:
    ``prepare`` does everything that does not need the number, with no lock taken, and ``allocate`` only the
    statements that need it.
    """
    draft = prepare(session, tenant_id, actor_id, new, schema_dir=schema_dir, origin=origin)
    return allocate(session, [draft])[0]


def prepare(
    session: Session,
    tenant_id: str,
    actor_id: str | None,
    new: NewRecord,
    *,
    schema_dir: Path | None = None,
    origin: RecordOrigin | None = None,
) -> Draft:
    """Checks (BadInput, nothing written), the rows in memory, and the SEDA document built and validated
    around a placeholder reference: only reads, no lock."""
    subject = " ".join(new.subject.split())
    if len(subject) > MAX_SUBJECT:
        raise BadInput(f"subject longer than {MAX_SUBJECT} characters")
    if not subject and new.files:
        subject = new.files[0].original_name
    now = utcnow()
    year = now.year
    classification, keywords = vocabulary.check_record_concepts(session, tenant_id, new.classification, new.keywords)
    mail = mail_fields.check(session, tenant_id, {name: getattr(new, name) for name in mail_fields.FIELDS})
    record = Record(
        tenant_id=tenant_id,
        classification=classification,
        keywords=keywords,
        register_code=new.register.value,
        year=year,
        number=0,  # allocated under the lock
        reference=record_metadata.placeholder_reference(),
        subject=subject,
        description=new.description,
        language=new.language,
        received_at=new.received_at or (now if new.register == RegisterKind.incoming else None),
        registered_at=now,
        created_by=actor_id,
        updated_at=now,
        **mail,
    )
    files = [
        File(
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
        for item in new.files
    ]
    if origin is not None:
        origin.record_id, origin.tenant_id = record.id, tenant_id
    document = record_metadata.first_draft(session, record, files, origin=origin, schema_dir=schema_dir)
    return Draft(
        tenant_id=tenant_id,
        actor_id=actor_id,
        register=new.register,
        year=year,
        number_format=register_settings.format_of(session, tenant_id, new.register),
        record=record.model_dump(exclude={"number", "reference"}),
        files=[row.model_dump() for row in files],
        document=document,
        origin=origin,
        schema_dir=schema_dir,
    )


def allocate(session: Session, drafts: list[Draft]) -> list[Registered]:
    """The locked part, for drafts of one tenant: the chain's head, then each register's counter (in a fixed
    order, so two transactions never wait on each other crosswise), a block of numbers per register, the rows,
    metadata versions and audit events; two flushes. The locks last until the caller's commit."""
    if not drafts:
        return []
    tenant_id = drafts[0].tenant_id
    if any(d.tenant_id != tenant_id for d in drafts):
        raise ValueError("allocate takes the drafts of one tenant")
    head = audit.lock_head(session, tenant_id)
    numbers: dict[int, int] = {}
    for register, year in sorted({(d.register, d.year) for d in drafts}, key=lambda k: (k[0].value, k[1])):
        group = [i for i, d in enumerate(drafts) if (d.register, d.year) == (register, year)]
        for i, number in zip(group, registers.take_numbers(session, tenant_id, register, year, len(group)),
                             strict=True):
            numbers[i] = number
    done = []
    for i, draft in enumerate(drafts):
        reference = registers.format_reference(draft.register, draft.year, numbers[i], draft.number_format)
        record = Record(**draft.record, number=numbers[i], reference=reference)
        files = [File(**values) for values in draft.files]
        session.add(record)
        queued = [jobs.enqueue(session, EXTRACT_JOB, {"file_id": row.id}, tenant_id=tenant_id)
                  for row in files if row.text_status == TextStatus.pending]
        queued.append(jobs.enqueue(session, INDEX_JOB, {"record_id": record.id}, tenant_id=tenant_id))
        done.append((draft, record, files, queued))
    session.flush()  # the records first: the rows below refer to them (no relationships to order the flush)
    out = []
    for draft, record, files, queued in done:
        session.add_all(files)
        if draft.origin is not None:
            session.add(draft.origin)
        meta = record_metadata.first_version(
            session, record, draft.document, actor_id=draft.actor_id, reason="record.registered", files=files,
            origin=draft.origin, schema_dir=draft.schema_dir,
        )
        record_event(
            session,
            tenant_id=tenant_id,
            actor_id=draft.actor_id,
            action="record.registered",
            object_type="record",
            object_id=record.id,
            data={
                "reference": record.reference,
                "subject": record.subject,
                "files": [{"id": f.id, "sha256": f.sha256, "size": f.size, "mime": f.mime} for f in files],
                "metadata": {"version": meta.version, "sha256": meta.sha256},
            },
            head=head,
        )
        out.append(Registered(record=record, files=files, job_ids=[job.id for job in queued]))
    session.flush()
    return out


#: What ``update`` may change; anything else is refused rather than silently ignored. The workflow status and
#: the cancellation have their own functions (dms/workflow.py), each with its own rules and audit event.
UPDATABLE = ("subject", "description", "received_at", *mail_fields.FIELDS)


def update(
    session: Session,
    tenant_id: str,
    actor_id: str | None,
    record_id: str,
    changes: dict[str, object],
    *,
    schema_dir: Path | None = None,
) -> Registered:
    """Change a record's descriptive fields: row, new metadata version, audit event and reindex job in the
    caller's transaction. Nothing changes (no version, no event) when the values are the same."""
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise BadInput(f"cannot change {', '.join(unknown)}: only {', '.join(UPDATABLE)}")
    record = session.exec(select(Record).where(Record.id == record_id).with_for_update()).first()
    if record is None or record.tenant_id != tenant_id:
        raise NotFound("no such record")
    if record.cancelled:
        raise Conflict("a cancelled record cannot be changed")
    wanted = dict(changes)
    if "subject" in wanted:
        subject = " ".join(str(wanted["subject"] or "").split())
        if not subject:
            raise BadInput("subject must not be empty")
        if len(subject) > MAX_SUBJECT:
            raise BadInput(f"subject longer than {MAX_SUBJECT} characters")
        wanted["subject"] = subject
    if "description" in wanted:
        wanted["description"] = str(wanted["description"] or "")
    if "received_at" in wanted:
        wanted["received_at"] = record_metadata.as_datetime(wanted["received_at"])  # type: ignore[arg-type]
    wanted.update(mail_fields.check(session, tenant_id, wanted, record_id=record.id))
    done = {}
    for name, value in wanted.items():
        before = getattr(record, name)
        if name in ("received_at", "sent_at"):
            before = record_metadata.as_datetime(before)
        if name in mail_fields.LIST_FIELDS:
            before = list(before or [])
        if before != value:
            done[name] = {"from": before, "to": value}
            setattr(record, name, value)
    files = files_of(session, record)
    if not done:
        return Registered(record=record, files=files, job_ids=[])
    record.updated_at = utcnow()
    session.add(record)
    meta = record_metadata.write_version(
        session, record, actor_id=actor_id, reason="record.updated", files=files, schema_dir=schema_dir
    )
    job = jobs.enqueue(session, INDEX_JOB, {"record_id": record.id}, tenant_id=tenant_id)
    record_event(
        session,
        tenant_id=tenant_id,
        actor_id=actor_id,
        action="record.updated",
        object_type="record",
        object_id=record.id,
        data={
            "reference": record.reference,
            "changes": done,
            "metadata": {"version": meta.version, "sha256": meta.sha256},
        },
    )
    session.flush()
    return Registered(record=record, files=files, job_ids=[job.id])


def find_by_content(session: Session, tenant_id: str, sha256: str) -> Record | None:
    """The first live record of this tenant holding these exact bytes."""
    return session.exec(
        select(Record)
        .join(File, File.record_id == Record.id)
        .where(File.tenant_id == tenant_id, File.sha256 == sha256, Record.cancelled == False)  # noqa: E712
        .order_by(Record.registered_at)
    ).first()


def get(session: Session, tenant_id: str, record_id: str, viewer: Principal | None = None) -> Record:
    """The tenant's record; with a ``viewer``, also one they may see (an agent: the mail of their services),
    reported missing otherwise so ids cannot be probed."""
    record = session.get(Record, record_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound("no such record")
    if viewer is not None and not tenant_services.may_see(session, viewer, record):
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
        "cancel_reason": record.cancel_reason,
        "classification": record.classification,
        "keywords": list(record.keywords or []),
        "external_reference": record.external_reference,
        "sent_at": record.sent_at,
        "sender_id": record.sender_id,
        "recipient_ids": list(record.recipient_ids or []),
        "treating_service_id": record.treating_service_id,
        "copy_service_ids": list(record.copy_service_ids or []),
        "assignee_id": record.assignee_id,
        "due_date": record.due_date,
        "mail_type": record.mail_type,
        "send_modes": list(record.send_modes or []),
        "reply_to_id": record.reply_to_id,
        "related_ids": list(record.related_ids or []),
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
                "superseded_by": f.superseded_by,  # a re-scan replaced this file (ingest/scan_batches.py)
            }
            for f in files
        ],
    }
