"""One contract for the extraction port, run unchanged on embedded Tika (native) and on the Tika server.

The letters are generated (ingest.samples), so each test knows which words the file holds. The server is the
one scripts/services.sh starts (or DMS_TEST_TIKA_URL): when it does not answer, these tests fail, they never
skip. OCR needs Tesseract with the fra pack on this machine, for both adapters.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ingest import samples
from ingest.detect import detect_mime
from ingest.extraction import Extraction, ExtractionFailed, ExtractionUnavailable, open_extractor
from ingest.extraction.embedded import EmbeddedExtractor, tika_to_extraction

TIKA_URL = os.environ.get("DMS_TEST_TIKA_URL", "http://127.0.0.1:9998")
OCR_LANGUAGES = "fra+nld+deu+eng"
SEED = 11  # a letter about subsidies ("subside"), from a sender whose name has no accent issue for OCR
FORMATS = ["pdf", "docx", "odt", "rtf", "html", "eml", "txt"]


def normalise(text: str) -> str:
    """Case, accents and line breaks do not matter when looking for a word in extracted text."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"\s+", " ", "".join(c for c in folded if not unicodedata.combining(c)))


def contains(text: str, word: str) -> bool:
    return normalise(word) in normalise(text)


@pytest.fixture(scope="module", params=["embedded", pytest.param("tika-server", marks=pytest.mark.production)])
def extractor(request):
    if request.param == "embedded":
        engine = open_extractor("embedded", ocr_languages=OCR_LANGUAGES, timeout=180)
    else:
        engine = open_extractor(TIKA_URL, ocr_languages=OCR_LANGUAGES, timeout=180)
        assert engine.ping(), f"no Tika server answers at {TIKA_URL} (scripts/services.sh up)"
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def letter() -> samples.SampleLetter:
    return samples.letter_text(SEED)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory, letter) -> Path:
    folder = tmp_path_factory.mktemp("letters")
    for fmt in FORMATS:
        samples.WRITERS[fmt](letter, folder / f"letter.{fmt}")
    samples.write_pdf(letter, folder / "three-pages.pdf", pages=3)
    samples.write_scanned_pdf(letter, folder / "scanned.pdf")
    samples.write_png(letter, folder / "scanned.png")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n")
    (folder / "truncated.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00" * 200)
    return folder


def extract(extractor, path: Path) -> Extraction:
    return extractor.extract(path, detect_mime(path))


def test_ping_answers(extractor):
    assert extractor.ping() is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_holds_the_letters_words(extractor, sample_dir, letter, fmt):
    result = extract(extractor, sample_dir / f"letter.{fmt}")
    assert isinstance(result, Extraction)
    for word in (letter.keyword, letter.surname, letter.reference, "Madame, Monsieur"):
        assert contains(result.text, word), f"{word!r} missing from the {fmt} text: {result.text[:300]!r}"
    # accents survive every format (the body always has "é" words such as "réponse"/"considération")
    assert "é" in result.text
    assert result.ocr is False


@pytest.mark.parametrize("fmt", ["pdf", "docx", "odt", "html"])
def test_title_and_language_come_from_the_document(extractor, sample_dir, letter, fmt):
    result = extract(extractor, sample_dir / f"letter.{fmt}")
    assert result.title == letter.subject
    if fmt != "pdf":  # these formats declare their language (fr-BE, lang="fr")
        assert result.language == "fr"


def test_pdf_page_count(extractor, sample_dir, letter):
    one = extract(extractor, sample_dir / "letter.pdf")
    three = extract(extractor, sample_dir / "three-pages.pdf")
    assert one.pages == 1
    assert three.pages == 3
    assert contains(three.text, letter.surname) and contains(three.text, letter.reference)


def test_metadata_is_flat_strings(extractor, sample_dir):
    result = extract(extractor, sample_dir / "letter.pdf")
    assert result.metadata and all(isinstance(k, str) and isinstance(v, str) for k, v in result.metadata.items())
    assert result.metadata.get("Content-Type", "").startswith("application/pdf")
    assert "X-TIKA:content" not in result.metadata


@pytest.mark.parametrize("name", ["corrupt.pdf", "truncated.pdf"])
def test_corrupt_pdf_fails_for_good(extractor, sample_dir, name):
    with pytest.raises(ExtractionFailed):
        extractor.extract(sample_dir / name, "application/pdf")


