"""ocrmypdf in long-lived child processes, so that a scan does not pay for starting Python and ocrmypdf.

Why: a page of OCR is ~2 s of Tesseract CPU, and ``python -m ocrmypdf`` added about 1 s of start-up per file
(interpreter, ocrmypdf, pikepdf, fpdf2: measured 0.6 s of CPU for the imports alone, more on a loaded
machine): enough to miss "within 1.15× of Tesseract alone". The children are spawned once, import ocrmypdf
once and run ``ocrmypdf.ocr`` with the same options as the command line did. They are the same kind of child
as the extractor's (``ingest.extraction.child_pool``): own process group, killed with their Tesseract
processes when a call overruns, replaced when they die.
"""

from __future__ import annotations

import os
import threading
from multiprocessing.connection import Connection
from typing import Any

from ingest.extraction.child_pool import ChildPool, detach, serve


def _run(options: dict[str, Any]) -> tuple[Any, ...]:
    import ocrmypdf
    from ocrmypdf.exceptions import ExitCodeException

    try:
        code = ocrmypdf.ocr(**options)
    except ExitCodeException as error:
        return ("exit", int(error.exit_code), f"{type(error).__name__}: {error}".strip())
    except Exception as error:  # noqa: BLE001 - reported to the parent like the command's "other error"
        return ("exit", 15, f"{type(error).__name__}: {error}")
    return ("exit", int(code), "")


def _serve(conn: Connection, omp_thread_limit: str) -> None:
    detach()
    os.environ["OMP_THREAD_LIMIT"] = omp_thread_limit  # read by each Tesseract ocrmypdf starts
    import ocrmypdf  # noqa: F401 - imported once, before the first request

    serve(conn, _run)


_pool: ChildPool | None = None
_lock = threading.Lock()


def run(options: dict[str, Any], timeout: float) -> tuple[int, str]:
    """``ocrmypdf.ocr(**options)`` in a child: (exit code, message). Raises TimeoutError (the child and its
    Tesseract are killed) or ``child_pool.ChildCrashed``/``ChildStartFailed``/``PoolBusy``."""
    pool = _the_pool()
    answer = pool.call(options, timeout)
    return answer[1], answer[2]


def _the_pool() -> ChildPool:
    """The children, started on first use (one per core; Tesseract with OMP_THREAD_LIMIT threads, 1 unless set)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ChildPool(_serve, (os.environ.get("OMP_THREAD_LIMIT", "1"),), size=os.cpu_count() or 2,
                              name="dms-ocrmypdf")
        return _pool


def close() -> None:
    """Stop the children (the next run starts fresh ones, with the environment of that moment)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
        _pool = None


def warm() -> bool:
    """Start the children now (a server's first scan then does not wait for ocrmypdf's imports)."""
    pool = _the_pool()
    return pool.ping()
