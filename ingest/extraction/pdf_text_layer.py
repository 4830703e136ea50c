"""The text-layer fast path for PDFs: pdfium reads a born-digital PDF's text in a few milliseconds.

Why: iscc-tika (and the Tika server) spend 50–120 ms of CPU on a 1–3 page born-digital PDF; pdfium
(``pypdfium2``, installed with ocrmypdf) reads the same text in about 4 ms. Tika stays the extractor for every
other type and for the PDFs this module does not vouch for.

What counts as "has a text layer" (the rule of Tika's own ``PdfOcrStrategy.AUTO``, so a PDF gets the same
treatment whichever reads it): **every** page holds at least :data:`MIN_CHARS_PER_PAGE` non-blank characters,
and no more than :data:`MAX_UNMAPPED_SHARE` of the sampled characters lack a Unicode mapping (a font without
a ToUnicode map gives mojibake, which Tika AUTO would OCR). Anything else is not read here:

* ``scan``: no page has a single non-blank character (an image-only PDF). The caller may leave OCR to the
  PDF/A job (ocrmypdf ``--skip-text`` OCRs exactly such pages), see :mod:`ingest.ocr`.
* ``mixed``: some pages have text and some have little or none (a scanned page in a born-digital letter, a
  scan with a stamped page number), or the text is badly mapped. Tika reads it, OCR'ing the weak pages inline.
* ``unreadable``: pdfium cannot open it, it is encrypted (even with an empty user password), or has no page.
  Tika reads it or reports the error exactly as before the fast path existed.

The text and metadata come back as Tika would name them (``dc:title``, ``xmpTPg:NPages``…), so the one
mapping ``tika_to_extraction`` makes the :class:`~ingest.extraction.Extraction` from either source. pdfium is
native code: callers run :func:`inspect` in a child process (see ``child_pool``), never in a server process.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.extraction.child_pool import detach, serve

#: Tika's AUTO strategy OCRs a page with fewer characters than this; we read a page only at or above it.
MIN_CHARS_PER_PAGE = 10
#: More unmapped glyphs than this share (Tika's threshold too) and the text is not trusted.
MAX_UNMAPPED_SHARE = 0.1
#: Characters of each page checked for a missing Unicode mapping (a ctypes call each: a sample is enough).
UNMAPPED_SAMPLE = 200
PARSED_BY = "pypdfium2"

TEXT, SCAN, MIXED, UNREADABLE = "text", "scan", "mixed", "unreadable"


@dataclass(frozen=True)
class TextLayer:
    """What pdfium found: ``kind`` (``text``/``scan``/``mixed``/``unreadable``); text and metadata only for text."""

    kind: str
    text: str = ""
    metadata: dict[str, list[str]] = field(default_factory=dict)
    pages: int | None = None
    reason: str = ""


_DOCINFO = {  # pdfium's /Info keys -> the keys Tika's PDFParser sets for them
    "Title": ("dc:title", "pdf:docinfo:title"),
    "Author": ("dc:creator", "pdf:docinfo:creator"),
    "Subject": ("dc:subject", "pdf:docinfo:subject"),
    "Keywords": ("pdf:docinfo:keywords", "meta:keyword"),
    "Creator": ("xmp:CreatorTool", "pdf:docinfo:creator_tool"),
    "Producer": ("pdf:producer", "pdf:docinfo:producer"),
    "CreationDate": ("dcterms:created", "pdf:docinfo:created"),
    "ModDate": ("dcterms:modified", "pdf:docinfo:modified"),
}
_PDF_DATE = re.compile(
    r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)


def pdf_date(value: str) -> str | None:
    """``D:20250825103000+02'00'`` -> ``2025-08-25T08:30:00Z`` (UTC, as Tika writes dates); None if not a date."""
    match = _PDF_DATE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, _z, sign, off_h, off_m = match.groups()
    try:
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0)) * (-1 if sign == "-" else 1)
        moment = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                          int(second or 0), tzinfo=timezone(offset))
    except ValueError:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _language(pdfium_raw, doc) -> str | None:
    """The catalog's ``/Lang`` (Tika reports it as ``dc:language``)."""
    size = pdfium_raw.FPDFCatalog_GetLanguage(doc.raw, None, 0)
    if size <= 2 or size > 200:
        return None
    buffer = ctypes.create_string_buffer(size)
    pdfium_raw.FPDFCatalog_GetLanguage(doc.raw, buffer, size)
    return buffer.raw[: size - 2].decode("utf-16-le", "replace").strip() or None


