"""Ingestion throughput of born-digital French PDFs through the one intake pipeline (prints JSON).

    .venv/bin/python bench/ingest_pipeline.py --count 300                       # both modes, embedded stack
    .venv/bin/python bench/ingest_pipeline.py --stack production --mode workers --workers 2
    BENCH_INGEST_COUNT=10000 .venv/bin/python bench/ingest_pipeline.py          # the 10,000 of the target

Each document goes the whole way a clerk's upload goes: MIME from the bytes, SHA-256, duplicate check,
extraction, blob write, one transaction (number, rows, metadata, audit, jobs), then indexing. Two modes:

* ``inline`` (the default configuration): the text is extracted before the registration, in the request;
  ``--clients`` uploads at once (default 1: one document after the other; 4 is a scanner batch beside three
  clerks' uploads), each in its own thread as the API server's thread pool would run them.
* ``workers`` (``DMS_EXTRACT_INLINE=false``): the registration is answered after blob and transaction, and
  ``--workers`` separate `dms worker` processes extract and index from the job table in parallel. A
  document counts when its text is extracted and indexed; the acknowledgement rate is reported too.

The extraction of these PDFs is pdfium's text-layer fast path (ingest/extraction/pdf_text_layer.py), in the
embedded extractor's child process or, on the production stack, in a pdfium child beside the Tika client.

Memory: the resident size of this process (and of each worker) at the start and at the end of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_info import describe, rss_mb  # noqa: E402
from stacks import fresh_stack  # noqa: E402

from dms import accounts  # noqa: E402
from dms.accounts import Principal  # noqa: E402
from dms.db import unit_of_work  # noqa: E402
from dms.models import Role  # noqa: E402
from ingest import samples  # noqa: E402
from ingest.pipeline import Intake, ingest_file  # noqa: E402
from ingest.runtime import open_runtime  # noqa: E402
from tests.processes import DmsProcess, env_for  # noqa: E402


def _pending(runtime) -> int:
    from sqlmodel import func, select

    from dms.models import Job, JobStatus

    with unit_of_work(runtime.backends.engine, write=False) as session:
        return session.exec(select(func.count()).select_from(Job).where(
            Job.status.in_([JobStatus.queued, JobStatus.running]))).one()


def run(stack: str, mode: str, count: int, workers: int, work: Path, clients: int = 1) -> dict:
    corpus = work / "corpus"
    if not corpus.is_dir():
        corpus.mkdir()
        for seed in range(count):
            samples.write_pdf(samples.letter_text(seed + 100_000), corpus / f"{seed:06d}.pdf", pages=1 + seed % 3)
    paths = sorted(corpus.iterdir())[:count]
    with fresh_stack(stack, work / f"{stack}-{mode}", extract_inline=(mode == "inline")) as settings:
        runtime = open_runtime(settings)
        runtime.backends.search.ensure()
        with unit_of_work(runtime.backends.engine) as session:
            tenant = accounts.create_tenant(session, "bench-ingest", "Bench")
        principal = Principal(user_id=None, email="bench", role=Role.admin, tenant_id=tenant.id)
        procs = []
        if mode == "workers":
            procs = [DmsProcess(["worker"], env_for(settings), work / f"{stack}-worker-{n}.log")
                     for n in range(workers)]
            for proc in procs:
                proc.start()
            time.sleep(5)  # imports done before the clock starts
        rss_before = rss_mb()[0]
        worker_rss_before = [rss_mb(p.proc.pid)[0] for p in procs]
        latencies = []
        started = time.perf_counter()

        def upload(path: Path) -> float:
            t0 = time.perf_counter()
            ingest_file(runtime, principal, path, Intake(original_name=path.name))
            return time.perf_counter() - t0

        if clients == 1:  # in this thread (what a profiler sees)
            latencies.extend(map(upload, paths))
        else:
            with ThreadPoolExecutor(max_workers=clients) as pool:
                latencies.extend(pool.map(upload, paths))
        acknowledged = time.perf_counter() - started
        while mode == "workers" and _pending(runtime):
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        worker_rss_after = [rss_mb(p.proc.pid)[0] for p in procs]
        for proc in procs:
            proc.stop()
        runtime.extractor.close()
        with unit_of_work(runtime.backends.engine, write=False) as session:
            from sqlmodel import func, select

            from dms.models import File, TextStatus

            extracted = session.exec(select(func.count()).select_from(File).where(
                File.tenant_id == tenant.id, File.text_status == TextStatus.done)).one()
        latencies.sort()
        rate = count / elapsed
        return {
            "stack": stack,
            "mode": mode,
            "workers": workers if mode == "workers" else 0,
            "clients": clients,
            "documents": count,
            "extracted": extracted,
            "seconds": round(elapsed, 1),
            "documents_per_second": round(rate, 1),
            "acknowledged_per_second": round(count / acknowledged, 1),
            "acknowledgement_latency_ms": {q: round(latencies[max(0, int(len(latencies) * p) - 1)] * 1000, 1)
                                           for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
            "rss_mb": {"this_process": [rss_before, rss_mb()[0]],
                       "workers": list(zip(worker_rss_before, worker_rss_after, strict=True))},
            "target": ">= 40 documents/s sustained over 10,000 on 2 cores (embedded)",
            "met": rate >= 40 and count >= 10_000,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=int(os.environ.get("BENCH_INGEST_COUNT", "300")))
    parser.add_argument("--stack", default=os.environ.get("BENCH_STACKS", "embedded,production"))
    parser.add_argument("--mode", default="inline,workers")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_INGEST_WORKERS",
                                                                          str(os.cpu_count() or 2))))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_INGEST_CLIENTS", "1")),
                        help="concurrent uploads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        runs = [run(stack, mode, args.count, args.workers, Path(tmp), args.clients)
                for stack in args.stack.split(",") for mode in args.mode.split(",")]
    print(json.dumps({"benchmark": "ingest_pipeline", "pages_per_document": "1-3", "runs": runs,
                      "total_seconds": round(time.perf_counter() - started, 1), "machine": describe()}, indent=2))


if __name__ == "__main__":
    main()
