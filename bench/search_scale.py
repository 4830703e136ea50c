"""Search latency at scale: 200 fixed French queries with facets over 100,000 and 1,000,000 records (JSON).

    .venv/bin/python bench/search_scale.py                                  # 100,000 records, both engines
    BENCH_SEARCH_SIZES=100000,1000000 .venv/bin/python bench/search_scale.py
    .venv/bin/python bench/search_scale.py --engines embedded --sizes 1000000

The corpus is generated letters of French municipal mail (bench/search_engines.py: subjects, bodies, three
communes, facets register/year/service), analysed by our one chain and bulk-loaded straight into each engine:
a search-latency benchmark needs the index, not the database rows, so none are written. The queries are the
200 lines of bench/queries_fr.txt (1-3 words; some carry thesaurus-like expansions), each scoped to one
tenant, a fifth filtered on a year, all asking for three facets, 20 hits. One warm-up pass, then one timed pass.

``--corpus-cache FILE`` keeps the generated, analysed corpus (pickled batches; ~0.5 GB at 1,000,000) so a
second run skips the generation; ``generation_seconds`` is then the time to read it back. Elasticsearch is
bulk-loaded the way a rebuild would be: refresh off during the load (``refresh_interval: -1``), 5,000 documents
per request, one refresh at the end (counted in the load time); the embedded engine through its own ``index``.
Each run reports, per engine, how many queries hit the embedded engine's cap (``capped_queries``) and, beside
the wall-clock latency, the CPU time per query spent in this process (``cpu_ms``).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine_info import describe  # noqa: E402
from search_engines import FACETS, SYNONYMS, TENANTS, generate_letter, percentiles  # noqa: E402

from dms.search import IndexDoc, SearchQuery, Term  # noqa: E402
from thesaurus.analysis import analyze, analyze_joined  # noqa: E402

QUERIES = Path(__file__).with_name("queries_fr.txt")
BATCH = 5000


def queries() -> list[SearchQuery]:
    lines = [line.strip() for line in QUERIES.read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    rng = random.Random(3)  # noqa: S311 - reproducible
    out = []
    for i, line in enumerate(lines):
        groups: list[list[Term]] = []
        words = [w for w in line.split() if w]
        for word in words:
            group = [Term(token) for token in analyze(word)]
            if word in SYNONYMS and i % 3 == 0:
                group += [Term(token, 0.6) for syn in SYNONYMS[word] for token in analyze(syn)]
            if group:
                groups.append(group)
        tenant = rng.choices([t for t, _ in TENANTS], weights=[w for _, w in TENANTS])[0]
        filters = {"year": [str(2020 + i % 6)]} if i % 5 == 0 else {}
        out.append(SearchQuery(tenant_id=tenant, groups=groups, filters=filters, facets=FACETS, limit=20))
    return out


def corpus(count: int, seed: int = 1, cache: Path | None = None):
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            done = 0
            while done < count:
                batch = pickle.load(f)[: count - done]  # noqa: S301 - our own cache file
                done += len(batch)
                yield batch
        return
    out = cache.open("wb") if cache is not None else None
    try:
        for batch in _generate(count, seed):
            if out is not None:
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
            yield batch
    finally:
        if out is not None:
            out.close()


def _generate(count: int, seed: int):
    rng = random.Random(seed)  # noqa: S311 - reproducible
    batch = []
    for i in range(count):
        tenant, title, body, facets, day = generate_letter(rng, i)
        batch.append(IndexDoc(id=f"letter-{i:07d}", tenant_id=tenant, kind="record",
                              title_tokens=analyze_joined(title), body_tokens=analyze_joined(body),
                              facets=facets, date=day))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def open_engines(names: list[str], work: Path, es_url: str | None) -> dict:
    engines = {}
    if "embedded" in names:
        from dms.search.embedded import EmbeddedSearchIndex

        engines["embedded"] = EmbeddedSearchIndex(work / "search")
    if "elasticsearch" in names:
        from dms.search.elastic import ElasticSearchIndex

        engines["elasticsearch"] = ElasticSearchIndex(es_url, index_name=f"dms-bench-{uuid.uuid4().hex[:8]}")
    for engine in engines.values():
        engine.ensure()
    return engines


def start_load(name: str, engine) -> None:
    if name == "elasticsearch":
        engine.client.indices.put_settings(index=engine.index_name, settings={"index": {"refresh_interval": "-1"}})


def load_batch(name: str, engine, batch: list[IndexDoc]) -> None:
    if name != "elasticsearch":
        engine.index(batch)
        return
    from elasticsearch import helpers

    from dms.search.elastic import _doc_key, _source

    actions = ({"_op_type": "index", "_index": engine.index_name, "_id": _doc_key(d.tenant_id, d.id),
                "_source": _source(d)} for d in batch)
    helpers.bulk(engine.client.options(request_timeout=120), actions, chunk_size=BATCH,
                 max_chunk_bytes=50 * 1024 * 1024, refresh=False)


def finish_load(name: str, engine) -> None:
    if name == "elasticsearch":
        client = engine.client.options(request_timeout=600)
        client.indices.put_settings(index=engine.index_name, settings={"index": {"refresh_interval": None}})
        client.indices.refresh(index=engine.index_name)


def run(size: int, names: list[str], es_url: str | None, cache_dir: Path | None = None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="dms-search-scale-"))
    engines = open_engines(names, work, es_url)
    load = dict.fromkeys(engines, 0.0)
    generated = 0.0
    try:
        for name, engine in engines.items():
            start_load(name, engine)
        cache = cache_dir / f"search_scale_corpus_{size}.pkl" if cache_dir else None
        cached = cache is not None and cache.exists()
        started = time.perf_counter()
        for batch in corpus(size, cache=cache):
            generated += time.perf_counter() - started
            for name, engine in engines.items():
                t0 = time.perf_counter()
                load_batch(name, engine, batch)
                load[name] += time.perf_counter() - t0
            started = time.perf_counter()
        for name, engine in engines.items():
            t0 = time.perf_counter()
            finish_load(name, engine)
            load[name] += time.perf_counter() - t0
        result = {"records": size, "generation_seconds": round(generated, 1), "corpus_from_cache": cached,
                  "engines": {}}
        qs = queries()
        for name, engine in engines.items():
            for query in qs:  # warm-up
                engine.search(query)
            timings, cpu, totals, capped = [], [], [], 0
            for query in qs:
                t0, c0 = time.perf_counter(), time.process_time()
                found = engine.search(query)
                timings.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                totals.append(found.total)
                capped += found.total_is_lower_bound
            result["engines"][name] = {
                "bulk_load_seconds": round(load[name], 1),
                "bulk_docs_per_second": round(size / load[name]) if load[name] else None,
                "queries": len(qs),
                "latency_ms": percentiles(timings),
                # CPU time of this process per query: the whole work of the in-process embedded engine, so a
                # figure the other users of a shared machine barely move (for Elasticsearch: the client's share)
                "cpu_ms": percentiles(cpu),
                "median_hits": sorted(totals)[len(totals) // 2],
                "capped_queries": capped,
                "target": "p95 <= 50 ms",
                "met": percentiles(timings)["p95_ms"] <= 50,
            }
        if "embedded" in engines:
            result["engines"]["embedded"]["index_bytes"] = sum(
                p.stat().st_size for p in (work / "search").rglob("*") if p.is_file())
        return result
    finally:
        for name, engine in engines.items():
            if name == "elasticsearch":
                engine.delete_index()
            engine.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SEARCH_SIZES", "100000"))
    parser.add_argument("--engines", default=os.environ.get("BENCH_SEARCH_ENGINES", "embedded,elasticsearch"))
    parser.add_argument("--es-url", default=os.environ.get("DMS_SEARCH_URL_BENCH")
                        or os.environ.get("DMS_TEST_ES_URL") or "http://127.0.0.1:9200")
    parser.add_argument("--corpus-cache", type=Path, default=None, help="folder for the generated corpus")
    args = parser.parse_args()
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    runs = [run(int(size), names, args.es_url, args.corpus_cache) for size in args.sizes.split(",") if size.strip()]
    print(json.dumps({"benchmark": "search_scale", "runs": runs, "machine": describe()}, indent=2))


if __name__ == "__main__":
    main()
