"""The text-layer fast path: a born-digital PDF is read by pdfium (not Tika), on both stacks; a PDF pdfium does
not vouch for (a scan, a mixed PDF, an encrypted or corrupt one) goes to the configured extractor as before,
and a hostile file cannot take the process down."""

from __future__ import annotations

import io
import os
import signal

import pypdf
import pytest

from dms.accounts import Principal
from dms.models import Role, TextStatus
from ingest import samples
from ingest.extraction import ExtractionFailed, ExtractionUnavailable, open_extractor
from ingest.extraction.embedded import EmbeddedExtractor
from ingest.extraction.pdf_text_layer import MIXED, PARSED_BY, SCAN, TEXT, UNREADABLE, inspect, pdf_date
from ingest.pipeline import Intake, ingest_file
from tests.conftest import make_tenant
from tests.intake_helpers import letter_page, search_ids, write_scan

TIKA_URL = os.environ.get("DMS_TEST_TIKA_URL", "http://127.0.0.1:9998")
MAX = 10_000_000


def mixed_pdf(tmp_path, letter, scanned_letter):
    """A born-digital letter with a scanned annex page (image only), as a clerk's office PDF tool makes it."""
    writer = pypdf.PdfWriter()
    writer.append(str(samples.write_pdf(letter, tmp_path / "body.pdf")))
    writer.append(str(write_scan(tmp_path / "annex.pdf", [letter_page(scanned_letter)])))
    path = tmp_path / "mixed.pdf"
    with path.open("wb") as out:
        writer.write(out)
    return path


def encrypted_pdf(tmp_path, letter):
    writer = pypdf.PdfWriter(clone_from=str(samples.write_pdf(letter, tmp_path / "plain.pdf")))
    writer.encrypt(user_password="", owner_password="proprietaire", algorithm="AES-128")  # noqa: S106 - opens without one
    path = tmp_path / "encrypted.pdf"
    with path.open("wb") as out:
        writer.write(out)
    return path


# --- what counts as a text layer ---------------------------------------------------------------------------------


def test_a_born_digital_pdf_has_a_text_layer_with_tikas_metadata(tmp_path):
    letter = samples.letter_text(11)
    layer = inspect(samples.write_pdf(letter, tmp_path / "l.pdf", pages=3), max_chars=MAX)
    assert layer.kind == TEXT and layer.pages == 3
    for word in (letter.surname, letter.reference, "Madame, Monsieur"):
        assert word in layer.text
    assert layer.metadata["dc:title"] == [letter.subject]
    assert layer.metadata["xmpTPg:NPages"] == ["3"]
    assert layer.metadata["Content-Type"] == ["application/pdf"]
    assert layer.metadata["X-TIKA:Parsed-By"] == [PARSED_BY]


def test_the_text_is_capped(tmp_path):
    layer = inspect(samples.write_pdf(samples.letter_text(1), tmp_path / "l.pdf", pages=3), max_chars=100)
    assert layer.kind == TEXT and len(layer.text) == 100


def test_scans_mixed_encrypted_and_corrupt_pdfs_are_not_read_here(tmp_path):
    letter = samples.letter_text(12)
    assert inspect(samples.write_scanned_pdf(letter, tmp_path / "scan.pdf"), max_chars=MAX).kind == SCAN
    assert inspect(mixed_pdf(tmp_path, letter, samples.letter_text(13)), max_chars=MAX).kind == MIXED
    assert inspect(encrypted_pdf(tmp_path, letter), max_chars=MAX).kind == UNREADABLE
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n")
    assert inspect(tmp_path / "corrupt.pdf", max_chars=MAX).kind == UNREADABLE


def test_pdf_dates_become_utc_like_tika():
    assert pdf_date("D:20250825103000+02'00'") == "2025-08-25T08:30:00Z"
    assert pdf_date("D:2025") == "2025-01-01T00:00:00Z"
    assert pdf_date("yesterday") is None


# --- both adapters ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["embedded", pytest.param("tika-server", marks=pytest.mark.production)])
def extractor(request):
    engine = open_extractor("embedded" if request.param == "embedded" else TIKA_URL, ocr_languages="fra",
                            timeout=180)
    yield engine
    engine.close()


def test_born_digital_pdf_is_read_by_pdfium_with_the_fields_tika_fills(extractor, tmp_path):
    letter = samples.letter_text(14)
    result = extractor.extract(samples.write_pdf(letter, tmp_path / "l.pdf", pages=2), "application/pdf")
    assert result.metadata["X-TIKA:Parsed-By"] == PARSED_BY
    assert result.pages == 2 and result.title == letter.subject and result.ocr is False
    assert letter.reference in result.text and "é" in result.text
    assert result.metadata["dc:creator"] == letter.sender


