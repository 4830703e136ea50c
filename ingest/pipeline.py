"""The intake pipeline every channel ends in: check, detect, deduplicate, extract, store, register, index.

Order matters (DESIGN.md §2): nothing is written before the input is known good; the blob is stored
(durably) before the one transaction that creates the rows, the number, the audit event and the jobs; the
answer comes after the commit. Extraction runs inline when the extractor answers, otherwise as a job, so an
outage of Tika never loses an upload; indexing runs right after the commit and falls back to the job table.
Born-digital PDFs are read by pdfium (the text-layer fast path of ``ingest.extraction``); a scan is OCR'd once,
by ocrmypdf, for its text and for the PDF/A that the ``ocr_pdfa`` job stores (``extract`` below).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import select

from dms import jobs, record_metadata, records, register_types
from dms.accounts import Principal
from dms.blobs import BlobNotFound, BlobTooLarge, BlobUnavailable, StoredBlob
from dms.db import unit_of_work
from dms.errors import BackendUnavailable, BadInput, Duplicate, TooLarge, UnsupportedType
from dms.models import File, Job, Record, RegisterKind, TextStatus
from dms.permissions import Action, require
from dms.registrar import registrar_for
from ingest import detect, names, ocr
from ingest.extraction import Extraction, ExtractionFailed, ExtractionUnavailable
from ingest.runtime import Runtime

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


@dataclass
class Intake:
    """What a channel knows about one incoming document besides its bytes."""

    original_name: str
    register: RegisterKind = RegisterKind.incoming
    subject: str = ""
    description: str = ""
    language: str | None = None  # None: the sidecar's language, else fr
    received_at: datetime | None = None
    allow_duplicate: bool = False
    sidecar: bytes | None = None  # SEDA or Dublin Core XML describing the file (docs/transfers.md)
    classification: str | None = None  # a concept URI of the classification plan
    keywords: list[str] = field(default_factory=list)  # thesaurus concept URIs
    mail: dict[str, object] = field(default_factory=dict)  # the mail fields of records.NewRecord (sender_id…)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_file(runtime: Runtime, principal: Principal, path: Path, intake: Intake) -> records.Registered:
    tenant_id = require(principal, Action.record_create)
    settings = runtime.settings
    described = record_metadata.read_sidecar(intake.sidecar) if intake.sidecar is not None else None
    size = path.stat().st_size
    if size == 0:
        raise BadInput("empty file")
    if size > settings.max_upload_bytes:
        raise TooLarge(f"file larger than the limit of {settings.max_upload_bytes} bytes")
    names.check_plain_name(intake.original_name or "")  # ../../etc/passwd is an attempt, not a name: refused
    name = detect.safe_filename(intake.original_name)
    mime = detect.detect_mime(path)
    try:
        detect.check_allowed(mime)
    except detect.UnsupportedType as exc:
        raise UnsupportedType(str(exc), mime=mime) from exc
    with unit_of_work(runtime.backends.engine, write=False) as session:
        register_types.check(session, tenant_id, intake.register, mime)  # the register's own list, if any
    digest = sha256_of(path)
    engine = runtime.backends.engine
    if not intake.allow_duplicate:
        with unit_of_work(engine, write=False) as session:
            first = records.find_by_content(session, tenant_id, digest)
            if first is not None:
                raise Duplicate(
                    f"duplicate of {first.reference}", duplicate_of={"id": first.id, "reference": first.reference}
                )
    extraction, status = _extract_inline(runtime, path, mime)
    blob = store_blob(runtime, tenant_id, path, digest)
    new = records.NewRecord(
        register=intake.register,
        classification=intake.classification,
        keywords=list(intake.keywords),
        subject=intake.subject
        or (described.subject if described else "")
        or (extraction.title if extraction and extraction.title else "")
        or name,
        description=intake.description or (described.description if described else ""),
        language=intake.language or (described.language if described else None) or "fr",
        received_at=intake.received_at or (described.received_at if described else None),
        **intake.mail,  # type: ignore[arg-type]
        files=[
            records.NewFile(
                blob=blob,
                mime=mime,
                original_name=name,
                text=extraction.text if extraction else "",
                text_status=status,
                pages=extraction.pages if extraction else None,
                ocr=extraction.ocr if extraction else False,
            )
        ],
    )
    # concurrent uploads of a commune share one transaction (group commit, dms/registrar.py); each is answered
    # only once that commit is on disk. A scan's PDF/A job is queued in the same transaction.
    registered = registrar_for(engine).register(tenant_id, principal.user_id, new, schema_dir=settings.seda_schema_dir,
                                                then=lambda session, done: ocr.enqueue_pdfa(session, done.files))
    run_jobs_now(runtime, registered.job_ids)
    return registered


def store_blob(runtime: Runtime, tenant_id: str, path: Path, digest: str) -> StoredBlob:
    """The bytes first, before any row names them (blob before row): 503 when the store is down, 413 past the
    limit. What a crash leaves here is unreferenced and collected by ``dms fsck --collect-orphans``."""
    try:
        with path.open("rb") as handle:
            return runtime.backends.blobs.put(
                tenant_id, handle, sha256=digest, max_bytes=runtime.settings.max_upload_bytes
            )
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
    except BlobTooLarge as exc:
        raise TooLarge(str(exc)) from exc


def _extract_inline(runtime: Runtime, path: Path, mime: str) -> tuple[Extraction | None, TextStatus]:
    if not runtime.settings.extract_inline:  # DMS_EXTRACT_INLINE=false: the workers extract (docs/operations.md)
        return None, TextStatus.pending
    try:
        return extract(runtime, path, mime), TextStatus.done
    except ExtractionUnavailable as exc:
        log.warning("extractor unavailable, text will be extracted later: %s", exc)
        return None, TextStatus.pending
    except ExtractionFailed as exc:
        log.warning("could not extract text from %s: %s", path.name, exc)
        return None, TextStatus.failed


def extract(runtime: Runtime, path: Path, mime: str) -> Extraction:
    """The extractor's reading of a file, with one OCR pass for scans: when ocrmypdf can OCR this type here,
    the extractor leaves images and PDF pages without a text layer alone and ``ocr.recognise`` runs ocrmypdf
    once, for the text now and the PDF/A that the ``ocr_pdfa`` job stores (docs/intake.md)."""
    extraction = runtime.extractor.extract(path, mime, ocr_later=mime in ocr.OCR_MIMES and ocr.pdfa_available())
    if extraction.needs_ocr:
        extraction = ocr.recognise(runtime, path, mime, extraction, sha256=sha256_of(path))
    return extraction


def run_jobs_now(runtime: Runtime, job_ids: list[int]) -> None:
    """Best effort after the commit: what fails here stays queued for the worker, with its backoff."""
    handlers = runtime.handlers()
    if not runtime.settings.extract_inline:
        handlers.pop(records.EXTRACT_JOB, None)  # DMS_EXTRACT_INLINE=false: extraction is the workers' job
    engine = runtime.backends.engine
    try:
        # the index job is idempotent: run it without the claim's extra commit (dms.jobs.run_unclaimed)
        others = jobs.run_unclaimed(engine, {records.INDEX_JOB: handlers.pop(records.INDEX_JOB)}, job_ids)
        if others:
            jobs.run_pending(engine, handlers, ids=others, lease=runtime.job_lease)
    except BackendUnavailable:
        log.warning("database unavailable after commit; jobs %s stay queued", job_ids)


def extract_file_job(runtime: Runtime, job: Job) -> None:
    """Extraction deferred by an outage: read the blob back, extract, store the text, then reindex."""
    file_id = jobs.payload(job)["file_id"]
    engine = runtime.backends.engine
    with unit_of_work(engine, write=False) as session:
        row = session.get(File, file_id)
    if row is None or row.text_status != TextStatus.pending:
        return
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    tmp = spool / f"extract-{file_id}"
    try:
        try:
            with tmp.open("wb") as out:
                for chunk in runtime.backends.blobs.open(row.blob_key):
                    out.write(chunk)
        except BlobUnavailable as exc:
            raise jobs.RetryLater(str(exc)) from exc
        except BlobNotFound:
            status, extraction = TextStatus.failed, None
        else:
            try:
                extraction, status = extract(runtime, tmp, row.mime), TextStatus.done
            except ExtractionUnavailable as exc:
                raise jobs.RetryLater(str(exc)) from exc
            except ExtractionFailed:
                extraction, status = None, TextStatus.failed
    finally:
        tmp.unlink(missing_ok=True)
    with unit_of_work(engine) as session:
        row = session.exec(select(File).where(File.id == file_id).with_for_update()).one()
        row.text_status = status
        if extraction is not None:
            row.text = extraction.text
            row.pages = extraction.pages
            row.ocr = extraction.ocr
        session.add(row)
        record = session.get(Record, row.record_id)
        if record is not None:  # the page count is in the metadata: a changed one makes a new version
            record_metadata.write_version(session, record, actor_id=None, reason="file.extracted",
                                          schema_dir=runtime.settings.seda_schema_dir)
        index_job = jobs.enqueue(session, records.INDEX_JOB, {"record_id": row.record_id}, tenant_id=row.tenant_id)
        ocr.enqueue_pdfa(session, [row])
    run_jobs_now(runtime, [index_job.id])
