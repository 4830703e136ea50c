"""Letters from an adopted template: the reply to an incoming record, filled with the record, its sender and the
commune's branding, rendered to PDF, and registered in the outgoing register as the reply to the incoming one.

Order: everything is read and filled first, LibreOffice converts outside any transaction, both files go to
the blob store, then ``records.register`` gives the outgoing record its number, SEDA metadata, audit event and
index job in one transaction. The record's files are the PDF (first) and the editable document.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date
from sqlmodel import Session

from dms import records
from dms.accounts import Principal
from dms.audit import record_event
from dms.backends import Backends
from dms.blobs import BlobUnavailable
from dms.db import unit_of_work
from dms.errors import BackendUnavailable, BadInput
from dms.library import adoption, branding, catalog, rendering, templates
from dms.models import Contact, LibraryItem, LibraryVersion, Record, RegisterKind, Service, TextStatus
from dms.models.base import utcnow

PDF = "application/pdf"


def _date(value: datetime | None, locale: str = "fr_BE") -> str:
    return format_date(value.date() if isinstance(value, datetime) else value, format="long", locale=locale) \
        if value else ""


def _contact_values(contact: Contact | None) -> dict[str, str]:
    if contact is None:
        return {}
    name = contact.name or " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return {
        "recipient.name": name, "recipient.first_name": contact.first_name, "recipient.last_name": contact.last_name,
        "recipient.title": contact.role_title, "recipient.street": contact.street,
        "recipient.postal_code": contact.postal_code, "recipient.city": contact.city,
        "recipient.country": contact.country, "recipient.email": contact.email,
    }


def values_for(session: Session, record: Record, brand: branding.Effective, subject: str) -> dict[str, str]:
    """Every placeholder's value for a reply to ``record`` (docs/library.md lists them)."""
    sender = session.get(Contact, record.sender_id) if record.sender_id else None
    service = session.get(Service, record.treating_service_id) if record.treating_service_id else None
    values = {
        "record.reference": record.reference,
        "record.subject": record.subject,
        "record.date": _date(record.registered_at),
        "record.received_date": _date(record.received_at),
        "record.sent_date": _date(record.sent_at),
        "record.external_reference": record.external_reference,
        "reply.date": _date(utcnow()),
        "reply.subject": subject,
        "service.name": service.name if service else "",
        **_contact_values(sender),
    }
    values.update({f"commune.{name}": value for name, value in brand.values.items()})
    for index, person in enumerate(brand.signatories[:2], start=1):
        values[f"commune.signatory{index}_name"] = person.get("name", "")
        values[f"commune.signatory{index}_title"] = person.get("title", "")
    return values


@dataclass
class Rendered:
    registered: records.Registered
    incoming: Record
    item: LibraryItem
    version: LibraryVersion
    format: str


def _put(backends: Backends, tenant_id: str, data: bytes):
    try:
        return backends.blobs.put(tenant_id, io.BytesIO(data))
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc


def render_reply(backends: Backends, principal: Principal, adoption_id: str, record_id: str, *,
                 subject: str = "", output_format: str | None = None) -> Rendered:
    """Fill the adopted template for a reply to ``record_id``, render the PDF and register the outgoing mail.
    The editable document is in the template's format unless ``output_format`` (docx or odt) says otherwise."""
    if output_format not in (None, templates.DOCX, templates.ODT):
        raise BadInput(f"format {output_format!r}: docx or odt")
    tenant_id = principal.tenant_id
    with unit_of_work(backends.engine, write=False) as session:
        adopted = adoption.get(session, tenant_id, adoption_id)
        item = session.get(LibraryItem, adopted.item_id)
        version = session.get(LibraryVersion, adopted.version_id)
        incoming = records.get(session, tenant_id, record_id, viewer=principal)
        brand = branding.effective(session, tenant_id)
        subject = " ".join((subject or f"Réponse : {incoming.subject}").split())[: records.MAX_SUBJECT]
        values = values_for(session, incoming, brand, subject)
    template = catalog.read_bytes(backends, version)
    logo = branding.read_logo(backends.blobs, brand.logo_key)
    filled = templates.fill(template, values, logo=logo)
    pdf = rendering.to_pdf(filled.data, filled.format)
    document, fmt = filled.data, filled.format
    if output_format and output_format != fmt:
        document, fmt = rendering.convert(filled.data, filled.format, output_format), output_format
    pdf_blob = _put(backends, tenant_id, pdf)
    doc_blob = _put(backends, tenant_id, document)
    stem = "reponse-" + "".join(ch if ch.isalnum() else "-" for ch in incoming.reference).strip("-")
    new = records.NewRecord(
        register=RegisterKind.outgoing,
        subject=subject,
        language=incoming.language,
        reply_to_id=incoming.id,
        recipient_ids=[incoming.sender_id] if incoming.sender_id else [],
        treating_service_id=incoming.treating_service_id,
        files=[
            records.NewFile(blob=pdf_blob, mime=PDF, original_name=f"{stem}.pdf", text=filled.text,
                            text_status=TextStatus.done),
            records.NewFile(blob=doc_blob, mime=templates.MIME[fmt], original_name=f"{stem}.{fmt}", text="",
                            text_status=TextStatus.done),
        ],
    )
    with unit_of_work(backends.engine) as session:
        registered = records.register(session, tenant_id, principal.user_id, new,
                                      schema_dir=backends.settings.seda_schema_dir)
        record_event(session, tenant_id=tenant_id, actor_id=principal.user_id, action="library.letter.rendered",
                     object_type="record", object_id=registered.record.id,
                     data={"item": item.slug, "version": version.version, "reply_to": incoming.id,
                           "reference": registered.record.reference, "logo": filled.logo_replaced})
    return Rendered(registered=registered, incoming=incoming, item=item, version=version, format=fmt)
