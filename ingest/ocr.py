"""OCR of scans into a searchable PDF/A kept beside the original (ocrmypdf), once per scan.

One OCR pass: a scan used to be recognised twice, by the extractor's Tesseract for its text and by ocrmypdf
for its PDF/A (about 2× the time of Tesseract alone). Now the extractor leaves images and PDF pages without a
text layer alone (``ocr_later``) and :func:`recognise` runs ocrmypdf once where the text is extracted (inline
at registration, or in the worker with ``DMS_EXTRACT_INLINE=false``): its ``--sidecar`` text becomes the
file's text (``ocr`` true, searchable as soon as the record is), and the PDF/A it made waits in
``<data dir>/tmp/pdfa-ready/<sha256 of the original>.pdf`` for the ``ocr_pdfa`` job, which stores it instead
of running OCR again. A job that does not find it (another machine, a cleaned spool, an older record) runs
ocrmypdf itself, as before. If ocrmypdf cannot read a file, the extractor OCRs it as it did before.

Why the PDF/A is stored by a job: the pipeline enqueues ``ocr_pdfa`` in the registration transaction for a
PDF or image whose text came from OCR or is empty (no text layer); the worker (``dms worker``, or the thread
inside ``dms serve``) runs it, so the bytes of the PDF/A follow the rules of every other write.

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
* ``--optimize 0``: the optimisation pass only recompresses images (lossless at level 1): it saved nothing on
  200–300 dpi greyscale scans and cost about 5 s of CPU on a page, measured on the loaded machine.
* It runs in a long-lived child process (``ingest.ocr_child``: ocrmypdf imported once, ``ocrmypdf.ocr`` with
  these options) in its own process group, killed with its Tesseract children on a timeout, with
  ``OMP_THREAD_LIMIT=1`` unless the operator set it: one core per page, pages in parallel.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlmodel import Session, select

from dms import jobs, record_metadata, records
from dms.audit import record_event
from dms.blobs import BlobNotFound, BlobTooLarge, BlobUnavailable
from dms.db import unit_of_work
from dms.models import File, Job, Record, TextStatus
from ingest import ocr_child
from ingest.extraction import Extraction
from ingest.extraction.child_pool import ChildCrashed, ChildStartFailed, PoolBusy
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
#: the exit codes after which OCR itself was done (the sidecar is written) and only the PDF/A failed
OCR_DONE = frozenset({4, 10})
_SKIPPED = re.compile(r"\[OCR skipped on page[^\]]*\]")
#: 3 a program (tesseract) is missing: the operator can install it, so the job waits and tries again.
MISSING_DEPENDENCY = 3
MIN_TIMEOUT_S = 120.0
MAX_TIMEOUT_S = 3600.0
READY_DIR = "pdfa-ready"  # under <data dir>/tmp: PDF/As made at extraction, waiting for their job
READY_MAX_AGE_S = 7 * 24 * 3600  # a PDF/A whose job never came (the upload was refused after extraction)


class OcrUnavailable(RuntimeError):
    """ocrmypdf or Tesseract is not installed here."""


class OcrFailed(ValueError):
    """This file cannot be made into a PDF/A (the reason is in the message). ``text``: what OCR read anyway,
    when only the PDF/A step failed (ocrmypdf writes the sidecar before it converts)."""

    def __init__(self, message: str, text: str | None = None) -> None:
        super().__init__(message)
        self.text = text


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


@cache
def pdfa_available() -> bool:
    """Whether ocrmypdf and Tesseract are installed here, so that a scan can be OCR'd by ocrmypdf alone."""
    return shutil.which("tesseract") is not None and importlib.util.find_spec("ocrmypdf") is not None


def _ready_dir(runtime: Runtime) -> Path:
    return runtime.settings.resolved_data_dir / "tmp" / READY_DIR


def recognise(runtime: Runtime, path: Path, mime: str, extraction: Extraction, *, sha256: str) -> Extraction:
    """The one OCR pass of a scan whose extraction ``needs_ocr``: ocrmypdf makes the PDF/A (kept for the
    ``ocr_pdfa`` job under the original's SHA-256) and its sidecar text completes the extraction (a mixed
    PDF: the text layer's pages, then the OCR'd ones). When ocrmypdf cannot, the extractor OCRs as before."""
    ready = _ready_dir(runtime)
    ready.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="recognise-", dir=ready.parent))
    try:
        made = make_pdfa(path, mime, work / "out.pdf", languages=runtime.settings.ocr_languages,
                         timeout=runtime.settings.extraction_timeout_s, pages=extraction.pages)
        (work / "out.txt").write_text(made.text, encoding="utf-8")
        os.replace(work / "out.txt", ready / f"{sha256}.txt")  # the text first: a PDF/A is only taken with it
        os.replace(made.path, ready / f"{sha256}.pdf")
        read = made.text
    except OcrFailed as exc:
        if exc.text is None:
            log.warning("%s: ocrmypdf could not OCR it (%s); the extractor does", path.name, exc)
            return runtime.extractor.extract(path, mime)
        read = exc.text  # OCR done, no PDF/A possible: the job is told, so that it does not OCR again
        (ready / f"{sha256}.failed").write_text(str(exc), encoding="utf-8")
    except (OcrUnavailable, RuntimeError, OSError) as exc:
        log.warning("%s: ocrmypdf could not OCR it (%s); the extractor does", path.name, exc)
        return runtime.extractor.extract(path, mime)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = "\n\n".join(part for part in (extraction.text.strip(), read) if part)
    return dataclasses.replace(extraction, text=text, ocr=bool(read.strip()), needs_ocr=False)


