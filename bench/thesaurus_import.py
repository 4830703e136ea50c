"""Benchmark of the thesaurus library on the UNESCO thesaurus (4,414 concepts, 75k triples).

Prints one JSON object: import (parse, build), export, label index build, autocomplete latency (p50/p95/max
over prefixes of 1 to 6 characters cut from real labels), text matching and query expansion latency, and the
machine it ran on. A benchmark, not a test: nothing here asserts on time (docs/thesaurus.md has the figures).

    .venv/bin/python bench/thesaurus_import.py [path/to/unesco-thesaurus.ttl]
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

from thesaurus import skos
from thesaurus.expansion import QueryExpander
from thesaurus.matching import LabelIndex

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/thesaurus/unesco-thesaurus.ttl"
LETTER = (
    """Madame la Bourgmestre, nous sollicitons un subside pour l'école primaire communale afin de financer des
activités d'éducation des adultes et d'alphabétisation. Les écoles de notre entité accueillent des enfants
réfugiés; la bibliothèque publique participe au projet de lecture. Veuillez agréer nos salutations distinguées.
"""
    * 20
)
QUERIES = ["écoles", "éducation des adultes", "bibliothèque publique", "permis d'urbanisme", "droits de l'homme"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {
        "p50_ms": round(pick(0.50) * 1000, 3),
        "p95_ms": round(pick(0.95) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "n": len(ordered),
    }


def main(path: Path) -> dict:
    data = path.read_bytes()
    graph, parse_s = timed(skos.parse_graph, data, filename=path.name)
    thesaurus, build_s = timed(skos.from_graph, graph)
    turtle, export_s = timed(skos.export, thesaurus, "turtle")
    _, export_xml_s = timed(skos.export, thesaurus, "xml")
    index, index_s = timed(LabelIndex, thesaurus)

    rng = random.Random(20)  # noqa: S311 - the same prefixes on every run, nothing secret
    labels = sorted(
        {c.pref_label("fr") for c in thesaurus} | {a for c in thesaurus for a in c.alt_labels.get("fr", [])}
    )
    prefixes = [label[:n] for label in rng.sample(labels, 200) for n in (1, 2, 3, 4, 6)]
    index.autocomplete("warm up", "fr")
    latencies = [timed(index.autocomplete, prefix, "fr")[1] for prefix in prefixes]

    _, match_first_s = timed(index.match_text, LETTER, "fr")  # builds the French label table
    match_latencies = [timed(index.match_text, LETTER, "fr")[1] for _ in range(20)]

    expander = QueryExpander(thesaurus)
    _, expand_first_s = timed(expander.expand, "école", "fr")  # builds the query-language label table
    expand_latencies = [timed(expander.expand, q, "fr")[1] for q in QUERIES * 20]

    return {
        "benchmark": "thesaurus",
        "file": path.name,
        "bytes": len(data),
        "triples": len(graph),
        "concepts": len(thesaurus.concepts),
        "collections": len(thesaurus.collections),
        "parse_seconds": round(parse_s, 3),
        "build_seconds": round(build_s, 3),
        "import_seconds": round(parse_s + build_s, 3),
        "export_seconds": round(export_s, 3),
        "export_bytes": len(turtle),
        "export_xml_seconds": round(export_xml_s, 3),
        "label_index_build_seconds": round(index_s, 3),
        "autocomplete": percentiles(latencies),
        "match_text": {
            "text_chars": len(LETTER),
            "first_call_seconds": round(match_first_s, 3),
            **percentiles(match_latencies),
        },
        "expand": {"first_call_seconds": round(expand_first_s, 3), **percentiles(expand_latencies)},
        "machine": {
            "cpu": cpu_model(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT), indent=2))
