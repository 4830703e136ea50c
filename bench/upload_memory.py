"""Peak memory growth of the API server while a 1 GB file is uploaded through POST /api/v1/records (JSON).

    .venv/bin/python bench/upload_memory.py                     # 1024 MB (BENCH_UPLOAD_MB), both stacks

The file is a PDF written to disk in 1 MB pieces (a valid header, one huge stream object of random bytes, a
trailer), so neither this script nor the server ever needs it whole in memory; the allow list accepts it as
application/pdf from its bytes. `dms serve` runs as its own process on a private port; its resident set size
is sampled from /proc every 20 ms, after a warm-up upload, and the figure is the peak minus the resident size
just before the big upload. The client streams the multipart body from the file.

The server runs with ``DMS_EXTRACT_INLINE=false``: the upload path (spool, MIME, SHA-256, blob, one
transaction) is what is measured; text extraction of such a file is a worker's job in a child process, bounded
by the extraction timeout, and does not run in the server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_info import describe, rss_mb  # noqa: E402
from stacks import fresh_stack  # noqa: E402

from dms import accounts  # noqa: E402
from dms.db import unit_of_work  # noqa: E402
from ingest import samples  # noqa: E402
from ingest.runtime import open_runtime  # noqa: E402
from tests.processes import DmsProcess, env_for, free_port  # noqa: E402

MB = 1024 * 1024


def write_big_pdf(path: Path, megabytes: int) -> str:
    digest = hashlib.sha256()
    length = megabytes * MB
    with path.open("wb") as out:
        def put(data: bytes) -> None:
            digest.update(data)
            out.write(data)

        put(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
            b"3 0 obj\n<< /Length " + str(length).encode() + b" >>\nstream\n")
        block = os.urandom(MB)
        for n in range(megabytes):
            put(block[n % 251:] + block[: n % 251])  # not all equal, not compressible
        put(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    return digest.hexdigest()


def run(stack: str, megabytes: int, work: Path) -> dict:
    with fresh_stack(stack, work / stack, extract_inline=False) as settings:
        runtime = open_runtime(settings)
        runtime.backends.search.ensure()
        with unit_of_work(runtime.backends.engine) as session:
            accounts.create_tenant(session, "bench-upload", "Bench")
            accounts.create_user(session, "clerk@bench.example", role="clerk", tenant_slug="bench-upload")
            token = accounts.create_token(session, "clerk@bench.example")
        port = free_port()
        server = DmsProcess(["serve", "--port", str(port), "--no-worker"], env_for(settings),
                            work / f"{stack}-serve.log", port=port)
        server.start()
        try:
            server.wait_ready()
            headers = {"Authorization": f"Bearer {token}"}
            small = samples.write_pdf(samples.letter_text(1), work / "warmup.pdf")
            with httpx.Client(timeout=600, headers=headers) as http:
                http.post(f"{server.url}/api/v1/records", files={"file": ("warmup.pdf", small.read_bytes())})
                big = work / "big.pdf"
                digest = write_big_pdf(big, megabytes)
                baseline, _ = rss_mb(server.proc.pid)
                peak = [baseline]
                done = threading.Event()

                def sample() -> None:
                    while not done.is_set():
                        peak[0] = max(peak[0], rss_mb(server.proc.pid)[0])
                        time.sleep(0.02)

                sampler = threading.Thread(target=sample)
                sampler.start()
                started = time.perf_counter()
                with big.open("rb") as handle:
                    response = http.post(f"{server.url}/api/v1/records",
                                         files={"file": ("grand-plan.pdf", handle, "application/pdf")})
                elapsed = time.perf_counter() - started
                done.set()
                sampler.join()
                _, high_water = rss_mb(server.proc.pid)
            big.unlink()
            answer = response.json() if response.status_code == 201 else {"detail": response.text[:300]}
            growth = max(peak[0], 0) - baseline
            return {
                "stack": stack,
                "status": response.status_code,
                "stored_sha256_matches": answer.get("files", [{}])[0].get("sha256") == digest,
                "megabytes": megabytes,
                "seconds": round(elapsed, 1),
                "mb_per_second": round(megabytes / elapsed, 1),
                "server_rss_mb_before": baseline,
                "server_rss_mb_peak": peak[0],
                "server_rss_mb_high_water_since_start": high_water,
                "peak_growth_mb": round(growth, 1),
                "target": "peak growth <= 100 MB",
                "met": response.status_code == 201 and growth <= 100,
            }
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=int(os.environ.get("BENCH_UPLOAD_MB", "1024")))
    parser.add_argument("--stacks", default=os.environ.get("BENCH_STACKS", "embedded,production"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run(stack, args.megabytes, Path(tmp)) for stack in args.stacks.split(",")]
    print(json.dumps({"benchmark": "upload_memory", "runs": runs, "machine": describe()}, indent=2))


if __name__ == "__main__":
    main()
