"""Scan batches: one PDF from the scanner holding several documents, split at separator sheets, and re-scans
linked to their record by a scan-id sheet (ingest/barcodes.py reads the sheets).

* The batch is split with pikepdf into one PDF per document, the sheets left out. Each document goes through
  the one pipeline (``ingest_file``) as if it had been scanned alone: numbered, deduplicated, OCRed.
  The split is deterministic (same pages, same bytes: ``deterministic_id``), so a batch taken again after a
  crash finds the documents already registered as duplicates and registers only the rest.
* A document that follows a scan-id sheet (``DMS-SCAN:<record id>``) is a **re-scan** of that record. When it
  was scanned after the record's current file (the PDF's creation date, else the file's time, against the
  current file's scan time, else its registration time), it **replaces** that file: the new file is added to
  the record and the older one (with its PDF/A) is kept as its previous version, marked ``superseded_by``.
  An older scan is refused with the two dates, so a late copy of an old scan never overwrites a newer one.
* A PDF without any sheet is not a batch: the caller registers it whole.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from dms import jobs, record_metadata, records, register_types
from dms.accounts import Principal
from dms.audit import record_event
from dms.db import unit_of_work
from dms.errors import BackendUnavailable, BadInput, Conflict, DmsError, Duplicate, NotFound, TooLarge
from dms.models import File, Record, RegisterKind, TextStatus
from dms.models.base import utcnow
from dms.permissions import Action, require
from ingest import barcodes, detect, ocr
from ingest.outcomes import Outcome
from ingest.pipeline import Intake, _extract_inline, ingest_file, run_jobs_now, sha256_of, store_blob
from ingest.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class Part:
    """One document of a batch: its pages (0-based, in the batch), and the record it re-scans, if any."""

    index: int
    pages: list[int] = field(default_factory=list)
    scan_id: str | None = None


def plan(marks: list[barcodes.PageMark]) -> list[Part] | None:
    """The documents of a batch, from each page's mark; None when no page carries a sheet (not a batch).
    A separator ends the current document; a scan-id sheet ends it too and starts a re-scan."""
    if not any(mark.separator or mark.scan_id for mark in marks):
        return None
    parts: list[Part] = []
    current = Part(index=1)
    for page, mark in enumerate(marks):
        if mark.separator or mark.scan_id:
            if current.pages or current.scan_id:
                parts.append(current)
            current = Part(index=len(parts) + 1, scan_id=mark.scan_id)
            continue
        current.pages.append(page)
    if current.pages or current.scan_id:
        parts.append(current)
    return parts


def scan_time(path: Path) -> datetime:
    """When the scan was made: the PDF's /CreationDate (scanners write it), else the file's modification time."""
    import pikepdf
    from pikepdf.models.metadata import decode_pdf_date

    try:
        with pikepdf.open(path) as pdf:
            raw = pdf.docinfo.get("/CreationDate")
            if raw is not None:
                when = decode_pdf_date(str(raw))
                return when if when.tzinfo else when.replace(tzinfo=UTC)
    except (pikepdf.PdfError, ValueError, TypeError) as exc:
        log.info("%s: no creation date (%s), using the file's time", path.name, exc)
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def split(source: Path, parts: list[Part], folder: Path) -> list[Path]:
    """One PDF per part (its pages only), same bytes for the same pages every time."""
    import pikepdf

    out = []
    with pikepdf.open(source) as pdf:
        created = pdf.docinfo.get("/CreationDate")
        for part in parts:
            target = folder / f"part-{part.index:03d}.pdf"
            piece = pikepdf.new()
            for page in part.pages:
                piece.pages.append(pdf.pages[page])
            if created is not None:
                piece.docinfo["/CreationDate"] = created
            piece.save(target, deterministic_id=True)
            out.append(target)
    return out


def ingest_batch(runtime: Runtime, principal: Principal, path: Path, intake: Intake) -> list[Outcome] | None:
    """Split a scan batch and register (or re-scan) each document; None when ``path`` is not a batch.
    A backend outage raises ``BackendUnavailable`` for the whole batch (the watcher tries it again later:
    documents already registered then come out as duplicates)."""
    require(principal, Action.record_create)
    try:
        marks = barcodes.read_pdf_marks(path)
    except barcodes.BarcodesUnavailable as exc:
        log.warning("%s: separator sheets not looked for: %s", path.name, exc)
        return None
    parts = plan(marks) if marks is not None else None
    if parts is None:
        return None
    stem = Path(detect.safe_filename(intake.original_name or path.name)).stem
    scanned = scan_time(path)
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="batch-", dir=spool))
    outcomes = []
    try:
        pieces = split(path, [p for p in parts if p.pages], work)
        by_index = {p.index: piece for p, piece in zip([p for p in parts if p.pages], pieces, strict=True)}
        for part in parts:
            label = f"{intake.original_name or path.name}#{part.index}"
            name = f"{stem}-{part.index:02d}.pdf"
            try:
                if not part.pages:
                    raise BadInput(f"scan sheet for {part.scan_id} is followed by no page")
                piece = by_index[part.index]
                if part.scan_id:
                    done = replace_scan(runtime, principal, part.scan_id, piece, name, scanned)
                    outcomes.append(Outcome(label, "replaced", reference=done.record.reference,
                                            record_id=done.record.id))
                else:
                    part_intake = dataclasses.replace(intake, original_name=name)
                    done = ingest_file(runtime, principal, piece, part_intake)
                    outcomes.append(Outcome(label, "imported", reference=done.record.reference,
                                            record_id=done.record.id))
            except BackendUnavailable:
                raise
            except Duplicate as exc:
                outcomes.append(Outcome(label, "duplicate", reason=exc.message))
            except DmsError as exc:
                outcomes.append(Outcome(label, "refused", reason=exc.message))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return outcomes


# --- re-scans ----------------------------------------------------------------------------------------------


def find_record(session: Session, tenant_id: str, scan_id: str) -> Record:
    """The record a scan-id sheet names: its id, or its registration number when that is unambiguous."""
    record = session.get(Record, scan_id)
    if record is not None and record.tenant_id == tenant_id:
        return record
    found = list(session.exec(select(Record).where(Record.tenant_id == tenant_id, Record.reference == scan_id)))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise BadInput(f"scan id {scan_id} names several records; print the scan sheet again (it names the id)")
    raise NotFound(f"scan id {scan_id}: no such record in this commune")


def scan_sheet(session: Session, principal: Principal, record_ref: str) -> tuple[str, bytes]:
    """The cover sheet for re-scanning one record (by id or registration number), and its file name: the
    service behind ``dms barcode scan-sheet`` and ``GET /records/{id}/scan-sheet.pdf``. Only those who may
    change a record print it; another commune's record is not found."""
    tenant_id = require(principal, Action.record_update)
    record = find_record(session, tenant_id, record_ref)
    name = "scan-" + re.sub(r"[^A-Za-z0-9_-]+", "-", record.reference) + ".pdf"
    return name, barcodes.scan_sheet_pdf(record.id, record.reference, record.subject)


