"""The sample-mail generator: deterministic letters, and every writer gives the format it claims."""

from __future__ import annotations

import email
import email.policy
import zipfile

import pytest
from pypdf import PdfReader

from ingest import samples
from ingest.detect import detect_mime

EXPECTED_MIME = {
    "pdf": "application/pdf",
    "scanned.pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "tif": "image/tiff",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "eml": "message/rfc822",
    "rtf": "text/rtf",
    "html": "text/html",
    "txt": "text/plain",
}


def test_every_writer_is_covered():
    assert set(samples.WRITERS) == set(EXPECTED_MIME)


@pytest.mark.parametrize("fmt", sorted(EXPECTED_MIME))
def test_writer_gives_the_expected_type(tmp_path, fmt):
    path = samples.write_sample(21, tmp_path, fmt)
    assert path.exists() and path.stat().st_size > 0
    assert detect_mime(path) == EXPECTED_MIME[fmt]


def test_letters_are_deterministic_and_varied():
    assert samples.letter_text(5) == samples.letter_text(5)
    letters = [samples.letter_text(seed) for seed in range(50)]
    assert len({letter.text for letter in letters}) == 50
    assert {letter.topic for letter in letters[:7]} == {topic.code for topic in samples.TOPICS}


def test_letter_reads_like_french_commune_mail():
    letter = samples.letter_text(0)
    assert letter.keyword in letter.subject.lower() or letter.keyword in letter.text.lower()
    assert letter.recipient[0].startswith("Administration communale de ")
    assert "Madame, Monsieur," in letter.text and letter.closing in letter.text
    assert any(char in letter.text for char in "éèàç")
    for word in letter.distinctive_words:
        assert word in letter.text


def test_born_digital_pdf_has_the_pages_asked_and_a_text_layer(tmp_path):
    letter = samples.letter_text(8)
    for pages in (1, 2, 3):
        reader = PdfReader(samples.write_pdf(letter, tmp_path / f"l{pages}.pdf", pages=pages))
        assert len(reader.pages) == pages
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert letter.reference in text and letter.surname in text
        assert reader.metadata.title == letter.subject


def test_born_digital_pdf_bytes_are_reproducible(tmp_path):
    letter = samples.letter_text(9)
    first = samples.write_pdf(letter, tmp_path / "a.pdf").read_bytes()
    assert samples.write_pdf(letter, tmp_path / "b.pdf").read_bytes() == first


def test_scanned_pdf_has_no_text_layer(tmp_path):
    reader = PdfReader(samples.write_scanned_pdf(samples.letter_text(4), tmp_path / "scan.pdf"))
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().strip() == ""
    assert list(reader.pages[0].images), "the page is one image"


def test_eml_carries_the_letter_and_its_attachment(tmp_path):
    letter = samples.letter_text(2)
    pdf = samples.write_pdf(letter, tmp_path / "courrier.pdf")
    path = samples.write_eml(letter, tmp_path / "courriel.eml", attachment=pdf)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == letter.subject
    assert letter.sender_email in message["From"]
    assert letter.reference in message.get_body(("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "courrier.pdf"
    assert attachment.get_content() == pdf.read_bytes()


def test_office_and_text_formats_hold_the_text(tmp_path):
    letter = samples.letter_text(6)
    with zipfile.ZipFile(samples.write_docx(letter, tmp_path / "l.docx")) as docx:
        assert letter.reference in docx.read("word/document.xml").decode()
    with zipfile.ZipFile(samples.write_odt(letter, tmp_path / "l.odt")) as odt:
        assert odt.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert letter.reference in odt.read("content.xml").decode()
    rtf = samples.write_rtf(letter, tmp_path / "l.rtf").read_text(encoding="ascii")
    assert rtf.startswith("{\\rtf1") and "\\u233?" in rtf  # "é", escaped the RTF way
    html = samples.write_html(letter, tmp_path / "l.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "<title>" in html
    assert samples.write_txt(letter, tmp_path / "l.txt").read_text(encoding="utf-8") == letter.text


def test_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown sample format"):
        samples.write_sample(1, tmp_path, "exe")
