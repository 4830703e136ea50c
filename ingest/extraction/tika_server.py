"""Extraction on an Apache Tika 3.x server, the production adapter (OCR by the server's Tesseract).

Why httpx rather than the ``tika`` client package (tika-python 3.3.2, read before choosing):

* tika-python can stream a file (it hands an open file to ``requests.put``), but importing it installs a
  file handler on ``$TMPDIR/tika.log`` and a console handler, its configuration is module-global and read
  from the environment at import time, each call is a fresh connection without pooling, TLS verification
  is switched off by default (``verify=False``), and a call that is not told ``TikaClientOnly`` first tries
  to download and start a server jar. None of that is wanted in a server process.
* With httpx the request is exactly what we need: one ``PUT /rmeta/body`` whose body is read from the file
  in 64 KiB chunks (never whole in memory) with its ``Content-Length``, explicit connect/read timeouts,
  a pooled, thread-safe client, and a clear mapping of failures.

``/rmeta/body`` answers JSON: one object per document (the file, then each embedded one: e-mail
attachments, images in office files) with its metadata and ``X-TIKA:content`` produced by the same
BodyContentHandler as the embedded adapter, so both give the same text. A parse failure is *not* an HTTP
error there: the object carries ``X-TIKA:EXCEPTION:container_exception``. The request headers ask for OCR of
image-only PDF pages (``X-Tika-PDFOcrStrategy: auto``) in our languages and cap the text (``writeLimit``).

Failures: no connection, a timeout or a 5xx means the server is unavailable (the file is stored and
extracted later from the job table); 400/413/415/422, or a container exception with no text, means the
file itself cannot be read.

Born-digital PDFs do not go to the server: pdfium reads their text layer in a local child process
(``pdf_text_layer``; a pool of pdfium-only children, no Tika in them), in a few milliseconds instead of a
50 ms round trip with the server's PDF parser. Anything pdfium does not vouch for (scans, mixed, encrypted,
damaged), and anything that goes wrong in that child (a crash, an overrun), goes to the server as before.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx

from ingest.extraction import Extraction, ExtractionFailed, ExtractionUnavailable, left_for_ocr, pdf_text_layer
from ingest.extraction.child_pool import ChildPool
from ingest.extraction.embedded import MAX_TEXT_CHARS, text_came_from_ocr, tika_to_extraction

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
#: The JSON answer is the text (capped by writeLimit) plus metadata: anything far beyond is refused.
MAX_RESPONSE_BYTES = 8 * MAX_TEXT_CHARS
_FILE_ERRORS = frozenset({400, 413, 415, 422})
_CONTENT = "X-TIKA:content"
_CONTAINER_EXCEPTION = "X-TIKA:EXCEPTION:container_exception"


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


class TikaServerExtractor:
    """Extract through a Tika server at ``url`` (``http://127.0.0.1:9998``). One instance serves all threads."""

    def __init__(
        self,
        url: str,
        *,
        ocr_languages: str = "fra",
        timeout: float = 120.0,
        ocr: bool = True,
        max_chars: int = MAX_TEXT_CHARS,
    ) -> None:
        self.url = url.rstrip("/")
        self.ocr_languages = "+".join(lang for lang in re.split(r"[+,\s]+", ocr_languages) if lang)
        self.timeout = timeout
        self.ocr = ocr and bool(self.ocr_languages)
        self.max_chars = max_chars
        # pdfium-only children, started on first use; one per core at most when threads extract at once
        self._text_layer_pool = ChildPool(pdf_text_layer.serve_child, (max_chars,), size=os.cpu_count() or 2,
                                          name="dms-pdfium")
        self._client = httpx.Client(
            base_url=self.url,
            # connecting is quick or the server is down; reading waits for OCR of a long scan
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            headers={"User-Agent": "dms-extraction"},
        )

    def _headers(self, mime: str, size: int, *, ocr: bool = True) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Content-Type": mime or "application/octet-stream",
            "Content-Length": str(size),
            "writeLimit": str(self.max_chars),
        }
        if self.ocr and ocr:
            headers["X-Tika-OCRLanguage"] = self.ocr_languages
            headers["X-Tika-PDFOcrStrategy"] = "auto"
            # Tesseract gives up a little before we do, so a slow page is reported rather than cut off
            headers["X-Tika-OCRtimeoutSeconds"] = str(max(10, int(self.timeout) - 5))
        else:
            headers["X-Tika-OCRskipOcr"] = "true"
            headers["X-Tika-PDFOcrStrategy"] = "no_ocr"
        return headers

    def extract(self, path: Path, mime: str, *, ocr_later: bool = False) -> Extraction:
        """``ocr_later``: the caller OCRs images and PDF pages without a text layer itself (``needs_ocr`` in the
        answer), so the server does not."""
        path = Path(path)
        if path.is_file() and (image := left_for_ocr(mime, ocr_later=ocr_later)) is not None:
            return image
        layer = self._text_layer(path) if mime == "application/pdf" and path.is_file() else None
        if layer is not None and layer.kind == pdf_text_layer.TEXT:
            return tika_to_extraction(layer.text, layer.metadata, mime)
        ocr = pdf_text_layer.tika_should_ocr(layer, mime, ocr_later=ocr_later)  # else the caller OCRs it
        try:
            handle = path.open("rb")
        except OSError as error:
            raise ExtractionFailed(f"{path.name}: {error.strerror or error}") from None
        with handle:
            size = path.stat().st_size
            try:
                with self._client.stream(
                    "PUT", "/rmeta/body", content=_chunks(handle), headers=self._headers(mime, size, ocr=ocr)
                ) as response:
                    body = self._read_body(response, path)
            except httpx.TimeoutException:
                raise ExtractionUnavailable(f"Tika server {self.url}: no answer within {self.timeout:.0f} s") from None
            except httpx.TransportError as error:
                raise ExtractionUnavailable(f"Tika server {self.url} unreachable: {error}") from None
        return self._to_extraction(body, path, mime, needs_ocr=not ocr)

    def _text_layer(self, path: Path) -> pdf_text_layer.TextLayer | None:
        """pdfium's reading of the PDF in a child; None (the server decides) when that child fails."""
        try:
            answer = self._text_layer_pool.call((str(path.resolve()),), self.timeout)
        except Exception as error:  # noqa: BLE001 - crash, overrun, busy: the server reads it as before
            log.warning("text layer of %s not read (%s: %s), the Tika server reads it", path.name,
                        type(error).__name__, error)
            return None
        return answer[1]

    def _read_body(self, response: httpx.Response, path: Path) -> bytes:
        if response.status_code != 200:
            detail = _first_line(response.read()[:2000].decode("utf-8", "replace"))
            if response.status_code in _FILE_ERRORS:
                raise ExtractionFailed(f"{path.name}: Tika cannot read this file (HTTP {response.status_code})")
            raise ExtractionUnavailable(f"Tika server {self.url}: HTTP {response.status_code} {detail}".rstrip())
        received = bytearray()
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) > MAX_RESPONSE_BYTES:
                raise ExtractionFailed(f"{path.name}: extraction output larger than {MAX_RESPONSE_BYTES} bytes")
        return bytes(received)

    def _to_extraction(self, body: bytes, path: Path, mime: str, *, needs_ocr: bool = False) -> Extraction:
        try:
            documents: Any = json.loads(body)
        except ValueError:
            raise ExtractionUnavailable(f"Tika server {self.url}: answer is not JSON") from None
        if not isinstance(documents, list) or not documents or not isinstance(documents[0], dict):
            raise ExtractionUnavailable(f"Tika server {self.url}: unexpected answer")
        container = documents[0]
        texts = [str(doc.get(_CONTENT) or "").strip("\n") for doc in documents if isinstance(doc, dict)]
        text = "\n\n".join(t for t in texts if t.strip())
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
        failure = container.get(_CONTAINER_EXCEPTION)
        if failure and not text.strip():
            raise ExtractionFailed(f"{path.name}: {_first_line(str(failure))}")
        metadata = {key: value for key, value in container.items() if key != _CONTENT}
        embedded = [doc for doc in documents[1:] if isinstance(doc, dict)]
        if embedded:
            metadata["X-TIKA:embedded_count"] = str(len(embedded))
        ocr_elsewhere = any(text_came_from_ocr(doc, str(doc.get(_CONTENT) or "")) for doc in embedded)
        return tika_to_extraction(text, metadata, mime, ocr_elsewhere=ocr_elsewhere, needs_ocr=needs_ocr)

    def ping(self) -> bool:
        try:
            response = self._client.get("/version", timeout=min(5.0, self.timeout))
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and "tika" in response.text.lower()

    def version(self) -> str | None:
        """``Apache Tika 3.3.2``, for the health page; None when unreachable."""
        try:
            response = self._client.get("/version", timeout=min(5.0, self.timeout))
        except httpx.HTTPError:
            return None
        return response.text.strip() if response.status_code == 200 else None

    def close(self) -> None:
        self._client.close()
        self._text_layer_pool.close()