def current_original(session: Session, record: Record) -> File | None:
    """The record's current scan: its first file that is neither replaced nor a PDF/A made by OCR."""
    for row in records.files_of(session, record):
        if row.superseded_by is None and not (row.ocr and row.original_name.endswith(ocr.PDFA_SUFFIX)):
            return row
    return None


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def replace_scan(runtime: Runtime, principal: Principal, scan_id: str, path: Path, name: str,
                 scanned_at: datetime) -> records.Registered:
    """Replace a record's current file with a newer scan (the older file stays as the previous version)."""
    tenant_id = require(principal, Action.record_update)
    settings = runtime.settings
    engine = runtime.backends.engine
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise TooLarge(f"file larger than the limit of {settings.max_upload_bytes} bytes")
    mime = detect.detect_mime(path)
    try:
        detect.check_allowed(mime)
    except detect.UnsupportedType as exc:
        from dms.errors import UnsupportedType

        raise UnsupportedType(str(exc), mime=mime) from exc
    digest = sha256_of(path)
    with unit_of_work(engine, write=False) as session:
        record = find_record(session, tenant_id, scan_id)
        _check_newer(session, record, scanned_at)
        register_types.check(session, tenant_id, RegisterKind(record.register_code), mime)
        first = records.find_by_content(session, tenant_id, digest)
        if first is not None:
            raise Duplicate(f"duplicate of {first.reference}", duplicate_of={"id": first.id,
                                                                             "reference": first.reference})
    extraction, status = _extract_inline(runtime, path, mime)
    blob = store_blob(runtime, tenant_id, path, digest)
    with unit_of_work(engine) as session:
        record = session.exec(select(Record).where(Record.id == find_record(session, tenant_id, scan_id).id)
                              .with_for_update()).one()
        old = _check_newer(session, record, scanned_at)  # again under the lock: two re-scans at once
        taken = {row.original_name for row in records.files_of(session, record)}
        file_name = _free_name(detect.safe_filename(name), taken)
        new = File(tenant_id=tenant_id, record_id=record.id, blob_key=blob.key, sha256=blob.sha256, size=blob.size,
                   mime=mime, original_name=file_name, text=extraction.text if extraction else "",
                   text_status=status, pages=extraction.pages if extraction else None,
                   ocr=extraction.ocr if extraction else False, scanned_at=scanned_at)
        session.add(new)
        session.flush()
        replaced = []
        if old is not None:
            for row in records.files_of(session, record):
                if row.id == old.id or (row.ocr and row.original_name == ocr.pdfa_name(old.original_name)
                                        and row.superseded_by is None):
                    row.superseded_by = new.id
                    session.add(row)
                    replaced.append(row.id)
        record.updated_at = utcnow()
        session.add(record)
        session.flush()
        current = [row for row in records.files_of(session, record) if row.superseded_by is None]
        meta = record_metadata.write_version(session, record, actor_id=principal.user_id, reason="file.rescanned",
                                             files=current, schema_dir=settings.seda_schema_dir)
        record_event(session, tenant_id=tenant_id, actor_id=principal.user_id, action="file.rescanned",
                     object_type="record", object_id=record.id,
                     data={"reference": record.reference,
                           "file": {"id": new.id, "sha256": new.sha256, "size": new.size, "name": file_name},
                           "scanned_at": scanned_at.isoformat(), "superseded": replaced,
                           "metadata": {"version": meta.version, "sha256": meta.sha256}})
        queued = []
        if status == TextStatus.pending:
            queued.append(jobs.enqueue(session, records.EXTRACT_JOB, {"file_id": new.id}, tenant_id=tenant_id))
        queued.append(jobs.enqueue(session, records.INDEX_JOB, {"record_id": record.id}, tenant_id=tenant_id))
        ocr.enqueue_pdfa(session, [new])
        files = records.files_of(session, record)
    run_jobs_now(runtime, [job.id for job in queued])
    return records.Registered(record=record, files=files, job_ids=[job.id for job in queued])


def _check_newer(session: Session, record: Record, scanned_at: datetime) -> File | None:
    if record.cancelled:
        raise Conflict(f"{record.reference} is cancelled: a re-scan cannot replace its file")
    current = current_original(session, record)
    if current is None:
        return None
    since = _as_utc(current.scanned_at or current.created_at)
    if _as_utc(scanned_at) <= since:
        raise Conflict(
            f"older scan refused: this scan of {record.reference} was made {_as_utc(scanned_at):%Y-%m-%d %H:%M:%S} "
            f"UTC, its current file {current.original_name} dates from {since:%Y-%m-%d %H:%M:%S} UTC")
    return current


def _free_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while f"{stem}-{n}{suffix}" in taken:
        n += 1
    return f"{stem}-{n}{suffix}"
