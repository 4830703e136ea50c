"""One OCR pass per scan, on both stacks: the extractor (embedded Tika or the Tika server) does not OCR a scan,
ocrmypdf does, once, for the text registered with the file and for the PDF/A that the ``ocr_pdfa`` job stores.

What is observed: every run of the real ``tesseract`` on this machine, through a logging wrapper first on PATH
(the embedded extractor's child and ocrmypdf both find Tesseract through PATH); the Tika server's Tesseract is
not on this PATH, so on that stack the proof is that the file's text is exactly ocrmypdf's sidecar text.
"""

from __future__ import annotations

import io
import os
import shutil
import stat

import pypdf
import pytest

from dms import jobs, records
from dms.accounts import Principal
from dms.contacts import fold
from dms.db import unit_of_work
from dms.models import Role
from ingest import ocr, ocr_child, samples
from ingest.pipeline import Intake, ingest_file
from ingest.runtime import open_runtime
from tests.conftest import embedded_runtime_for, embedded_settings_for, make_tenant
from tests.intake_helpers import letter_page, search_ids, write_scan


@pytest.fixture(params=["embedded", "production"])
def ocr_runtime(request, tmp_path):
    """French OCR only, like the commune's own settings: a quarter of the Tesseract work of the four packs."""
    if request.param == "embedded":
        runtime = embedded_runtime_for(embedded_settings_for(tmp_path, ocr_languages="fra"))
    else:
        settings = request.getfixturevalue("production_settings")
        runtime = open_runtime(settings.model_copy(update={"ocr_languages": "fra"}))
    yield runtime
    runtime.extractor.close()


