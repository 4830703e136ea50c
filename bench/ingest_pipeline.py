"""Ingestion throughput of born-digital French PDFs through the one intake pipeline (prints JSON).

    .venv/bin/python bench/ingest_pipeline.py --count 500            # embedded stack in a temp folder
    eval "$(scripts/services.sh env)"; .venv/bin/python bench/ingest_pipeline.py --stack env   # production

Each document goes the whole way a clerk's upload goes: MIME from the bytes, SHA-256, duplicate check,
extraction, blob write, one transaction (number, rows, audit, jobs), then indexing.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dms import accounts  # noqa: E402
from dms.accounts import Principal  # noqa: E402
from dms.db import unit_of_work  # noqa: E402
from dms.migrate import upgrade  # noqa: E402
from dms.models import Role  # noqa: E402
from dms.settings import Settings  # noqa: E402
from ingest import samples  # noqa: E402
from ingest.pipeline import Intake, ingest_file  # noqa: E402
from ingest.runtime import open_runtime  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--stack", choices=["embedded", "env"], default="embedded")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        settings = Settings(data_dir=tmp_path / "var") if args.stack == "embedded" else Settings()
        upgrade(settings.resolved_database_url)
        runtime = open_runtime(settings)
        runtime.backends.search.ensure()
        slug = f"bench-{int(time.time())}"
        with unit_of_work(runtime.backends.engine) as session:
            tenant = accounts.create_tenant(session, slug, "Bench")
        principal = Principal(user_id=None, email="bench", role=Role.admin, tenant_id=tenant.id)
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        started = time.perf_counter()
        paths = []
        for seed in range(args.count):
            path = corpus / f"{seed:06d}.pdf"
            samples.write_pdf(samples.letter_text(seed + 100_000), path, pages=1 + seed % 3)
            paths.append(path)
        generated = time.perf_counter() - started
        rss_before = rss_mb()
        latencies = []
        started = time.perf_counter()
        for path in paths:
            t0 = time.perf_counter()
            ingest_file(runtime, principal, path, Intake(original_name=path.name))
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        latencies.sort()
        runtime.extractor.close()
        print(json.dumps({
            "benchmark": "ingest_pipeline",
            "stack": args.stack,
            "documents": args.count,
            "pages_per_document": "1-3",
            "seconds": round(elapsed, 2),
            "documents_per_second": round(args.count / elapsed, 1),
            "latency_ms": {q: round(latencies[int(len(latencies) * p) - 1] * 1000, 1)
                           for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
            "max_rss_mb_before": round(rss_before, 1),
            "max_rss_mb_after": round(rss_mb(), 1),
            "corpus_generation_seconds": round(generated, 2),
            "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        }, indent=2))


if __name__ == "__main__":
    main()