def _metadata(pdfium_raw, doc, pages: int) -> dict[str, list[str]]:
    version = doc.get_version()
    metadata: dict[str, list[str]] = {
        "Content-Type": ["application/pdf"],
        "xmpTPg:NPages": [str(pages)],
        "pdf:encrypted": ["false"],
        "X-TIKA:Parsed-By": [PARSED_BY],
    }
    if version:
        dotted = f"{version // 10}.{version % 10}"
        metadata["pdf:PDFVersion"] = [dotted]
        metadata["dc:format"] = [f"application/pdf; version={dotted}"]
    for key, value in doc.get_metadata_dict(skip_empty=True).items():
        value = value.strip()
        if key.endswith("Date"):
            value = pdf_date(value) or ""
        if value:
            for name in _DOCINFO.get(key, ()):
                metadata[name] = [value]
    language = _language(pdfium_raw, doc)
    if language:
        metadata["dc:language"] = [language]
    return metadata


def _unmapped_share(pdfium_raw, textpage, count: int) -> float:
    sample = min(count, UNMAPPED_SAMPLE)
    if sample == 0:
        return 0.0
    errors = sum(1 for index in range(sample) if pdfium_raw.FPDFText_HasUnicodeMapError(textpage.raw, index) == 1)
    return errors / sample


def inspect(path: Path, *, max_chars: int) -> TextLayer:
    """Read ``path``'s text layer if every page has one; otherwise say why not (see the module docstring)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_raw

    try:
        doc = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError, ValueError) as error:
        return TextLayer(UNREADABLE, reason=str(error)[:200])
    try:
        if pdfium_raw.FPDF_GetSecurityHandlerRevision(doc.raw) != -1:
            return TextLayer(UNREADABLE, reason="encrypted")
        pages = len(doc)
        if pages == 0:
            return TextLayer(UNREADABLE, reason="no page")
        texts: list[str] = []
        kept = 0
        with_text = without_text = weak = 0
        for index in range(pages):
            page = doc[index]
            try:
                textpage = page.get_textpage()
                try:
                    count = textpage.count_chars()
                    text = textpage.get_text_bounded() if count else ""
                    solid = len("".join(text.split()))
                    if solid == 0:
                        without_text += 1
                    elif (solid < MIN_CHARS_PER_PAGE
                          or _unmapped_share(pdfium_raw, textpage, count) > MAX_UNMAPPED_SHARE):
                        weak += 1
                    else:
                        with_text += 1
                finally:
                    textpage.close()
            finally:
                page.close()
            if with_text and (without_text or weak):
                return TextLayer(MIXED, pages=pages, reason=f"page {index + 1} has no usable text layer")
            if weak:
                return TextLayer(MIXED, pages=pages, reason=f"page {index + 1} has little or unmapped text")
            if kept < max_chars and text:
                texts.append(text[: max_chars - kept])
                kept += len(texts[-1]) + 2
        if without_text == pages:
            return TextLayer(SCAN, pages=pages, reason="no page has a text layer")
        return TextLayer(TEXT, text="\n\n".join(texts)[:max_chars], metadata=_metadata(pdfium_raw, doc, pages),
                         pages=pages)
    except pdfium.PdfiumError as error:  # a damaged page: Tika decides what to make of it
        return TextLayer(UNREADABLE, reason=str(error)[:200])
    finally:
        doc.close()


def tika_should_ocr(layer: TextLayer | None, mime: str, *, ocr_later: bool) -> bool:
    """Whether the fallback (Tika) should OCR: not when the caller OCRs the file itself (``ocr_later``) and it
    is an image or a PDF with pages that have no text layer (a scan, or a mixed PDF). An unreadable or
    encrypted PDF is read by Tika with OCR exactly as before: ocrmypdf could not do better with it."""
    if not ocr_later:
        return True
    if mime.startswith("image/"):
        return False
    return not (layer is not None and layer.kind in (SCAN, MIXED))


def serve_child(conn: Connection, max_chars: int) -> None:
    """Main loop of a pdfium-only child (the Tika server adapter's fast path): ``(path,)`` -> ``("ok", layer)``."""
    detach()

    def answer(request: tuple[str]) -> tuple[str, TextLayer]:
        try:
            return "ok", inspect(Path(request[0]), max_chars=max_chars)
        except Exception as error:  # noqa: BLE001 - the parent falls back to Tika
            return "ok", TextLayer(UNREADABLE, reason=f"{type(error).__name__}: {error}"[:200])

    serve(conn, answer)
