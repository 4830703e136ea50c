"""`dms reindex` throughput: records per second from PostgreSQL into Elasticsearch (and the embedded engine).

    .venv/bin/python bench/reindex_es.py                      # 20,000 records (BENCH_REINDEX_RECORDS)

A fresh PostgreSQL database gets N records of generated French mail, each with one file row carrying its
extracted text (1-3 pages of a letter, as the ingestion leaves it). The rows are bulk-inserted directly (the
registration path is measured by bench/registration_concurrency.py); then ``dms.reindex.reindex`` rebuilds
a fresh index from them: keyset pages of 500, one bulk request per page, a checkpoint per page.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_info import describe  # noqa: E402
from stacks import fresh_stack  # noqa: E402

from dms import accounts  # noqa: E402
from dms.backends import open_backends  # noqa: E402
from dms.db import unit_of_work  # noqa: E402
from dms.models import File, Record  # noqa: E402
from dms.models.base import new_id  # noqa: E402
from dms.reindex import reindex  # noqa: E402
from ingest import samples  # noqa: E402


def fill(settings, count: int) -> str:
    backends = open_backends(settings)
    with unit_of_work(backends.engine) as session:
        tenant = accounts.create_tenant(session, "bench-reindex", "Bench")
    now = datetime.now(UTC)
    texts = []
    for seed in range(200):
        letter = samples.letter_text(seed)
        texts.append((letter.subject, "\n\n".join(letter.paragraphs) * (1 + seed % 3)))
    records, files = [], []
    for n in range(1, count + 1):
        subject, text = texts[n % len(texts)]
        record_id = new_id()
        records.append(Record(id=record_id, tenant_id=tenant.id, register_code="E", year=now.year, number=n,
                              reference=f"E/{now.year}/{n:05d}", subject=f"{subject} {n}", registered_at=now,
                              updated_at=now).model_dump())
        files.append(File(tenant_id=tenant.id, record_id=record_id, blob_key=f"{tenant.id}/00/{n:064x}",
                          sha256=f"{n:064x}", size=len(text), mime="application/pdf", original_name=f"{n}.pdf",
                          text=text, text_status="done", pages=1 + n % 3).model_dump())
        if len(records) == 2000 or n == count:
            with backends.engine.begin() as conn:
                conn.execute(Record.__table__.insert(), records)
                conn.execute(File.__table__.insert(), files)
            records, files = [], []
    return tenant.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=int(os.environ.get("BENCH_REINDEX_RECORDS", "20000")))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_stack("production", Path(tmp)) as settings:
        started = time.perf_counter()
        fill(settings, args.records)
        filled = time.perf_counter() - started
        results = {}
        for engine in ("elasticsearch", "embedded"):
            target = settings if engine == "elasticsearch" else settings.model_copy(update={"search_url": "embedded"})
            backends = open_backends(target)
            started = time.perf_counter()
            count = reindex(backends)
            elapsed = time.perf_counter() - started
            results[engine] = {"records": count, "seconds": round(elapsed, 1),
                               "records_per_second": round(count / elapsed)}
        results["elasticsearch"].update(target=">= 1,000 records/s",
                                        met=results["elasticsearch"]["records_per_second"] >= 1000)
        print(json.dumps({"benchmark": "reindex", "database": "postgresql", "records": args.records,
                          "fill_seconds": round(filled, 1), "engines": results, "machine": describe()}, indent=2))


if __name__ == "__main__":
    main()