def test_encrypted_and_scanned_pdfs_still_go_to_tika(extractor, tmp_path):
    letter = samples.letter_text(15)
    encrypted = extractor.extract(encrypted_pdf(tmp_path, letter), "application/pdf")
    assert "PDFParser" in encrypted.metadata["X-TIKA:Parsed-By"] and letter.reference in encrypted.text
    scan = extractor.extract(samples.write_scanned_pdf(letter, tmp_path / "s.pdf", dpi=100), "application/pdf",
                             ocr_later=True)
    assert PARSED_BY not in scan.metadata.get("X-TIKA:Parsed-By", "")
    assert scan.needs_ocr and not scan.text.strip() and scan.ocr is False


def test_corrupt_pdf_fails_as_before(extractor, tmp_path):
    path = tmp_path / "truncated.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00" * 200)
    with pytest.raises(ExtractionFailed):
        extractor.extract(path, "application/pdf")


def test_a_killed_pdfium_child_is_replaced_and_the_process_survives(tmp_path):
    """A native crash on a hostile file kills a child, never the server: the next call gets a fresh child."""
    letter = samples.letter_text(16)
    path = samples.write_pdf(letter, tmp_path / "l.pdf")
    for engine in (EmbeddedExtractor(ocr=False, timeout=60), open_extractor(TIKA_URL, timeout=60)):
        try:
            assert letter.reference in engine.extract(path, "application/pdf").text
            pool = engine._pool if isinstance(engine, EmbeddedExtractor) else engine._text_layer_pool
            (child,) = pool.children
            os.kill(child.process.pid, signal.SIGKILL)  # what a segfault in pdfium does to it
            child.process.join(5)
            again = engine.extract(path, "application/pdf")
            assert letter.reference in again.text and again.metadata["X-TIKA:Parsed-By"] == PARSED_BY
            assert not child.process.is_alive() and any(c.process.is_alive() for c in pool.children)
        finally:
            engine.close()


def test_an_overrun_abandons_the_call_and_the_next_one_works(tmp_path):
    letter = samples.letter_text(17)
    big = samples.write_pdf(letter, tmp_path / "big.pdf", pages=300)
    small = samples.write_pdf(letter, tmp_path / "small.pdf")
    embedded = EmbeddedExtractor(ocr=False, timeout=0.01)
    try:
        with pytest.raises(ExtractionUnavailable):  # the child was killed: retried later, as before
            embedded.extract(big, "application/pdf")
        embedded.timeout = 60
        assert letter.reference in embedded.extract(small, "application/pdf").text
    finally:
        embedded.close()


# --- through the pipeline, on both stacks -----------------------------------------------------------------------


def test_born_digital_pdf_is_registered_with_its_text_and_found(runtime, tmp_path):
    tenant = make_tenant(runtime)
    principal = Principal(user_id=None, email="clerk", role=Role.clerk, tenant_id=tenant.tenant_id)
    letter = samples.letter_text(18)
    done = ingest_file(runtime, principal, samples.write_pdf(letter, tmp_path / "courrier.pdf", pages=3),
                       Intake(original_name="courrier.pdf"))
    (row,) = done.files
    assert row.text_status == TextStatus.done and row.pages == 3 and row.ocr is False
    assert letter.reference in row.text and done.record.subject == letter.subject
    assert done.record.id in search_ids(runtime, tenant.tenant_id, letter.surname)


def test_corrupt_pdf_is_kept_with_its_extraction_failed_as_before(runtime, tmp_path):
    """The bytes say PDF, so the upload is registered; neither pdfium nor Tika can read it: no text, no job."""
    tenant = make_tenant(runtime)
    principal = Principal(user_id=None, email="clerk", role=Role.clerk, tenant_id=tenant.tenant_id)
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00" * 200)
    done = ingest_file(runtime, principal, path, Intake(original_name="broken.pdf"))
    assert done.files[0].text_status == TextStatus.failed and done.files[0].text == ""


def test_pdf_text_and_tika_text_find_the_same_words(tmp_path):
    """The fast path must not lose what Tika found: every word Tika reads in a letter, pdfium reads too."""
    letter = samples.letter_text(19)
    path = samples.write_pdf(letter, tmp_path / "l.pdf", pages=3)
    tika = EmbeddedExtractor(ocr=False, isolate=False)
    from ingest.extraction.embedded import run_native

    text, _ = run_native(tika._reader()._with_ocr, path)
    fast = inspect(path, max_chars=MAX).text
    assert sorted(text.split()) == sorted(fast.split())
    assert pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages  # the file is a plain PDF