@pytest.fixture
def tesseract_runs(tmp_path, monkeypatch):
    """A ``tesseract`` first on PATH that logs each OCR run, then runs the real one."""
    real = shutil.which("tesseract")
    assert real, "apt-get install tesseract-ocr tesseract-ocr-fra"
    folder, log = tmp_path / "bin", tmp_path / "tesseract-runs.log"
    folder.mkdir()
    wrapper = folder / "tesseract"
    # Tika runs a bare ``tesseract`` to see that it is there: only runs on an image are counted
    wrapper.write_text(f'#!/bin/sh\ncase "$1" in --*|"") ;; *) echo "$@" >> "{log}" ;; esac\nexec {real} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    ocr_child.close()  # the ocrmypdf children inherit PATH when they start: fresh ones for this test

    def count() -> int:
        lines = log.read_text().splitlines() if log.exists() else []
        return len(lines)

    yield count
    ocr_child.close()


def clerk(runtime):
    tenant = make_tenant(runtime)
    return tenant, Principal(user_id=None, email="greffe", role=Role.clerk, tenant_id=tenant.tenant_id)


def run_worker(runtime, tenant_id: str) -> None:
    jobs.run_pending(runtime.backends.engine, runtime.handlers(), tenant_id=tenant_id)


def files_of(runtime, tenant_id: str, record_id: str):
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return records.files_of(session, records.get(session, tenant_id, record_id))


def ready_pdfas(runtime) -> list[str]:
    folder = runtime.settings.resolved_data_dir / "tmp" / ocr.READY_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_a_scan_is_ocrd_once_and_found_by_its_ocr_text(ocr_runtime, tesseract_runs, tmp_path, kind):
    runtime = ocr_runtime
    tenant, principal = clerk(runtime)
    letter = samples.letter_text(31)
    if kind == "pdf":
        scan = write_scan(tmp_path / "scan.pdf", [letter_page(letter)])
    else:
        scan = tmp_path / "scan.png"
        letter_page(letter).save(scan, format="PNG", dpi=(100, 100))

    done = ingest_file(runtime, principal, scan, Intake(original_name=scan.name))

    (original,) = done.files
    assert original.ocr and fold(letter.surname) in fold(original.text)  # searchable from registration on
    assert done.record.id in search_ids(runtime, tenant.tenant_id, letter.surname)
    assert tesseract_runs() == 1  # one page, one run of Tesseract: by ocrmypdf, not by the extractor
    assert ready_pdfas(runtime) == sorted([f"{original.sha256}.pdf", f"{original.sha256}.txt"])

    run_worker(runtime, tenant.tenant_id)  # the ocr_pdfa job stores the PDF/A made at registration

    kept, pdfa = files_of(runtime, tenant.tenant_id, done.record.id)
    assert pdfa.original_name == "scan.pdfa.pdf" and pdfa.ocr
    assert pdfa.text == original.text  # one recognition: the sidecar text is the file's text
    assert tesseract_runs() == 1  # and no second OCR in the job
    assert ready_pdfas(runtime) == []
    reader = pypdf.PdfReader(io.BytesIO(b"".join(runtime.backends.blobs.open(pdfa.blob_key))))
    assert fold(letter.surname) in fold(reader.pages[0].extract_text())
    assert done.record.id in search_ids(runtime, tenant.tenant_id, letter.surname)


def test_a_mixed_pdf_gets_its_text_layer_and_its_scanned_page_in_one_pass(ocr_runtime, tesseract_runs, tmp_path):
    runtime = ocr_runtime
    tenant, principal = clerk(runtime)
    body, annex = samples.letter_text(32), samples.letter_text(33)
    writer = pypdf.PdfWriter()
    writer.append(str(samples.write_pdf(body, tmp_path / "body.pdf")))
    writer.append(str(write_scan(tmp_path / "annex.pdf", [letter_page(annex)])))
    mixed = tmp_path / "mixed.pdf"
    with mixed.open("wb") as out:
        writer.write(out)

    done = ingest_file(runtime, principal, mixed, Intake(original_name="mixed.pdf"))

    (original,) = done.files
    assert original.pages == 2 and original.ocr
    assert body.reference in original.text  # the text layer of page 1
    assert fold(annex.surname) in fold(original.text)  # the OCR of page 2
    assert tesseract_runs() == 1  # page 2 only, once
    run_worker(runtime, tenant.tenant_id)
    files = files_of(runtime, tenant.tenant_id, done.record.id)
    # pikepdf may not confirm this one as PDF/A (ocrmypdf exit 10, as before): the job then keeps no PDF/A,
    # and it knows that from the registration's OCR run, so it does not OCR again either
    assert len(files) in (1, 2) and all(fold(annex.surname) in fold(f.text) for f in files)
    assert tesseract_runs() == 1
    assert done.record.id in search_ids(runtime, tenant.tenant_id, annex.surname)
    assert done.record.id in search_ids(runtime, tenant.tenant_id, body.surname)


def test_the_job_ocrs_the_scan_itself_when_the_ready_pdfa_is_gone(ocr_runtime, tesseract_runs, tmp_path):
    """A worker on another machine, or a cleaned spool: the PDF/A is still made, by OCR'ing again."""
    runtime = ocr_runtime
    tenant, principal = clerk(runtime)
    letter = samples.letter_text(34)
    done = ingest_file(runtime, principal, write_scan(tmp_path / "scan.pdf", [letter_page(letter)]),
                       Intake(original_name="scan.pdf"))
    for name in ready_pdfas(runtime):
        (runtime.settings.resolved_data_dir / "tmp" / ocr.READY_DIR / name).unlink()

    run_worker(runtime, tenant.tenant_id)

    kept, pdfa = files_of(runtime, tenant.tenant_id, done.record.id)
    assert pdfa.ocr and fold(letter.surname) in fold(pdfa.text)
    assert tesseract_runs() == 2


def test_born_digital_pdfs_are_never_ocrd(ocr_runtime, tesseract_runs, tmp_path):
    runtime = ocr_runtime
    tenant, principal = clerk(runtime)
    done = ingest_file(runtime, principal, samples.write_pdf(samples.letter_text(35), tmp_path / "l.pdf"),
                       Intake(original_name="l.pdf"))
    run_worker(runtime, tenant.tenant_id)
    assert len(files_of(runtime, tenant.tenant_id, done.record.id)) == 1 and not done.files[0].ocr
    assert tesseract_runs() == 0