def _take_ready(runtime: Runtime, sha256: str, into: Path) -> PdfA | None:
    """The PDF/A :func:`recognise` made of this original, moved into ``into`` (None when there is none).
    Raises OcrFailed when it found that no PDF/A can be made of it."""
    ready = _ready_dir(runtime)
    pdf, txt, failed = ready / f"{sha256}.pdf", ready / f"{sha256}.txt", ready / f"{sha256}.failed"
    try:
        reason = failed.read_text(encoding="utf-8")
    except OSError:
        pass
    else:
        failed.unlink(missing_ok=True)
        raise OcrFailed(reason)
    try:
        os.replace(pdf, into / "ready.pdf")
        text = txt.read_text(encoding="utf-8")
    except OSError:
        return None
    txt.unlink(missing_ok=True)
    return PdfA(path=into / "ready.pdf", text=text)


def _sweep_ready(runtime: Runtime) -> None:
    ready = _ready_dir(runtime)
    if not ready.is_dir():
        return
    limit = time.time() - READY_MAX_AGE_S
    for entry in ready.iterdir():
        try:
            if entry.stat().st_mtime < limit:
                entry.unlink()
        except OSError:
            pass


def make_pdfa(source: Path, mime: str, output: Path, *, languages: str, timeout: float,
              pages: int | None = None) -> PdfA:
    """Run ocrmypdf: ``source`` (PDF or image) to a searchable PDF/A-2b at ``output``."""
    if not shutil.which("tesseract"):
        raise OcrUnavailable("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-fra)")
    if importlib.util.find_spec("ocrmypdf") is None:  # it runs in a child process (ocr_child), not here
        raise OcrUnavailable("ocrmypdf is not installed (pip install ocrmypdf)")
    langs = usable_ocr_languages(languages) or "eng"
    sidecar = output.with_name(output.name + ".txt")
    options: dict[str, object] = {
        "input_file_or_options": str(source), "output_file": str(output), "language": langs.split("+"),
        "skip_text": True, "output_type": "pdfa", "pdfa_backend": "internal", "rasterizer": "pypdfium",
        "optimize": 0, "sidecar": str(sidecar), "progress_bar": False,
    }
    if mime in IMAGE_MIMES:
        options["image_dpi"] = 300  # used only when the image does not say its resolution
    limit = min(MAX_TIMEOUT_S, max(MIN_TIMEOUT_S, timeout * max(1, pages or 1)))
    try:
        returncode, message = ocr_child.run(options, limit)
    except TimeoutError:
        raise RuntimeError(f"ocrmypdf took longer than {limit:.0f} s") from None
    except (ChildCrashed, ChildStartFailed, PoolBusy) as exc:
        raise RuntimeError(f"ocrmypdf: {type(exc).__name__} {exc}") from None
    last = [message.strip().splitlines()[-1] if message.strip() else ""]
    if returncode == MISSING_DEPENDENCY:
        raise OcrUnavailable(f"ocrmypdf: a program it needs is missing: {last[0]}")
    if returncode in PERMANENT:
        read = _sidecar_text(sidecar) if returncode in OCR_DONE and sidecar.exists() else None
        raise OcrFailed(f"ocrmypdf: {PERMANENT[returncode]}: {last[0]}", text=read)
    if returncode != 0:
        raise RuntimeError(f"ocrmypdf exited with {returncode}: {last[0]}")
    return PdfA(path=output, text=_sidecar_text(sidecar) if sidecar.exists() else "")


def _sidecar_text(sidecar: Path) -> str:
    text = sidecar.read_text(encoding="utf-8", errors="replace")
    # pages skipped by --skip-text appear as a placeholder (followed by the next page's text on the same
    # line); their text is in the original's text already
    text = _SKIPPED.sub("\n", text)
    return text.replace("\f", "\n").strip()


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
    _sweep_ready(runtime)
    work = Path(tempfile.mkdtemp(prefix=f"ocr-{file_id}-", dir=spool))
    try:
        try:
            made = _take_ready(runtime, row.sha256, work)  # made when the text was extracted: no second OCR
        except OcrFailed as exc:
            log.warning("file %s (%s): no PDF/A: %s", file_id, row.original_name, exc)
            return
        source = work / ("source" + (".pdf" if row.mime == "application/pdf" else ".img"))
        try:
            if made is None:
                with source.open("wb") as out:
                    for chunk in runtime.backends.blobs.open(row.blob_key):
                        out.write(chunk)
        except BlobUnavailable as exc:
            raise jobs.RetryLater(str(exc)) from exc
        except BlobNotFound:
            log.error("file %s: blob %s is missing, no PDF/A made (see dms fsck)", file_id, row.blob_key)
            return
        try:
            made = made or make_pdfa(source, row.mime, work / "out.pdf", languages=settings.ocr_languages,
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
