"""OCR ingestion of scanned pages against Tesseract alone on the same pages (prints JSON).

    .venv/bin/python bench/ocr_ingest.py                 # 3 pages (BENCH_OCR_PAGES), both stacks

The pages are generated French letters rendered as 200 dpi greyscale PNG scans (ingest/samples.py). The
reference is the ``tesseract`` command on each page with the same languages the pipeline uses. The pipeline
figure is the whole way of a scan: upload (MIME, SHA-256, duplicate check, extraction by the embedded
extractor or the Tika server without OCR, then the one OCR pass by ocrmypdf for the text and the PDF/A, blob,
transaction, index) and then the worker's ``ocr_pdfa`` job (the PDF/A made at registration stored beside the
original, its text indexed), until the queue is empty. Before the single pass, the extractor's Tesseract
and ocrmypdf each OCR'd every scan.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_info import describe  # noqa: E402
from stacks import fresh_stack  # noqa: E402

from dms import accounts, jobs  # noqa: E402
from dms.accounts import Principal  # noqa: E402
from dms.db import unit_of_work  # noqa: E402
from dms.models import Role  # noqa: E402
from ingest import ocr_child, samples  # noqa: E402
from ingest.extraction.embedded import usable_ocr_languages  # noqa: E402
from ingest.pipeline import Intake, ingest_file  # noqa: E402
from ingest.runtime import open_runtime  # noqa: E402


def tesseract_alone(pages: list[Path], languages: str, *, threads: str | None = None) -> float:
    """``threads``: OMP_THREAD_LIMIT for Tesseract (None: its default, every core), as the pipeline sets 1."""
    env = {**os.environ, "OMP_THREAD_LIMIT": threads} if threads else None
    started = time.perf_counter()
    for page in pages:
        subprocess.run(["tesseract", str(page), "stdout", "-l", languages], check=True, capture_output=True,
                       env=env)
    return time.perf_counter() - started


def pipeline(stack: str, pages: list[Path], work: Path) -> dict:
    with fresh_stack(stack, work / stack) as settings:
        runtime = open_runtime(settings)
        runtime.backends.search.ensure()
        with unit_of_work(runtime.backends.engine) as session:
            tenant = accounts.create_tenant(session, "bench-ocr", "Bench")
        principal = Principal(user_id=None, email="bench", role=Role.admin, tenant_id=tenant.id)
        started = time.perf_counter()
        for page in pages:
            ingest_file(runtime, principal, page, Intake(original_name=page.name))
        registered = time.perf_counter() - started
        while True:
            done, failed = jobs.run_pending(runtime.backends.engine, runtime.handlers(), limit=1000)
            if done + failed == 0:
                break
        elapsed = time.perf_counter() - started
        runtime.extractor.close()
        return {"seconds": round(elapsed, 1), "registration_with_inline_ocr_seconds": round(registered, 1),
                "pdfa_jobs_seconds": round(elapsed - registered, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=int(os.environ.get("BENCH_OCR_PAGES", "3")))
    parser.add_argument("--stacks", default=os.environ.get("BENCH_STACKS", "embedded,production"))
    args = parser.parse_args()
    languages = usable_ocr_languages("fra+nld+deu+eng") or "eng"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pages = [samples.write_png(samples.letter_text(500 + n), work / f"scan-{n}.png") for n in range(args.pages)]
        ocr_child.warm()  # a running server or worker has its ocrmypdf child started: the first scan pays ~1-5 s
        runs = []
        alones = []
        for stack in args.stacks.split(","):
            # Tesseract alone right before each pipeline run: the machine is shared, its load drifts
            # and also with one OpenMP thread, as the pipeline runs it: the fair measure of its own overhead
            alone = tesseract_alone(pages, languages)
            single = tesseract_alone(pages, languages, threads="1")
            alones.append(alone)
            result = pipeline(stack, pages, work)
            ratio, ratio_single = result["seconds"] / alone, result["seconds"] / single
            runs.append({"stack": stack, **result, "tesseract_alone_seconds": round(alone, 1),
                         "tesseract_alone_one_thread_seconds": round(single, 1),
                         "ratio_to_tesseract": round(ratio, 2),
                         "ratio_to_tesseract_one_thread": round(ratio_single, 2),
                         "target": "<= 1.15 x Tesseract alone (default threads and one thread)",
                         "met": max(ratio, ratio_single) <= 1.15})
        ocr_child.close()
    print(json.dumps({"benchmark": "ocr_ingest", "pages": args.pages, "dpi": 200, "languages": languages,
                      "tesseract_alone_seconds": round(sum(alones) / len(alones), 1), "runs": runs,
                      "machine": describe()}, indent=2))


if __name__ == "__main__":
    main()
