"""The extraction port: text, page count and metadata out of a file, in-process or on a Tika server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class ExtractionUnavailable(RuntimeError):
    """The extractor cannot be reached now (Tika server down): the file is stored and extracted later."""


class ExtractionFailed(ValueError):
    """The file itself cannot be read (corrupt, encrypted): retrying will not help."""


@dataclass(frozen=True)
class Extraction:
    text: str
    pages: int | None = None
    language: str | None = None
    title: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    ocr: bool = False
    #: pages (or an image) left without OCR because the caller said ``ocr_later``: the caller OCRs them
    needs_ocr: bool = False


#: Single-page images that Tika can only read with OCR: when the caller OCRs them itself (``ocr_later``), Tika
#: would find nothing but their dimensions, so it is not asked (TIFF still is: it may hold several pages).
SINGLE_PAGE_IMAGES = frozenset({"image/png", "image/jpeg"})


def left_for_ocr(mime: str, *, ocr_later: bool) -> Extraction | None:
    """The answer for a single-page image that the caller OCRs itself, without asking Tika; else None."""
    if ocr_later and mime in SINGLE_PAGE_IMAGES:
        return Extraction(text="", pages=1, metadata={"Content-Type": mime}, needs_ocr=True)
    return None


class Extractor(Protocol):
    def extract(self, path: Path, mime: str, *, ocr_later: bool = False) -> Extraction:
        """Read the file at ``path`` (whose MIME was detected from its bytes) and return its text.

        A PDF whose every page has a text layer is read by pdfium (``pdf_text_layer``), anything else by Tika.
        ``ocr_later``: the caller OCRs images and PDF pages without a text layer itself (with ocrmypdf, which
        also makes the PDF/A of ``ingest.ocr``), so they are not OCR'd here and the answer says ``needs_ocr``:
        one OCR pass, not two.
        """

    def ping(self) -> bool: ...

    def close(self) -> None:
        """Release the child process or connection pool."""


def open_extractor(url: str, *, ocr_languages: str = "fra", timeout: float = 120.0) -> Extractor:
    if url in ("", "embedded"):
        from ingest.extraction.embedded import EmbeddedExtractor

        return EmbeddedExtractor(ocr_languages=ocr_languages, timeout=timeout)
    if url.startswith(("http://", "https://")):
        from ingest.extraction.tika_server import TikaServerExtractor

        return TikaServerExtractor(url, ocr_languages=ocr_languages, timeout=timeout)
    raise ValueError(f"DMS_TIKA_URL: unsupported value {url!r} (use 'embedded' or http://host:9998)")
