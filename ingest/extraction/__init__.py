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


class Extractor(Protocol):
    def extract(self, path: Path, mime: str) -> Extraction:
        """Read the file at ``path`` (whose MIME was detected from its bytes) and return its text."""

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
