"""Registrations per second with 50 concurrent clients on PostgreSQL, and proof of no gap and no duplicate.

    .venv/bin/python bench/registration_concurrency.py        # 50 clients x 20 registrations (BENCH_REG_*)
    .venv/bin/python bench/registration_concurrency.py --modes batched --tenants 1

Two scenarios: all 50 clients on one commune's incoming register (the worst case: every transaction queues
on the same counter row and the same audit chain head, each held until its commit is on disk), and the 50
clients spread over ten communes (a region: ten counters, ten chains, PostgreSQL's group commit shares the
WAL flushes). Each client registers records one after the other through ``dms.records.register`` in its own
unit of work,
the very transaction an upload ends in: the number allocated from the locked register counter, the record
row, its SEDA 2.3 metadata built and validated, the audit event appended to the tenant's hash chain, the index
job queued. (No file: the bytes and their extraction are measured by bench/ingest_pipeline.py.) The clients
are threads spread over a few processes (Python runs one thread at a time per process). Afterwards each
commune's numbers must be exactly 1..N, the references unique, and every audit chain intact.

Two modes (``--modes``, both by default): ``direct``, each client's own transaction as above, and
``batched``, each client calling its process's registrar (dms/registrar.py: the client prepares its
registration alone, then the concurrent registrations of one commune are allocated and committed together in
one transaction; each client is answered after that commit). ``batches`` says how many transactions the
batched run committed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_info import describe  # noqa: E402
from stacks import fresh_stack  # noqa: E402

from dms import accounts, audit, records  # noqa: E402
from dms.db import unit_of_work  # noqa: E402
from dms.registrar import Registrar  # noqa: E402


def _engine(url: str, clients: int):
    from sqlalchemy import create_engine

    return create_engine(url, pool_size=clients + 2, max_overflow=0, pool_pre_ping=False)


def client_process(url: str, schema_dir: str, tenant_ids: list[str], first: int, threads: int, per_client: int,
                   start_at: float, out, mode: str = "direct") -> None:
    engine = _engine(url, threads)
    registrar = Registrar(engine)
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        tenant_id = tenant_ids[(first + n) % len(tenant_ids)]
        while time.time() < start_at:
            time.sleep(0.001)
        for i in range(per_client):
            t0 = time.perf_counter()
            new = records.NewRecord(subject=f"Demande de permis {n}-{i}")
            try:
                if mode == "batched":
                    registrar.register(tenant_id, None, new, schema_dir=Path(schema_dir))
                else:
                    with unit_of_work(engine) as session:
                        records.register(session, tenant_id, None, new, schema_dir=Path(schema_dir))
            except Exception as exc:  # noqa: BLE001 (counted and reported)
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put({"latencies": latencies, "errors": errors, "batches": registrar.batches})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_REG_CLIENTS", "50")))
    parser.add_argument("--per-client", type=int, default=int(os.environ.get("BENCH_REG_PER_CLIENT", "20")))
    parser.add_argument("--processes", type=int, default=int(os.environ.get("BENCH_REG_PROCESSES",
                                                                            str(max(2, os.cpu_count() or 2)))))
    parser.add_argument("--tenants", default=os.environ.get("BENCH_REG_TENANTS", "1,10"))
    parser.add_argument("--modes", default=os.environ.get("BENCH_REG_MODES", "direct,batched"))
    args = parser.parse_args()
    runs = [scenario(args, int(n), mode) for mode in args.modes.split(",") for n in args.tenants.split(",")]
    print(json.dumps({"benchmark": "registration_concurrency", "database": "postgresql", "runs": runs,
                      "machine": describe()}, indent=2))


def scenario(args, tenants: int, mode: str = "direct") -> dict:
    from sqlmodel import select

    from dms.db import get_engine
    from dms.models import Record

    with tempfile.TemporaryDirectory() as tmp, fresh_stack("production", Path(tmp)) as settings:
        engine = get_engine(settings.database_url)
        tenant_ids = []
        for n in range(tenants):
            with unit_of_work(engine) as session:
                tenant_ids.append(accounts.create_tenant(session, f"bench-registration-{n}", "Bench").id)
            with unit_of_work(engine) as session:  # warm the schema cache and create the counter row
                records.register(session, tenant_ids[-1], None, records.NewRecord(subject="premier"),
                                 schema_dir=settings.seda_schema_dir)
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        per_process = [args.clients // args.processes + (1 if i < args.clients % args.processes else 0)
                       for i in range(args.processes)]
        start_at = time.time() + 8  # every process imported and connected before the clock starts
        procs, first = [], 0
        for n in per_process:
            if n:
                procs.append(ctx.Process(target=client_process, args=(
                    settings.database_url, str(settings.seda_schema_dir), tenant_ids, first, n, args.per_client,
                    start_at, queue, mode)))
                first += n
        for proc in procs:
            proc.start()
        results = [queue.get() for _ in procs]
        elapsed = time.time() - start_at
        for proc in procs:
            proc.join()
        latencies = sorted(x for r in results for x in r["latencies"])
        errors = [e for r in results for e in r["errors"]]
        gap_free = unique = True
        with unit_of_work(engine, write=False) as session:
            for tenant_id in tenant_ids:
                numbers = sorted(session.exec(select(Record.number).where(Record.tenant_id == tenant_id)).all())
                references = session.exec(select(Record.reference).where(Record.tenant_id == tenant_id)).all()
                gap_free &= numbers == list(range(1, len(numbers) + 1))
                unique &= len(set(references)) == len(references)
            checked, problems = audit.verify(session)
        rate = len(latencies) / elapsed
        return {
            "mode": mode,
            "tenants": tenants,
            "clients": args.clients,
            "processes": len(procs),
            "registrations": len(latencies),
            "transactions": sum(r["batches"] for r in results) if mode == "batched" else len(latencies),
            "errors": len(errors),
            "first_errors": errors[:3],
            "seconds": round(elapsed, 2),
            "registrations_per_second": round(rate, 1),
            "latency_ms": {q: round(latencies[max(0, int(len(latencies) * p) - 1)] * 1000, 1)
                           for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))} if latencies else None,
            "numbers_gap_free": gap_free,
            "references_unique": unique,
            "audit_events_verified": checked,
            "audit_chain_intact": not problems,
            "target": ">= 200 registrations/s, no gap, no duplicate",
            "met": rate >= 200 and gap_free and unique and not errors,
        }


if __name__ == "__main__":
    main()
