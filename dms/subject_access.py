"""Subject access (GDPR art. 15): every record of a tenant that mentions one contact, as a zip.

A record mentions the contact when the registry names it (sender or recipient, directly or through one of
the person's positions), or when its subject, description or extracted text holds the contact's name or
e-mail address. The text match is found with the search index (candidates), then confirmed on the database's
own text with accents and case folded, so the zip holds no false hits from stemming.

The zip holds ``subject.json`` (the contact, who asked, when, and why each record is in), ``records.csv``
(one line per record, for a spreadsheet), ``records.json`` (every record as the API shows it), the current
SEDA 2.3 metadata of each record under ``metadata/``, and with ``include_files`` the files under ``files/``.
The export is one event of the tenant's hash-chained audit trail, and one access-log row per record.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String, cast, or_
from sqlmodel import Session, select

from dms import access_log, contacts, record_metadata, records
from dms.accounts import Principal
from dms.audit import record_event
from dms.backends import Backends
from dms.blobs import BlobNotFound, BlobUnavailable
from dms.db import unit_of_work
from dms.errors import BackendUnavailable
from dms.models import Contact, ContactKind, File, Record
from dms.models.base import utcnow
from dms.searching import search_records

#: Search candidates examined per name or address; more than this and the export says it stopped short.
MAX_CANDIDATES = 5000
_PAGE = 100


@dataclass
class SubjectAccessExport:
    path: Path
    contact_id: str
    records: int
    files: int
    truncated: bool


def _names(session: Session, contact: Contact) -> tuple[list[str], list[str], list[str]]:
    """(contact ids the registry may name, folded names to look for in the text, e-mail addresses)."""
    ids = [contact.id]
    people = [contact]
    if contact.kind == ContactKind.person:
        ids += list(session.exec(select(Contact.id).where(Contact.tenant_id == contact.tenant_id,
                                                          Contact.person_id == contact.id)).all())
    elif contact.kind == ContactKind.position and contact.person_id:
        person = session.get(Contact, contact.person_id)
        if person is not None and person.tenant_id == contact.tenant_id:
            people.append(person)
    names: set[str] = set()
    emails: set[str] = set()
    for row in people:
        if row.kind == ContactKind.position:
            if row.email:
                emails.add(row.email.lower())
            continue
        full = contacts.fold(row.name)
        if len(full) >= 3:
            names.add(full)
        first, last = contacts.fold(row.first_name), contacts.fold(row.last_name)
        if first and last:
            names |= {f"{first} {last}", f"{last} {first}"}
        if row.email:
            emails.add(row.email.lower())
    return ids, sorted(names), sorted(emails)


def _registry_matches(session: Session, tenant_id: str, ids: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    conditions = [Record.sender_id.in_(ids)]
    conditions += [cast(Record.recipient_ids, String).like(f'%"{contact_id}"%') for contact_id in ids]
    for record in session.exec(select(Record).where(Record.tenant_id == tenant_id, or_(*conditions))).all():
        if record.sender_id in ids:
            found.setdefault(record.id, set()).add("sender")
        if set(record.recipient_ids or []) & set(ids):
            found.setdefault(record.id, set()).add("recipient")
    return found


def _text_of(session: Session, record: Record) -> str:
    texts = session.exec(select(File.text).where(File.tenant_id == record.tenant_id, File.record_id == record.id))
    return "\n".join([record.subject, record.description, *texts])


def _folded_words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", contacts.fold(text))) + " "


def _text_matches(session: Session, backends: Backends, tenant_id: str, names: list[str],
                  emails: list[str]) -> tuple[dict[str, set[str]], bool]:
    found: dict[str, set[str]] = {}
    truncated = False
    candidates: dict[str, None] = {}
    for needle in [*names, *emails]:
        after, seen = None, 0
        while True:
            page = search_records(session, backends.search, tenant_id, needle, limit=_PAGE, after=after)
            candidates.update((hit["id"], None) for hit in page["hits"])
            seen += len(page["hits"])
            after = page.get("next")
            truncated = truncated or bool(page.get("total_is_lower_bound"))  # the search engine's hit cap
            if not after or not page["hits"]:
                break
            if seen >= MAX_CANDIDATES:
                truncated = True
                break
    wanted_names = [_folded_words(name) for name in names]
    for record_id in candidates:
        record = session.get(Record, record_id)
        if record is None or record.tenant_id != tenant_id:
            continue
        text = _text_of(session, record)
        words, lowered = _folded_words(text), text.lower()
        if any(name in words for name in wanted_names):
            found.setdefault(record.id, set()).add("name in text")
        if any(email in lowered for email in emails):
            found.setdefault(record.id, set()).add("e-mail in text")
    return found, truncated


def find_records(session: Session, backends: Backends, tenant_id: str, contact_id: str) -> tuple[
        Contact, dict[str, set[str]], bool]:
    """The contact, the ids of the records mentioning it with how each matched, and whether the text search
    stopped at MAX_CANDIDATES."""
    contact = contacts.get(session, tenant_id, contact_id)
    ids, names, emails = _names(session, contact)
    matched = _registry_matches(session, tenant_id, ids)
    by_text, truncated = _text_matches(session, backends, tenant_id, names, emails)
    for record_id, why in by_text.items():
        matched.setdefault(record_id, set()).update(why)
    return contact, matched, truncated


def export(backends: Backends, principal: Principal, tenant_id: str, contact_id: str, dest: Path, *,
           include_files: bool = False) -> SubjectAccessExport:
    """Write the zip at ``dest``; then log it (audit trail and access log). ``dest`` is removed on failure."""
    with unit_of_work(backends.engine, write=False) as session:
        contact, matched, truncated = find_records(session, backends, tenant_id, contact_id)
        rows = [session.get(Record, record_id) for record_id in matched]
        chosen = sorted((r for r in rows if r is not None), key=lambda r: (r.registered_at, r.reference))
        documents = []
        for record in chosen:
            files = records.files_of(session, record)
            meta = record_metadata.get_version(session, record)
            documents.append((record, files, meta.xml))
        subject = contacts.to_dict(contact)
    file_count = 0
    try:
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            listing = []
            table = io.StringIO()
            writer = csv.writer(table, delimiter=";")
            writer.writerow(["reference", "id", "register", "registered_at", "subject", "matched_by", "cancelled"])
            for record, files, xml in documents:
                why = sorted(matched[record.id])
                entry = records.to_dict(record, files) | {"matched_by": why}
                listing.append(entry)
                writer.writerow([record.reference, record.id, entry["register"], record.registered_at.isoformat(),
                                 record.subject, ", ".join(why), record.cancelled])
                stem = _entry_name(record.reference)
                archive.writestr(f"metadata/{stem}.xml", xml.encode("utf-8"))
                if include_files:
                    for row in files:
                        member = f"files/{stem}/{row.id[:8]}-{_entry_name(row.original_name)}"
                        _write_blob(archive, backends, row, member)
                        file_count += 1
            summary = {
                "subject": subject,
                "generated_at": utcnow().isoformat(),
                "requested_by": principal.email,
                "records": len(documents),
                "truncated": truncated,
                "matching": "sender or recipient in the registry (the contact or one of the person's positions), "
                            "or the name or e-mail address in the subject, description or text of the files",
            }
            archive.writestr("subject.json", json.dumps(summary, ensure_ascii=False, indent=2, default=str))
            archive.writestr("records.json", json.dumps(listing, ensure_ascii=False, indent=2, default=str))
            archive.writestr("records.csv", "\ufeff" + table.getvalue())
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    with unit_of_work(backends.engine) as session:
        record_event(session, tenant_id=tenant_id, actor_id=principal.user_id, action="contact.subject_access",
                     object_type="contact", object_id=contact.id,
                     data={"records": [r.id for r, _, _ in documents], "files": file_count,
                           "truncated": truncated})
        access_log.add(session, principal, tenant_id, access_log.SUBJECT_ACCESS,
                       record_ids=[r.id for r, _, _ in documents], detail={"contact_id": contact.id})
    return SubjectAccessExport(path=dest, contact_id=contact.id, records=len(documents), files=file_count,
                               truncated=truncated)


def _entry_name(text: str) -> str:
    """A zip member name without folders, control characters or odd punctuation."""
    cleaned = re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.")
    return cleaned[:120] or "document"


def _write_blob(archive: zipfile.ZipFile, backends: Backends, row: File, name: str) -> None:
    try:
        with archive.open(zipfile.ZipInfo(name, date_time=row.created_at.timetuple()[:6]), "w",
                          force_zip64=True) as out:
            for chunk in backends.blobs.open(row.blob_key):
                out.write(chunk)
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
    except BlobNotFound as exc:
        raise BackendUnavailable(f"the content of file {row.id} is missing from the blob store (run dms fsck)") from exc
