"""Run every benchmark of the scale issue, keep their JSON in bench/results/, and rewrite the figures table of
docs/benchmarks.md (between its ``bench:results`` markers). What `make bench` runs.

    eval "$(scripts/services.sh env)"; .venv/bin/python bench/run_all.py            # bounded sizes
    .venv/bin/python bench/run_all.py --only search_scale,reindex                   # some of them
    .venv/bin/python bench/run_all.py --table-only                                  # table from saved JSON

The sizes are bounded by default (about 20-30 minutes on the 2-core development machine); the full-size runs
of the targets are env knobs: BENCH_INGEST_COUNT=10000, BENCH_SEARCH_SIZES=100000,1000000,
BENCH_RETENTION_RECORDS=1000000, BENCH_REINDEX_RECORDS, BENCH_UPLOAD_MB, BENCH_OCR_PAGES, BENCH_REG_PER_CLIENT.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
DOC = ROOT / "docs/benchmarks.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def _pg_url() -> str:
    return (os.environ.get("DMS_TEST_PG_URL") or os.environ.get("DMS_DATABASE_URL")
            or "postgresql+psycopg://dms:dms@127.0.0.1:5432/dms")


def commands() -> dict[str, list[list[str]]]:
    py = sys.executable
    retention = int(os.environ.get("BENCH_RETENTION_RECORDS", "1000000"))
    suite = {
        "search_scale": [[py, str(HERE / "search_scale.py")]],
        "reindex": [[py, str(HERE / "reindex_es.py")]],
        "registration_concurrency": [[py, str(HERE / "registration_concurrency.py")]],
        "ingest_pipeline": [[py, str(HERE / "ingest_pipeline.py")]],
        "ocr_ingest": [[py, str(HERE / "ocr_ingest.py")]],
        "upload_memory": [[py, str(HERE / "upload_memory.py")]],
    }
    if (HERE / "retention_sweep.py").is_file():  # written with the retention change
        suite["retention_sweep"] = [
            [py, str(HERE / "retention_sweep.py"), "--engine", "sqlite", "--records", str(retention)],
            [py, str(HERE / "retention_sweep.py"), "--engine", "postgresql", "--records", str(retention),
             "--pg-url", _pg_url()],
        ]
    return suite


def run(name: str, argvs: list[list[str]]) -> None:
    outputs = []
    for argv in argvs:
        print(f"[bench] {name}: {' '.join(Path(a).name if a.endswith('.py') else a for a in argv[1:])}",
              file=sys.stderr, flush=True)
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            outputs.append({"benchmark": name, "failed": done.returncode, "stderr": done.stderr[-2000:]})
            continue
        result = json.loads(done.stdout[done.stdout.index("{"):])
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
        outputs.append(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(outputs if len(outputs) > 1 else outputs[0], indent=2) + "\n")


def _load(name: str):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _status(met) -> str:
    return "met" if met else "**missed**"


def table() -> str:
    rows = ["| what | stack | figure | target | status |", "|---|---|---|---|---|"]
    ingest = _load("ingest_pipeline")
    for r in (ingest or {}).get("runs", []):
        mode = "inline extraction" if r["mode"] == "inline" else f"extraction by {r['workers']} `dms worker`s"
        mode += f", {r['clients']} concurrent uploads" if r.get("clients", 1) > 1 else ""
        rows.append(f"| ingestion, {r['documents']} born-digital 1–3 page PDFs, {mode} | {r['stack']} | "
                    f"{r['documents_per_second']} documents/s extracted and indexed "
                    f"({r['acknowledged_per_second']}/s acknowledged); RSS {r['rss_mb']['this_process'][0]} → "
                    f"{r['rss_mb']['this_process'][1]} MB | ≥ 40 documents/s over 10,000 | "
                    f"{_status(r['met'])} |")
    ocr = _load("ocr_ingest")
    for r in (ocr or {}).get("runs", []):
        rows.append(f"| OCR ingestion, {ocr['pages']} scanned pages ({ocr['languages']}) | {r['stack']} | "
                    f"{r['seconds']} s vs Tesseract alone {ocr['tesseract_alone_seconds']} s: "
                    f"**{r['ratio_to_tesseract']}×** | ≤ 1.15× | {_status(r['met'])} |")
    search = _load("search_scale")
    big = _load("search_scale_1m")  # BENCH_SEARCH_SIZES=1000000, run on its own (saved by hand, it is long)
    for run_ in [*(search or {}).get("runs", []), *(big or {}).get("runs", [])]:
        for engine, r in run_["engines"].items():
            lat = r["latency_ms"]
            rows.append(f"| search, {run_['records']:,} records, 200 French queries + 3 facets | {engine} | "
                        f"p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms "
                        f"(bulk load {r['bulk_docs_per_second']} docs/s) | p95 ≤ 50 ms | {_status(r['met'])} |")
    reindex = _load("reindex")
    if reindex and "engines" in reindex:
        es = reindex["engines"]["elasticsearch"]
        emb = reindex["engines"]["embedded"]
        rows.append(f"| `dms reindex`, {reindex['records']:,} records from PostgreSQL | elasticsearch | "
                    f"{es['records_per_second']} records/s (embedded engine: {emb['records_per_second']}/s) | "
                    f"≥ 1,000 records/s | {_status(es['met'])} |")
    registration = _load("registration_concurrency")
    for r in (registration or {}).get("runs", []):
        where = "one commune, one register" if r["tenants"] == 1 else f"{r['tenants']} communes"
        where += ", group commit (dms/registrar.py)" if r.get("mode") == "batched" else ""
        rows.append(f"| registration, {r['clients']} concurrent clients, {where} | postgresql | "
                    f"{r['registrations_per_second']} registrations/s, p95 {r['latency_ms']['p95']} ms; "
                    f"gap-free {r['numbers_gap_free']}, unique {r['references_unique']}, "
                    f"{r['errors']} errors | ≥ 200/s, no gap or duplicate | {_status(r['met'])} |")
    upload = _load("upload_memory")
    for r in (upload or {}).get("runs", []):
        rows.append(f"| upload of a {r['megabytes']} MB PDF through the API | {r['stack']} | "
                    f"server RSS +{r['peak_growth_mb']} MB at peak ({r['server_rss_mb_before']} → "
                    f"{r['server_rss_mb_peak']} MB), {r['mb_per_second']} MB/s | ≤ 100 MB | {_status(r['met'])} |")
    retention = _load("retention_sweep")
    for r in (retention if isinstance(retention, list) else [retention] if retention else []):
        if "failed" in r:
            rows.append(f"| retention sweep | {r.get('benchmark')} | failed (exit {r['failed']}) | ≤ 10 s | "
                        "**missed** |")
            continue
        first = r.get("first_sweep_s")
        rows.append(f"| retention sweep, {r.get('records', 0):,} records | {r.get('engine', '?')} | "
                    f"first sweep {first} s, second {r.get('second_sweep_s')} s, a month later "
                    f"{r.get('month_later_sweep_s')} s | ≤ 10 s | {_status(first is not None and first <= 10)} |")
    machine = next((x.get("machine") for x in (ingest, search, reindex, upload, registration, ocr)
                    if isinstance(x, dict) and x.get("machine")), None)
    loads = sorted({tuple(x["machine"]["load_average"]) for x in (ingest, ocr, search, reindex, registration, upload)
                    if isinstance(x, dict) and x.get("machine", {}).get("load_average")})
    head = ""
    if machine:
        head = (f"Machine: {machine['nproc']} × {machine['cpu']}, {machine['memory_gb']} GB RAM, Python "
                f"{machine['python']}, kernel {machine['kernel']}; load average (1/5/15 min) at the end of each "
                f"benchmark: {', '.join('/'.join(str(v) for v in load) for load in loads)}.\n\n")
    return head + "\n".join(rows)


def write_table() -> None:
    text = DOC.read_text("utf-8")
    block = f"{START}\n{table()}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## Figures of the scale benchmarks (`make bench`)\n\n" + block + "\n"
    DOC.write_text(text, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="")
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args()
    if not args.table_only:
        wanted = {n.strip() for n in args.only.split(",") if n.strip()}
        for name, argvs in commands().items():
            if not wanted or name in wanted:
                run(name, argvs)
    write_table()
    print(table())


if __name__ == "__main__":
    main()
