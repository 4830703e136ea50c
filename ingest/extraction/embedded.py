"""Extraction in this process's machine, with Apache Tika compiled to native code (iscc-tika).

What was measured with iscc-tika 0.6.0 (Tika 3.3.2 inside) on Debian 12, and what follows from it:

* One ``iscc_tika.Extractor`` may be shared by threads: it is an immutable configuration, every call attaches
  the calling thread to one shared GraalVM isolate and builds a fresh parser. 72 concurrent extractions from
  4 threads gave the right text every time.
* But a call holds the GIL for its whole duration (a Python thread ticking every 10 ms ticked twice during a
  7 s OCR). In an API server that would freeze every request while a scan is OCR'd, and a crash in native
  code on a hostile file would take the server down. So by default the work runs in a dedicated child
  process (started with ``spawn``, never ``fork``: the isolate must not be copied), kept alive and reused;
  a call that overruns kills the worker's process group, so the tesseract it started dies with it.
  ``isolate=False`` calls the library in-process, for the CLI and benchmarks where nothing else waits.
* OCR works when the ``tesseract`` program is on PATH, **only** with ``TesseractOcrConfig.set_skip_ocr(False)``
  (the binding skips OCR by default): images go through Tika's TesseractOCRParser, and with
  ``PdfOcrStrategy.AUTO`` a PDF page without a text layer is rendered and OCR'd while born-digital pages are
  not (no cost for them). Metadata ``pdf:ocrPageCount`` then counts the OCR'd pages.
* A corrupt file raises ``TypeError('ParseError(...)')``; a missing one ``TypeError('IoError(...)')``.
* Tesseract uses OpenMP threads; on a busy machine ``OMP_THREAD_LIMIT=1`` in the environment (inherited by the
  child) avoids oversubscribing the cores. We leave that choice to the operator.
* Born-digital PDFs do not reach Tika: pdfium reads their text layer in the same child (``pdf_text_layer``),
  about 4 ms instead of 110 ms for a 1–3 page letter. Tika reads every other type and the PDFs pdfium does not
  vouch for (scans, mixed, encrypted, damaged).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ingest.extraction import Extraction, ExtractionFailed, ExtractionUnavailable, left_for_ocr, pdf_text_layer
from ingest.extraction.child_pool import ChildCrashed, ChildPool, ChildStartFailed, PoolBusy, detach, serve

log = logging.getLogger(__name__)

#: Longest text kept from one file: a 2,000-page report fits, a hostile file cannot exhaust memory.
MAX_TEXT_CHARS = 10_000_000
DEFAULT_TIMEOUT = 300.0

RawResult = tuple[str, dict[str, list[str]]]


# --- Tika metadata -> Extraction (shared with the Tika server adapter) -----------------------------------------

_PAGE_KEYS = ("xmpTPg:NPages", "meta:page-count", "Page-Count", "meta:slide-count")
_LANGUAGE_KEYS = ("dc:language", "Content-Language", "language", "Message:Raw-Header:Content-Language")
_TITLE_JUNK = re.compile(
    r"^(untitled|sans titre|document\d*|doc\d*|titel|title|microsoft word - .*|\s*|[^\w]*)$", re.IGNORECASE
)
_DROPPED_PREFIXES = ("access_permission:", "X-TIKA:content", "X-TIKA:Parsed-By-Full-Set", "pdf:charsPerPage",
                     "pdf:unmappedUnicodeCharsPerPage")  # fmt: skip
MAX_METADATA_KEYS = 200
MAX_METADATA_VALUE = 2_000


def text_came_from_ocr(metadata: Mapping[str, Any], text: str) -> bool:
    """Whether this document's own text was produced by Tesseract (an image, or OCR'd PDF pages)."""
    if not text.strip():
        return False
    parsed_by = metadata.get("X-TIKA:Parsed-By") or ()
    if isinstance(parsed_by, str):
        parsed_by = [parsed_by]
    return (_as_int(_first(metadata, "pdf:ocrPageCount")) or 0) > 0 or any("TesseractOCRParser" in p for p in parsed_by)


def _first(metadata: Mapping[str, Sequence[str] | str], *keys: str) -> str | None:
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, str):
            value = [value]
        for item in value or ():
            if item and item.strip():
                return item.strip()
    return None


def _as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _language(value: str | None) -> str | None:
    """``fr-BE`` / ``FR`` / ``fr_BE`` -> ``fr``: the analysis chain only needs the primary language."""
    if not value:
        return None
    primary = re.split(r"[-_,; ]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _title(value: str | None) -> str | None:
    """A title worth showing: not empty, not a placeholder like 'Untitled' or 'Document1'."""
    if not value:
        return None
    title = " ".join(value.split())
    if _TITLE_JUNK.match(title) or re.search(r"\.(docx?|odt|pdf|rtf|xlsx?|pptx?|tmp)$", title, re.IGNORECASE):
        return None
    return title[:500]


def _flatten(metadata: Mapping[str, Sequence[str] | str]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in metadata.items():
        if key.startswith(_DROPPED_PREFIXES) or len(flat) >= MAX_METADATA_KEYS:
            continue
        values = [value] if isinstance(value, str) else [str(item) for item in value]
        text = "; ".join(item.strip() for item in values if item and item.strip())
        if text:
            flat[key] = text[:MAX_METADATA_VALUE]
    return flat


def tika_to_extraction(
    text: str, metadata: Mapping[str, Sequence[str] | str], mime: str, *, ocr_elsewhere: bool = False,
    needs_ocr: bool = False,
) -> Extraction:
    """The one mapping from Tika's output (text + metadata, native or server) to our :class:`Extraction`.

    ``ocr_elsewhere`` says that an embedded document (a scan attached to an e-mail) was OCR'd, which the
    container's own metadata does not show.
    """
    text = text.replace("\r\n", "\n")
    pages = _as_int(_first(metadata, *_PAGE_KEYS))
    if pages is None and mime.startswith("image/") and mime != "image/tiff":
        pages = 1
    ocr = (ocr_elsewhere and bool(text.strip())) or text_came_from_ocr(metadata, text)
    return Extraction(
        text=text.strip("\n"),
        pages=pages,
        language=_language(_first(metadata, *_LANGUAGE_KEYS)),
        title=_title(_first(metadata, "dc:title", "title", "pdf:docinfo:title")),
        metadata=_flatten(metadata),
        ocr=ocr,
        needs_ocr=needs_ocr,
    )


# --- building the native extractor ------------------------------------------------------------------------------


@cache
def installed_ocr_languages() -> frozenset[str]:
    """The Tesseract language packs installed here (``tesseract --list-langs``), empty without Tesseract."""
    program = shutil.which("tesseract")
    if not program:
        return frozenset()
    try:
        listing = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in listing.splitlines()[1:] if line.strip())


def usable_ocr_languages(requested: str) -> str | None:
    """``requested`` (``fra+nld``) restricted to installed packs, or None when none is: Tesseract fails on a
    missing pack, and a letter in French is still better read with the packs that exist."""
    installed = installed_ocr_languages()
    wanted = [lang for lang in re.split(r"[+,\s]+", requested) if lang]
    usable = [lang for lang in wanted if lang in installed]
    missing = sorted(set(wanted) - set(usable))
    if missing and installed:
        log.warning("OCR languages not installed, ignored: %s (apt-get install tesseract-ocr-<lang>)", missing)
    return "+".join(usable) or None


def build_native_extractor(ocr_languages: str | None, ocr_timeout: int, max_chars: int) -> Any:
    """An ``iscc_tika.Extractor`` configured once; ``ocr_languages=None`` turns OCR off."""
    import iscc_tika

    extractor = iscc_tika.Extractor().set_extract_string_max_length(max_chars)
    pdf = iscc_tika.PdfParserConfig().set_ocr_strategy(
        iscc_tika.PdfOcrStrategy.AUTO if ocr_languages else iscc_tika.PdfOcrStrategy.NO_OCR
    )
    extractor = extractor.set_pdf_config(pdf)
    if ocr_languages:
        ocr = (
            iscc_tika.TesseractOcrConfig()
            .set_language(ocr_languages)
            .set_skip_ocr(False)
            .set_timeout_seconds(ocr_timeout)
        )
        extractor = extractor.set_ocr_config(ocr)
    return extractor


def run_native(extractor: Any, path: Path) -> RawResult:
    """One extraction; errors become ours. The binding reports every failure as a TypeError."""
    try:
        text, metadata = extractor.extract_file_to_string(str(path))
    except TypeError as error:
        message = str(error)
        if message.startswith(("ParseError", "IoError")):
            raise ExtractionFailed(f"{path.name}: {_clean_error(message)}") from None
        raise ExtractionUnavailable(f"embedded Tika: {_clean_error(message)}") from error
    return text, {key: list(value) for key, value in metadata.items()}


def _clean_error(message: str) -> str:
    match = re.match(r'^\w+\("(.*)"\)$', message, re.DOTALL)
    return (match.group(1) if match else message)[:500]


# --- reading one file: the text-layer fast path for PDFs, then Tika -------------------------------------------


class _Reader:
    """What runs where the native code runs (the child, or this process with ``isolate=False``).

    A PDF is first offered to pdfium (``pdf_text_layer``): when every page has a text layer, that is the
    answer and Tika is not called. Otherwise Tika reads it as before, with OCR unless the caller OCRs it
    itself (``ocr_later``: ocrmypdf, in ``ingest.ocr``) and it is an image or a PDF with pages without text.
    """

    def __init__(self, ocr_languages: str | None, ocr_timeout: int, max_chars: int) -> None:
        self._args = (ocr_languages, ocr_timeout, max_chars)
        self.max_chars = max_chars
        self._with_ocr = build_native_extractor(*self._args)
        self._without_ocr: Any = None if ocr_languages else self._with_ocr

    def read(self, path: Path, mime: str, ocr_later: bool) -> tuple[str, dict[str, list[str]], bool]:
        """Text, Tika-named metadata, and whether OCR was left to the caller."""
        layer = None
        if mime == "application/pdf":
            layer = pdf_text_layer.inspect(path, max_chars=self.max_chars)
            if layer.kind == pdf_text_layer.TEXT:
                return layer.text, layer.metadata, False
        if pdf_text_layer.tika_should_ocr(layer, mime, ocr_later=ocr_later):
            return (*run_native(self._with_ocr, path), False)
        if self._without_ocr is None:
            self._without_ocr = build_native_extractor(None, *self._args[1:])
        return (*run_native(self._without_ocr, path), True)

    def answer(self, request: tuple[str, str, bool]) -> tuple[Any, ...]:
        path, mime, ocr_later = request
        try:
            return ("ok", *self.read(Path(path), mime, ocr_later))
        except ExtractionFailed as error:
            return ("failed", str(error))
        except Exception as error:  # noqa: BLE001 - reported to the parent, which decides
            return ("unavailable", f"{type(error).__name__}: {error}")


def _serve(conn: Connection, ocr_languages: str | None, ocr_timeout: int, max_chars: int) -> None:
    """Child main loop: one request at a time, until the parent closes the pipe or sends None."""
    detach()
    serve(conn, _Reader(ocr_languages, ocr_timeout, max_chars).answer)


class EmbeddedExtractor:
    """The ``embedded`` extraction adapter: Tika in native code, Tesseract for OCR when it is installed, and
    pdfium for the text layer of born-digital PDFs, all in the same child process.

    ``ocr=None`` turns OCR on when ``tesseract`` is on PATH. ``workers`` child processes (default 1: OCR
    already uses the cores) serve the calls; a call waits up to ``timeout`` for a free worker and then for
    its answer. A worker that crashes or overruns is killed and replaced on the next call.
    """

    def __init__(
        self,
        ocr_languages: str = "fra+nld+deu+eng",
        *,
        ocr: bool | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        isolate: bool = True,
        workers: int = 1,
        max_chars: int = MAX_TEXT_CHARS,
    ) -> None:
        if ocr is None:
            ocr = shutil.which("tesseract") is not None
        self.ocr_languages = usable_ocr_languages(ocr_languages) if ocr else None
        self.timeout = timeout
        self.isolate = isolate
        # Tesseract's own timeout stays below ours, so a slow OCR fails inside Tika rather than by a kill.
        self._args = (self.ocr_languages, max(10, int(timeout) - 5), max_chars)
        self._inline: _Reader | None = None
        self._inline_lock = threading.Lock()
        self._pool = ChildPool(_serve, self._args, size=workers, name="dms-tika")
        self._workers = self._pool.children

    @property
    def ocr(self) -> bool:
        return self.ocr_languages is not None

    def extract(self, path: Path, mime: str, *, ocr_later: bool = False) -> Extraction:
        path = Path(path)
        if not path.is_file():
            raise ExtractionFailed(f"{path.name}: no such file")
        if (image := left_for_ocr(mime, ocr_later=ocr_later)) is not None:
            return image
        request = (str(path.resolve()), mime, ocr_later)
        text, metadata, needs_ocr = self._run_isolated(request) if self.isolate else self._run_inline(request)
        return tika_to_extraction(text, metadata, mime, needs_ocr=needs_ocr)

    def ping(self) -> bool:
        if not self.isolate:
            try:
                self._reader()
            except Exception:  # noqa: BLE001 - a health check answers, it does not raise
                return False
            return True
        return self._pool.ping()

    def close(self) -> None:
        """Stop the child processes now (they also stop when the extractor is garbage-collected)."""
        self._pool.close()

    # in-process mode (pdfium is not thread-safe, and the Tika call holds the GIL anyway: one at a time)
    def _reader(self) -> _Reader:
        if self._inline is None:
            self._inline = _Reader(*self._args)
        return self._inline

    def _run_inline(self, request: tuple[str, str, bool]) -> tuple[str, dict[str, list[str]], bool]:
        with self._inline_lock:
            path, mime, ocr_later = request
            return self._reader().read(Path(path), mime, ocr_later)

    # child-process mode
    def _run_isolated(self, request: tuple[str, str, bool]) -> tuple[str, dict[str, list[str]], bool]:
        name = Path(request[0]).name
        try:
            answer = self._pool.call(request, self.timeout)
        except PoolBusy:
            raise ExtractionUnavailable("embedded Tika: every worker is busy") from None
        except ChildStartFailed as error:
            raise ExtractionUnavailable(f"embedded Tika: cannot start a worker: {error}") from None
        except TimeoutError:
            raise ExtractionUnavailable(f"embedded Tika: no answer within {self.timeout:.0f} s") from None
        except ChildCrashed as crash:
            raise ExtractionFailed(f"{name}: the extractor crashed on this file (exit {crash.exitcode})") from None
        kind = answer[0]
        if kind == "ok":
            return answer[1], answer[2], answer[3]
        if kind == "failed":
            raise ExtractionFailed(answer[1])
        raise ExtractionUnavailable(f"embedded Tika: {answer[1]}")