def test_missing_file_fails_for_good(extractor, tmp_path):
    with pytest.raises(ExtractionFailed):
        extractor.extract(tmp_path / "absent.pdf", "application/pdf")


@pytest.mark.parametrize("name", ["scanned.pdf", "scanned.png"])
def test_image_only_scan_is_ocred(extractor, sample_dir, letter, name):
    assert shutil.which("tesseract") or not isinstance(extractor, EmbeddedExtractor), (
        "Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-fra"
    )
    result = extract(extractor, sample_dir / name)
    words = [letter.keyword, letter.surname, letter.commune, "Monsieur", "Objet", "administration"]
    found = [word for word in words if contains(result.text, word)]
    assert len(found) >= 3, f"OCR found only {found} in {result.text[:400]!r}"
    assert result.ocr is True
    assert result.pages == 1


def test_born_digital_pdf_is_not_ocred(extractor, sample_dir):
    assert extract(extractor, sample_dir / "letter.pdf").ocr is False


def test_one_extractor_serves_many_threads(extractor, tmp_path):
    """An API server shares one extractor between its threads: every answer must be the right one."""
    jobs = []
    for seed in range(8):
        fmt = ("pdf", "docx", "odt", "html")[seed % 4]
        path = samples.WRITERS[fmt](samples.letter_text(seed), tmp_path / f"letter-{seed}.{fmt}")
        jobs.append((path, samples.letter_text(seed)))

    def run(job):
        path, expected = job
        text = extract(extractor, path).text
        return contains(text, expected.reference) and contains(text, expected.surname)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(run, jobs * 2))


# --- what only one adapter can show -----------------------------------------------------------------------------


@pytest.mark.production
def test_server_at_a_closed_port_is_unavailable(sample_dir):
    engine = open_extractor("http://127.0.0.1:9", ocr_languages=OCR_LANGUAGES, timeout=5)
    assert engine.ping() is False
    with pytest.raises(ExtractionUnavailable):  # not a PDF: a born-digital PDF is read by pdfium, here
        engine.extract(sample_dir / "letter.docx", detect_mime(sample_dir / "letter.docx"))


def test_embedded_worker_that_dies_is_replaced(sample_dir, letter):
    engine = EmbeddedExtractor(ocr=False, timeout=120)
    try:
        assert contains(extract(engine, sample_dir / "letter.txt").text, letter.surname)
        for worker in list(engine._workers):
            worker.process.kill()
            worker.process.join(5)
        assert contains(extract(engine, sample_dir / "letter.txt").text, letter.surname)
    finally:
        engine.close()


def test_embedded_overrun_is_unavailable_and_the_next_call_works(sample_dir, letter):
    """A call that overruns is abandoned (its worker killed): the file is retried later, nothing hangs."""
    engine = EmbeddedExtractor(ocr_languages="fra", ocr=True, timeout=0.5)
    try:
        with pytest.raises(ExtractionUnavailable):
            extract(engine, sample_dir / "scanned.png")  # OCR takes seconds, far more than 0.5 s
        engine.timeout = 120
        assert contains(extract(engine, sample_dir / "letter.txt").text, letter.surname)
    finally:
        engine.close()


def test_embedded_in_process_mode_gives_the_same_text(sample_dir, letter):
    inline = EmbeddedExtractor(ocr=False, isolate=False)
    isolated = EmbeddedExtractor(ocr=False)
    try:
        for fmt in ("pdf", "odt", "eml"):
            path = sample_dir / f"letter.{fmt}"
            assert extract(inline, path) == extract(isolated, path)
    finally:
        isolated.close()


def test_metadata_mapping_is_shared_and_defensive():
    result = tika_to_extraction(
        "\r\nBonjour\r\n",
        {
            "xmpTPg:NPages": ["2"],
            "dc:title": ["  Untitled "],
            "dc:language": "nl-BE",
            "pdf:ocrPageCount": "0",
            "access_permission:can_print": "true",
            "X-TIKA:Parsed-By": ["org.apache.tika.parser.DefaultParser"],
        },
        "application/pdf",
    )
    assert result.text == "Bonjour"
    assert result.pages == 2 and result.title is None and result.language == "nl" and result.ocr is False
    assert "access_permission:can_print" not in result.metadata
    image = tika_to_extraction("Texte lu", {"X-TIKA:Parsed-By": ["x.TesseractOCRParser"]}, "image/png")
    assert image.ocr is True and image.pages == 1
    assert tika_to_extraction("", {"pdf:ocrPageCount": "1"}, "application/pdf").ocr is False
