"""OCR of scans into a searchable PDF/A kept beside the original (ocrmypdf), run as a job.

Why a job: OCR takes seconds per page, and the clerk's upload must not wait for it. The pipeline enqueues
``ocr_pdfa`` in the registration transaction for a PDF or image whose text came from OCR or is empty (no text
layer); the worker (``dms worker``, or the thread inside ``dms serve``) runs it.

What the job does, in the order DESIGN.md §2 asks: run ocrmypdf on a spooled copy of the original, store the
PDF/A in the blob store (durably), then in one transaction add it as a second ``File`` of the record (named
``<stem>.pdfa.pdf``, ``ocr`` true, with its text), a new metadata version, an audit event and an index job.
The original bytes are never changed.

How ocrmypdf is called, and why (measured with ocrmypdf 17.13 on Debian 12):

* ``--skip-text``: pages that already have text (born-digital pages of a mixed PDF) are left as they are.
* ``--output-type pdfa --pdfa-backend internal --rasterizer pypdfium``: PDF/A-2b made and checked by pikepdf,
  pages rendered by pdfium, so Ghostscript is not needed. Debian 12's Ghostscript 10.0.0 is on ocrmypdf's
  list of versions that corrupt PDFs with existing text, and ocrmypdf refuses ``--skip-text`` with it.
* ``-l`` from the ``ocr_languages`` setting (``fra+nld+deu+eng`` by default), limited to the Tesseract packs
  installed here.
* ``--sidecar``: the recognised text, stored with the new file and indexed.
* It runs in a child process in its own process group, killed with its Tesseract children on a timeout.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from dms import jobs, record_metadata, records
from dms.audit import record_event
from dms.blobs import BlobNotFound, BlobTooLarge, BlobUnavailable
from dms.db import unit_of_work
from dms.models import File, Job, Record, TextStatus
from ingest.extraction.embedded import usable_ocr_languages
from ingest.runtime import Runtime

log = logging.getLogger(__name__)

OCR_JOB = "ocr_pdfa"
PDFA_SUFFIX = ".pdfa.pdf"
IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/tiff"})
OCR_MIMES = IMAGE_MIMES | {"application/pdf"}
#: ocrmypdf exit codes that say this input cannot be made into a PDF/A: retrying will not help.
#: 2 bad input, 4 output invalid, 8 encrypted, 10 PDF/A conversion failed.
PERMANENT = {2: "not a readable PDF or image", 4: "output failed validation", 8: "encrypted PDF",
             10: "PDF/A conversion failed"}
#: 3 a program (tesseract) is missing: the operator can install it, so the job waits and tries again.
MISSING_DEPENDENCY = 3
MIN_TIMEOUT_S = 120.0
MAX_TIMEOUT_S = 3600.0


class OcrUnavailable(RuntimeError):
    """ocrmypdf or Tesseract is not installed here."""


class OcrFailed(ValueError):
    """This file cannot be made into a PDF/A (the reason is in the message)."""


@dataclass(frozen=True)
class PdfA:
    path: Path
    text: str


def pdfa_name(original_name: str) -> str:
    stem = Path(original_name).stem or "document"
    return stem[: 255 - len(PDFA_SUFFIX)] + PDFA_SUFFIX


def wants_pdfa(row: File) -> bool:
    """A scan: a PDF or image whose text was extracted and came from OCR, or is empty (no text layer)."""
    if row.mime not in OCR_MIMES or row.text_status != TextStatus.done:
        return False
    return bool(row.ocr) or not (row.text or "").strip()


def enqueue_pdfa(session: Session, files: list[File]) -> list[Job]:
    """In the caller's transaction: one ``ocr_pdfa`` job per scan among ``files`` (not run inline)."""
    session.flush()
    return [jobs.enqueue(session, OCR_JOB, {"file_id": row.id}, tenant_id=row.tenant_id)
            for row in files if wants_pdfa(row)]


