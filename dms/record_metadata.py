"""Each record's SEDA 2.3 metadata: built from its rows, validated, stored as a new version on every change.

``write_version`` runs inside the caller's transaction (``records.register``, ``records.update``, the
extraction job, the transfer import), so a record and its metadata change together or not at all, and a
record whose document would not validate against the official schemas is refused (``BadInput``) with
the schema's message. ``describe_record`` is the one place that maps a record to ``RecordMetadata``.

Reads (current / older version, Dublin Core, diff between versions) are scoped by tenant like every
other record read.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from sqlmodel import Session, select

from dms.errors import BadInput, NotFound
from dms.models import Contact, File, MailType, Record, RecordMetadataVersion, RecordOrigin, RegisterKind, Tenant
from dms.models.base import utcnow
from dms.settings import get_settings
from metadata import (
    Classification,
    DataObject,
    Keyword,
    MetadataError,
    MetadataInvalid,
    Organization,
    RecordMetadata,
    archive_unit_document,
    load_schema,
    parse_archive_unit,
    parse_sidecar,
    to_dublin_core,
    validate,
)

#: Languages the analysis chain knows; a record's language must be one of them.
LANGUAGES = ("fr", "nl", "de", "en")
_ISO639_2 = {"fre": "fr", "fra": "fr", "dut": "nl", "nld": "nl", "ger": "de", "deu": "de", "eng": "en"}
_REGISTER_NAMES = {RegisterKind.incoming: "incoming", RegisterKind.outgoing: "outgoing",
                   RegisterKind.internal: "internal"}


# ---------------------------------------------------------------------------------------- record -> SEDA


def organization_of(tenant: Tenant) -> Organization:
    """The commune as SEDA names it: its slug (stable across installations) and its display name."""
    return Organization(identifier=tenant.slug, name=tenant.name)


def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC, to the second: what the document says (naive values are UTC, as the database stores)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def data_object_of(row: File) -> DataObject:
    return DataObject(
        id=row.id,
        filename=row.original_name,
        mime=row.mime,
        size=row.size,
        sha256=row.sha256,
        pages=row.pages,
    )


def describe_record(
    session: Session,
    record: Record,
    files: list[File] | None = None,
    *,
    origin: RecordOrigin | None = None,
    unsaved: bool = False,
) -> RecordMetadata:
    """Everything the record's metadata document says, from its rows. The one record -> SEDA mapping.

    Keywords and classification are the record's thesaurus concepts, labelled from the tenant's view. An
    imported record (``RecordOrigin``) also keeps the
    descriptive fields of its source that the records table has no column for, and says where it came
    from (custodial history, external reference): see docs/transfers.md.
    """
    tenant = session.get(Tenant, record.tenant_id)
    if tenant is None:  # pragma: no cover - foreign key
        raise NotFound("no such tenant")
    if files is None:
        files = list(
            session.exec(
                select(File).where(File.record_id == record.id, File.tenant_id == record.tenant_id)
                .order_by(File.created_at, File.id)
            ).all()
        )
    if origin is None and not unsaved:  # an unsaved record has only the origin it is given
        origin = session.get(RecordOrigin, record.id)
    carried = _carried_fields(origin)
    mail = _mail(session, record)
    if "related" in mail and carried.get("related"):
        mail["related"] = tuple(dict.fromkeys((*carried["related"], *mail["related"])))
    return RecordMetadata(
        identifier=record.id,
        registration_number=record.reference,
        title=record.subject or None,
        description=record.description or None,
        language=record.language,
        register=_REGISTER_NAMES[RegisterKind(record.register_code)],  # type: ignore[arg-type]
        received=_utc(record.received_at),
        registered=_utc(record.registered_at),
        updated=_utc(record.updated_at),
        originating_agency=organization_of(tenant),
        files=tuple(data_object_of(f) for f in files),
        **{**carried, **mail, **_concepts(session, record)},
    )


def _mail(session: Session, record: Record) -> dict[str, Any]:
    """The mail fields SEDA has a place for: Sender and Addressee (from the contacts directory), SentDate,
    DocumentType (the mail type's label), the reply-to and related records (by registration number).
    Only the fields that are set, so an imported record keeps what its source said about the others."""
    from dms import contacts  # the directory sits beside this module; imported only when needed

    fields: dict[str, Any] = {}
    if record.sender_id:
        row = session.get(Contact, record.sender_id)
        if row is not None:
            fields["sender"] = contacts.as_agent(session, row)
    if record.recipient_ids:
        rows = {c.id: c for c in session.exec(select(Contact).where(Contact.id.in_(record.recipient_ids))).all()}
        fields["addressees"] = tuple(contacts.as_agent(session, rows[i]) for i in record.recipient_ids if i in rows)
    if record.sent_at:
        fields["sent"] = _utc(record.sent_at)
    if record.mail_type:
        kind = session.exec(select(MailType).where(MailType.tenant_id == record.tenant_id,
                                                   MailType.code == record.mail_type)).first()
        fields["document_type"] = kind.label if kind is not None else record.mail_type
    links = [i for i in [record.reply_to_id, *(record.related_ids or [])] if i]
    if links:
        refs = dict(session.exec(select(Record.id, Record.reference).where(Record.id.in_(links))).all())
        if record.reply_to_id and record.reply_to_id in refs:
            fields["reply_to"] = refs[record.reply_to_id]
        related = tuple(refs[i] for i in (record.related_ids or []) if i in refs)
        if related:
            fields["related"] = related
    return fields


def _concepts(session: Session, record: Record) -> dict[str, Any]:
    """The record's keywords and classification as SEDA keywords and file plan position, labelled in the
    record's language from the thesaurus the tenant sees (the URI stands in for a concept gone since)."""
    if not record.classification and not record.keywords:
        return {}
    from dms import vocabulary  # the thesaurus store sits beside this module; imported only when needed

    vocab = vocabulary.view(session, record.tenant_id)

    def label_and_scheme(uri: str) -> tuple[str, str | None]:
        concept = vocab.thesaurus.get(uri)
        label = vocab.label(uri, record.language) if concept is not None else ""
        scheme = sorted(concept.schemes)[0] if concept is not None and concept.schemes else None
        return label or uri, scheme

    fields: dict[str, Any] = {}
    if record.keywords:
        fields["keywords"] = tuple(
            Keyword(label=label, uri=uri, scheme=scheme)
            for uri in record.keywords
            for label, scheme in [label_and_scheme(uri)]
        )
    if record.classification:
        label, scheme = label_and_scheme(record.classification)
        concept = vocab.thesaurus.get(record.classification)
        fields["classification"] = Classification(
            notation=concept.notation if concept is not None else None, label=label, uri=record.classification,
            scheme=scheme,
        )
    return fields


def _carried_fields(origin: RecordOrigin | None) -> dict[str, Any]:
    """What an imported record keeps from its source document, plus the line that says where it came from."""
    if origin is None:
        return {}
    source = parse_archive_unit(origin.source_metadata.encode(), with_files=False) if origin.source_metadata else None
    fields: dict[str, Any] = {}
    if source is not None:
        for name in ("description_level", "document_type", "sent", "created", "sender", "addressees", "recipients",
                     "keywords", "classification", "custodial_history", "related"):
            fields[name] = getattr(source, name)
    agency = origin.source_agency_name or origin.source_agency_identifier
    when = origin.source_registered_at.date().isoformat() if origin.source_registered_at else None
    line = f"Enregistré par {agency} ({origin.source_agency_identifier}) sous la référence {origin.source_reference}"
    if when:
        line += f" le {when}"
    line += f" ; reçu par transfert le {origin.imported_at.date().isoformat()}"
    if origin.transfer_identifier:
        line += f" (message {origin.transfer_identifier})"
    fields["custodial_history"] = (*fields.get("custodial_history", ()), line + ".")
    fields["related"] = (*fields.get("related", ()), origin.source_reference)
    return fields


def build_document(meta: RecordMetadata, schema_dir: Path | None = None) -> bytes:
    """The record's document, validated against SEDA 2.3; BadInput with the schema's words otherwise."""
    schema_dir = schema_dir or get_settings().seda_schema_dir
    try:
        load_schema(schema_dir)  # compiled before the first document is built (see metadata.schema._load)
        xml = archive_unit_document(meta)
        validate(xml, schema_dir)
    except MetadataInvalid as exc:
        raise BadInput(f"the record's metadata would not be valid: {exc}", errors=list(exc.errors[:10])) from exc
    except MetadataError as exc:
        raise BadInput(f"the record's metadata would not be valid: {exc}") from exc
    return xml


def write_version(
    session: Session,
    record: Record,
    *,
    actor_id: str | None,
    reason: str,
    files: list[File] | None = None,
    schema_dir: Path | None = None,
) -> RecordMetadataVersion:
    """Build, validate and store the record's current metadata as its next version, in the caller's
    transaction. A document identical to the latest version is not stored twice (that version is returned).
    """
    session.flush()
    # one writer per record at a time (PostgreSQL row lock; SQLite write transactions are serial already),
    # so two changes never compute the same next version number
    session.exec(select(Record.id).where(Record.id == record.id).with_for_update()).one()
    xml = build_document(describe_record(session, record, files), schema_dir)
    digest = hashlib.sha256(xml).hexdigest()
    latest = _latest(session, record.id)
    if latest is not None and latest.sha256 == digest:
        return latest
    row = _version_row(record, (latest.version + 1) if latest else 1, xml, reason=reason, actor_id=actor_id)
    session.add(row)
    session.flush()
    return row


@dataclass
class FirstDraft:
    """A new record's first metadata document, built and validated before its number exists.

    ``records.register`` builds it with a placeholder where the registration number goes, outside the register
    counter's lock, and ``first_version`` puts the number in once it is allocated: the expensive part (rows to
    SEDA, schema validation) no longer holds every other registration of the register waiting.
    """

    xml: str
    placeholder: str


#: Characters a reference may hold for the placeholder swap to give the document the schema accepted: printable
#: XML 1.0 characters (the reference's type, NonEmptyTokenType, accepts any of them). Anything else is rebuilt.
_XML_TEXT = re.compile("[\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]+")


def first_draft(
    session: Session,
    record: Record,
    files: list[File],
    *,
    origin: RecordOrigin | None = None,
    schema_dir: Path | None = None,
) -> FirstDraft:
    """The unsaved ``record``'s document, its reference still the ``placeholder_reference()`` it was given;
    nothing is written."""
    meta = describe_record(session, record, files, origin=origin, unsaved=True)
    xml = build_document(meta, schema_dir).decode("utf-8")
    return FirstDraft(xml=xml, placeholder=record.reference)


def placeholder_reference() -> str:
    """What stands for the registration number until it is allocated: unique, and plain letters and digits,
    so it is written as is and can be found and replaced in the document."""
    return f"DMSREFERENCE{uuid.uuid4().hex}"


def first_version(
    session: Session,
    record: Record,
    draft: FirstDraft,
    *,
    actor_id: str | None,
    reason: str,
    files: list[File],
    origin: RecordOrigin | None = None,
    schema_dir: Path | None = None,
) -> RecordMetadataVersion:
    """Version 1 of a new record's metadata, its reference now in place: added to the session, no statement.

    The swap gives the very bytes a build with the reference would (the reference is text in two elements of
    token type, escaped like any text); a reference with characters XML cannot hold is built and validated
    the long way, which refuses it as before."""
    swappable = record.reference != draft.placeholder and _XML_TEXT.fullmatch(record.reference)
    if swappable and draft.placeholder in draft.xml:
        xml = draft.xml.replace(draft.placeholder, xml_escape(record.reference)).encode("utf-8")
    else:
        xml = build_document(describe_record(session, record, files, origin=origin), schema_dir)
    row = _version_row(record, 1, xml, reason=reason, actor_id=actor_id)
    session.add(row)
    return row


def _version_row(record: Record, version: int, xml: bytes, *, reason: str,
                 actor_id: str | None) -> RecordMetadataVersion:
    return RecordMetadataVersion(
        tenant_id=record.tenant_id,
        record_id=record.id,
        version=version,
        sha256=hashlib.sha256(xml).hexdigest(),
        size=len(xml),
        xml=xml.decode("utf-8"),
        reason=reason[:64],
        created_at=utcnow(),
        created_by=actor_id,
    )


def _latest(session: Session, record_id: str) -> RecordMetadataVersion | None:
    return session.exec(
        select(RecordMetadataVersion)
        .where(RecordMetadataVersion.record_id == record_id)
        .order_by(RecordMetadataVersion.version.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()


# ------------------------------------------------------------------------------------------------ reads


def versions(session: Session, record: Record) -> list[RecordMetadataVersion]:
    return list(
        session.exec(
            select(RecordMetadataVersion)
            .where(RecordMetadataVersion.record_id == record.id, RecordMetadataVersion.tenant_id == record.tenant_id)
            .order_by(RecordMetadataVersion.version)
        ).all()
    )


def get_version(session: Session, record: Record, version: int | None = None) -> RecordMetadataVersion:
    """The given version of the record's metadata, or the current one; NotFound if there is none."""
    query = select(RecordMetadataVersion).where(
        RecordMetadataVersion.record_id == record.id, RecordMetadataVersion.tenant_id == record.tenant_id
    )
    if version is None:
        query = query.order_by(RecordMetadataVersion.version.desc()).limit(1)  # type: ignore[union-attr]
    else:
        query = query.where(RecordMetadataVersion.version == version)
    row = session.exec(query).first()
    if row is None:
        raise NotFound(f"no metadata version {version} for this record" if version else "no metadata for this record")
    return row


def version_to_dict(row: RecordMetadataVersion) -> dict:
    return {
        "version": row.version,
        "sha256": row.sha256,
        "size": row.size,
        "reason": row.reason,
        "created_at": row.created_at,
        "created_by": row.created_by,
    }


def parsed(row: RecordMetadataVersion) -> RecordMetadata:
    return parse_archive_unit(row.xml.encode("utf-8"))


def dublin_core(row: RecordMetadataVersion) -> bytes:
    """The Dublin Core crosswalk of a stored version (docs/metadata.md, "Mapping")."""
    return to_dublin_core(parsed(row))


def _plain(value: Any) -> Any:
    """JSON-ready form of a metadata value (dates as ISO strings, dataclasses as dicts without empties)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) not in (None, (), "")}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


#: The message date of a version moves with every change: it says when, not what.
_NOT_COMPARED = {"updated"}


def field_changes(old: RecordMetadata, new: RecordMetadata) -> list[dict]:
    """The metadata fields that differ between two versions, old and new values, in model order.

    Files are compared by file id, so an archivist reads "file X: pages 1 -> 3" rather than a list diff.
    """
    changes: list[dict] = []
    for spec in dataclasses.fields(RecordMetadata):
        if spec.name in _NOT_COMPARED:
            continue
        before, after = getattr(old, spec.name), getattr(new, spec.name)
        if before == after:
            continue
        if spec.name == "files":
            old_files = {f.id: f for f in before}
            new_files = {f.id: f for f in after}
            for file_id in dict.fromkeys([*old_files, *new_files]):
                a, b = old_files.get(file_id), new_files.get(file_id)
                if a != b:
                    changes.append({"field": f"files[{file_id}]", "from": _plain(a), "to": _plain(b)})
            continue
        changes.append({"field": spec.name, "from": _plain(before), "to": _plain(after)})
    return changes


def diff(session: Session, record: Record, from_version: int, to_version: int) -> dict:
    """What changed between two versions: the changed fields (old -> new) and a unified diff of the XML."""
    old, new = get_version(session, record, from_version), get_version(session, record, to_version)
    return {
        "record_id": record.id,
        "from": version_to_dict(old),
        "to": version_to_dict(new),
        "changes": field_changes(parsed(old), parsed(new)),
    }


def unified_diff(session: Session, record: Record, from_version: int, to_version: int) -> str:
    old, new = get_version(session, record, from_version), get_version(session, record, to_version)
    return "".join(
        difflib.unified_diff(
            old.xml.splitlines(keepends=True),
            new.xml.splitlines(keepends=True),
            fromfile=f"{record.reference} metadata v{old.version}",
            tofile=f"{record.reference} metadata v{new.version}",
        )
    )


# --------------------------------------------------------------------------------------------- sidecars


@dataclass(frozen=True)
class SidecarFields:
    """The record fields an intake sidecar fills (only those the records table holds today)."""

    subject: str = ""
    description: str = ""
    language: str | None = None
    received_at: datetime | None = None


def record_language(value: str | None, what: str = "language") -> str:
    """``fr``, ``fr-BE``, ``fre`` -> ``fr``; a language the analysis chain does not know is refused."""
    text = (value or "").strip().lower()
    primary = _ISO639_2.get(text, text.split("-")[0])
    if primary not in LANGUAGES:
        raise BadInput(f"{what} {value!r} is not one of {', '.join(LANGUAGES)}")
    return primary


def as_datetime(value: date | datetime | None) -> datetime | None:
    """A SEDA/DC date as the records table stores it: a day becomes midnight UTC, naive times are UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0), tzinfo=UTC)
    return _utc(value)


def read_sidecar(data: bytes) -> SidecarFields:
    """Parse (safely) and check a SEDA or Dublin Core sidecar; BadInput with the one-line reason.

    Everything is checked here, before the caller stores anything: hostile XML (entities, DTDs, size,
    depth), unknown formats, a subject too long, a language the record cannot carry.
    """
    try:
        meta = parse_sidecar(data)
    except MetadataError as exc:
        raise BadInput(f"sidecar refused: {exc}") from exc
    subject = " ".join((meta.title or "").split())
    if len(subject) > 500:
        raise BadInput("sidecar refused: its title is longer than 500 characters")
    try:
        language = record_language(meta.language, "its language") if meta.language else None
    except BadInput as exc:
        raise BadInput(f"sidecar refused: {exc.message}") from exc
    return SidecarFields(
        subject=subject,
        description=(meta.description or "").strip(),
        language=language,
        received_at=as_datetime(meta.received),
    )
