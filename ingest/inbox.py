"""The clerk's web inbox: scans dropped in the browser wait here, stored and read, until a clerk registers
them with the form (and its classification suggestions) or discards them.

A dropped file goes through the same checks as any intake (size, MIME from the bytes, allow list), its text is
extracted once, and its blob is stored before its row (DESIGN.md §2). Registering reuses that blob and text:
``records.register`` gives the number in the transaction that also removes the inbox row, so a scan is either
waiting in the inbox or registered, never both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, select

from dms import classification, records, register_types
from dms.accounts import Principal
from dms.audit import record_event
from dms.blobs import StoredBlob
from dms.db import unit_of_work
from dms.errors import BadInput, Duplicate, NotFound, TooLarge, UnsupportedType
from dms.models import InboxItem, RegisterKind, TextStatus
from dms.permissions import Action, require
from ingest import detect, ocr
from ingest.pipeline import _extract_inline, run_jobs_now, sha256_of, store_blob
from ingest.runtime import Runtime

MAX_ITEMS = 200  # what the inbox page lists at once


def add(runtime: Runtime, principal: Principal, path: Path, original_name: str) -> InboxItem:
    tenant_id = require(principal, Action.record_create)
    settings = runtime.settings
    size = path.stat().st_size
    if size == 0:
        raise BadInput("empty file")
    if size > settings.max_upload_bytes:
        raise TooLarge(f"file larger than the limit of {settings.max_upload_bytes} bytes")
    name = detect.safe_filename(original_name or "document")
    mime = detect.detect_mime(path)
    try:
        detect.check_allowed(mime)
    except detect.UnsupportedType as exc:
        raise UnsupportedType(str(exc), mime=mime) from exc
    digest = sha256_of(path)
    extraction, status = _extract_inline(runtime, path, mime)
    blob = store_blob(runtime, tenant_id, path, digest)
    item = InboxItem(
        tenant_id=tenant_id, user_id=principal.user_id or "", blob_key=blob.key, sha256=blob.sha256,
        size=blob.size, mime=mime, original_name=name, pages=extraction.pages if extraction else None,
        text=extraction.text if extraction else "", text_status=status, ocr=extraction.ocr if extraction else False,
        title=((extraction.title or "") if extraction else "")[:500],
    )
    with unit_of_work(runtime.backends.engine) as session:
        session.add(item)
        session.flush()
        record_event(session, tenant_id=tenant_id, actor_id=principal.user_id, action="inbox.added",
                     object_type="inbox_item", object_id=item.id,
                     data={"name": name, "sha256": digest, "size": blob.size, "mime": mime})
    return item


def list_items(session: Session, principal: Principal) -> list[InboxItem]:
    """The tenant's waiting scans, oldest first: the registry office shares one inbox."""
    tenant_id = require(principal, Action.record_create)
    return list(session.exec(select(InboxItem).where(InboxItem.tenant_id == tenant_id)
                             .order_by(InboxItem.created_at, InboxItem.id).limit(MAX_ITEMS)).all())


def get(session: Session, principal: Principal, item_id: str) -> InboxItem:
    tenant_id = require(principal, Action.record_create)
    item = session.get(InboxItem, item_id)
    if item is None or item.tenant_id != tenant_id:
        raise NotFound("no such inbox item")
    return item


def suggestions(session: Session, item: InboxItem, language: str = "fr") -> dict:
    text = "\n".join(part for part in (item.title, item.text) if part)
    return classification.suggest(session, item.tenant_id, text, language=language)


def duplicate_of(session: Session, item: InboxItem):
    return records.find_by_content(session, item.tenant_id, item.sha256)


@dataclass
class Registration:
    """What the registration form sends; the mail fields are checked by ``records.register``."""

    register: RegisterKind = RegisterKind.incoming
    subject: str = ""
    description: str = ""
    language: str = "fr"
    received_at: datetime | None = None
    classification: str | None = None
    keywords: list[str] = field(default_factory=list)
    sender_id: str | None = None
    recipient_ids: list[str] = field(default_factory=list)
    treating_service_id: str | None = None
    mail_type: str | None = None
    due_date: date | None = None
    external_reference: str = ""
    allow_duplicate: bool = False


def register(runtime: Runtime, principal: Principal, item_id: str, form: Registration) -> records.Registered:
    tenant_id = require(principal, Action.record_create)
    settings = runtime.settings
    with unit_of_work(runtime.backends.engine) as session:
        item = get(session, principal, item_id)
        register_types.check(session, tenant_id, form.register, item.mime)  # the register's own list, if any
        if not form.allow_duplicate:
            first = duplicate_of(session, item)
            if first is not None:
                raise Duplicate(f"duplicate of {first.reference}",
                                duplicate_of={"id": first.id, "reference": first.reference})
        new = records.NewRecord(
            register=form.register, subject=form.subject or item.title or item.original_name,
            description=form.description, language=form.language, received_at=form.received_at,
            classification=form.classification, keywords=list(form.keywords),
            sender_id=form.sender_id, recipient_ids=list(form.recipient_ids),
            treating_service_id=form.treating_service_id, mail_type=form.mail_type, due_date=form.due_date,
            external_reference=form.external_reference,
            files=[records.NewFile(
                blob=StoredBlob(key=item.blob_key, sha256=item.sha256, size=item.size), mime=item.mime,
                original_name=item.original_name, text=item.text, text_status=TextStatus(item.text_status),
                pages=item.pages, ocr=item.ocr,
            )],
        )
        registered = records.register(session, tenant_id, principal.user_id, new, schema_dir=settings.seda_schema_dir)
        ocr.enqueue_pdfa(session, registered.files)
        session.delete(item)
        record_event(session, tenant_id=tenant_id, actor_id=principal.user_id, action="inbox.registered",
                     object_type="inbox_item", object_id=item_id,
                     data={"record_id": registered.record.id, "reference": registered.record.reference})
    run_jobs_now(runtime, registered.job_ids)
    return registered


def discard(runtime: Runtime, principal: Principal, item_id: str) -> None:
    """The row goes; the blob stays (content-addressed, it may be a record's too; fsck reports it if not)."""
    with unit_of_work(runtime.backends.engine) as session:
        item = get(session, principal, item_id)
        session.delete(item)
        record_event(session, tenant_id=item.tenant_id, actor_id=principal.user_id, action="inbox.discarded",
                     object_type="inbox_item", object_id=item.id, data={"name": item.original_name})
