"""A scan with no text layer gets a searchable PDF/A beside its original, made by ocrmypdf in a job."""

from __future__ import annotations

import io
import re

import pypdf
from sqlmodel import select

from dms import jobs, records
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.models import Job, JobStatus, Role
from dms.searching import search_records
from ingest import samples
from ingest.ocr import OCR_JOB
from ingest.pipeline import Intake, ingest_file
from tests.conftest import make_tenant


def blob_bytes(runtime, key: str) -> bytes:
    return b"".join(runtime.backends.blobs.open(key))


def test_scanned_pdf_gets_a_searchable_pdfa_beside_the_original(embedded_runtime, tmp_path):
    runtime = embedded_runtime
    tenant = make_tenant(runtime)
    principal = Principal(user_id=None, email="clerk", role=Role.clerk, tenant_id=tenant.tenant_id)
    letter = samples.letter_text(3)
    word = letter.surname  # a distinctive word of this letter
    scan = samples.write_scanned_pdf(letter, tmp_path / "scan.pdf")
    born_digital = samples.write_pdf(samples.letter_text(4), tmp_path / "lettre.pdf")

    done = ingest_file(runtime, principal, scan, Intake(original_name="scan.pdf"))
    other = ingest_file(runtime, principal, born_digital, Intake(original_name="lettre.pdf"))
    engine = runtime.backends.engine
    with unit_of_work(engine, write=False) as session:
        queued = session.exec(select(Job).where(Job.kind == OCR_JOB, Job.tenant_id == tenant.tenant_id)).all()
    assert len(queued) == 1  # the scan only: a born-digital PDF keeps its own text layer
    original = blob_bytes(runtime, done.files[0].blob_key)

    jobs.run_pending(engine, runtime.handlers(), tenant_id=tenant.tenant_id)  # what the worker does

    with unit_of_work(engine, write=False) as session:
        assert session.get(Job, queued[0].id).status == JobStatus.done
        files = records.files_of(session, records.get(session, tenant.tenant_id, done.record.id))
        assert len(records.files_of(session, records.get(session, tenant.tenant_id, other.record.id))) == 1
    assert [f.original_name for f in files] == ["scan.pdf", "scan.pdfa.pdf"]
    kept, pdfa = files
    assert blob_bytes(runtime, kept.blob_key) == original  # the original is untouched
    assert pdfa.mime == "application/pdf" and pdfa.ocr and word in pdfa.text

    data = blob_bytes(runtime, pdfa.blob_key)
    reader = pypdf.PdfReader(io.BytesIO(data))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    part = re.search(r"pdfaid:part(?:>|=\")(\d)", xmp)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")([ABU])", xmp)
    assert part and part.group(1) == "2" and conformance and conformance.group(1) == "B"
    assert word in reader.pages[0].extract_text()

    # the record is found by a word of the PDF/A's text, and the job is not done twice
    with unit_of_work(engine, write=False) as session:
        result = search_records(session, runtime.backends.search, tenant.tenant_id, word)
    assert done.record.id in [hit["id"] for hit in result["hits"]]
    jobs.run_pending(engine, runtime.handlers(), tenant_id=tenant.tenant_id)
    with unit_of_work(engine, write=False) as session:
        assert len(records.files_of(session, records.get(session, tenant.tenant_id, done.record.id))) == 2