def make_pdfa(source: Path, mime: str, output: Path, *, languages: str, timeout: float,
              pages: int | None = None) -> PdfA:
    """Run ocrmypdf: ``source`` (PDF or image) to a searchable PDF/A-2b at ``output``."""
    if not shutil.which("tesseract"):
        raise OcrUnavailable("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-fra)")
    try:
        import ocrmypdf  # noqa: F401  (only to know it is installed; it runs in a child process)
    except ImportError as exc:
        raise OcrUnavailable("ocrmypdf is not installed (pip install ocrmypdf)") from exc
    langs = usable_ocr_languages(languages) or "eng"
    sidecar = output.with_name(output.name + ".txt")
    command = [
        sys.executable, "-m", "ocrmypdf", "--quiet", "-l", langs, "--skip-text",
        "--output-type", "pdfa", "--pdfa-backend", "internal", "--rasterizer", "pypdfium",
        "--sidecar", str(sidecar),
    ]
    if mime in IMAGE_MIMES:
        command += ["--image-dpi", "300"]  # used only when the image does not say its resolution
    command += [str(source), str(output)]
    limit = min(MAX_TIMEOUT_S, max(MIN_TIMEOUT_S, timeout * max(1, pages or 1)))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _out, errors = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RuntimeError(f"ocrmypdf took longer than {limit:.0f} s") from None
    last = (errors or "").strip().splitlines()[-1:] or [""]
    if proc.returncode == MISSING_DEPENDENCY:
        raise OcrUnavailable(f"ocrmypdf: a program it needs is missing: {last[0]}")
    if proc.returncode in PERMANENT:
        raise OcrFailed(f"ocrmypdf: {PERMANENT[proc.returncode]}: {last[0]}")
    if proc.returncode != 0:
        raise RuntimeError(f"ocrmypdf exited with {proc.returncode}: {last[0]}")
    text = sidecar.read_text(encoding="utf-8", errors="replace") if sidecar.exists() else ""
    # pages skipped by --skip-text appear as a placeholder; their text is in the original's text already
    text = "\n".join(line for line in text.splitlines() if not line.startswith("[OCR skipped on page"))
    return PdfA(path=output, text=text.replace("\f", "\n").strip())


def ocr_pdfa_job(runtime: Runtime, job: Job) -> None:
    file_id = jobs.payload(job)["file_id"]
    engine = runtime.backends.engine
    settings = runtime.settings
    with unit_of_work(engine, write=False) as session:
        row = session.get(File, file_id)
        record = session.get(Record, row.record_id) if row is not None else None
        if row is None or record is None or record.cancelled or _pdfa_of(session, row) is not None:
            return
    spool = settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"ocr-{file_id}-", dir=spool))
    try:
        source = work / ("source" + (".pdf" if row.mime == "application/pdf" else ".img"))
        try:
            with source.open("wb") as out:
                for chunk in runtime.backends.blobs.open(row.blob_key):
                    out.write(chunk)
        except BlobUnavailable as exc:
            raise jobs.RetryLater(str(exc)) from exc
        except BlobNotFound:
            log.error("file %s: blob %s is missing, no PDF/A made (see dms fsck)", file_id, row.blob_key)
            return
        try:
            made = make_pdfa(source, row.mime, work / "out.pdf", languages=settings.ocr_languages,
                             timeout=settings.extraction_timeout_s, pages=row.pages)
        except OcrUnavailable as exc:
            raise jobs.RetryLater(str(exc)) from exc
        except OcrFailed as exc:
            log.warning("file %s (%s): no PDF/A: %s", file_id, row.original_name, exc)
            return
        digest = hashlib.sha256(made.path.read_bytes()).hexdigest()
        try:
            with made.path.open("rb") as handle:
                blob = runtime.backends.blobs.put(row.tenant_id, handle, sha256=digest,
                                                  max_bytes=settings.max_upload_bytes)
        except BlobUnavailable as exc:
            raise jobs.RetryLater(str(exc)) from exc
        except BlobTooLarge:
            log.warning("file %s: the PDF/A is larger than the upload limit, not kept", file_id)
            return
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with unit_of_work(engine) as session:
        row = session.exec(select(File).where(File.id == file_id)).one()
        if _pdfa_of(session, row) is not None:  # another worker finished first (lease expired mid-job)
            return
        record = session.get(Record, row.record_id)
        pdfa = File(tenant_id=row.tenant_id, record_id=row.record_id, blob_key=blob.key, sha256=blob.sha256,
                    size=blob.size, mime="application/pdf", original_name=pdfa_name(row.original_name),
                    pages=row.pages, text=made.text, text_status=TextStatus.done, ocr=True)
        session.add(pdfa)
        session.flush()
        meta = record_metadata.write_version(session, record, actor_id=None, reason="file.ocr_pdfa",
                                             schema_dir=settings.seda_schema_dir)
        record_event(session, tenant_id=row.tenant_id, actor_id=None, action="file.ocr_pdfa",
                     object_type="record", object_id=record.id,
                     data={"source": {"id": row.id, "sha256": row.sha256},
                           "pdfa": {"id": pdfa.id, "sha256": pdfa.sha256, "size": pdfa.size},
                           "metadata": {"version": meta.version, "sha256": meta.sha256}})
        index_job = jobs.enqueue(session, records.INDEX_JOB, {"record_id": record.id}, tenant_id=row.tenant_id)
    from ingest.pipeline import run_jobs_now

    run_jobs_now(runtime, [index_job.id])


def _pdfa_of(session: Session, row: File) -> File | None:
    return session.exec(
        select(File).where(File.record_id == row.record_id, File.tenant_id == row.tenant_id,
                           File.original_name == pdfa_name(row.original_name), File.ocr == True)  # noqa: E712
    ).first()
