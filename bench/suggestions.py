"""Classification and keyword suggestions: precision@3 (the right class, or keyword, among the first three)
and accuracy@1 on a held-out sample of generated letters (ingest.samples, 7 topics), from the labels alone and
once the commune has filed a training sample; plus autocomplete latency on UNESCO through the service (cache
warm). Prints JSON.

Keywords: the commune's own scheme (tests/test_thesaurus_suggestions.py) has, per topic, a "named" keyword
(the topic's word, which the letters contain) and a "theme" keyword whose label no letter contains; each
filed letter carries both, and each is scored separately on the held-out letters.

    .venv/bin/python bench/suggestions.py [--train 140] [--test 140] [--no-unesco]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dms import accounts, classification, records, vocabulary  # noqa: E402
from dms.db import get_engine, unit_of_work  # noqa: E402
from dms.migrate import upgrade  # noqa: E402
from ingest import samples  # noqa: E402
from tests.test_thesaurus_suggestions import keywords_ttl, named_uri, theme_uri  # noqa: E402
from tests.thesaurus_service_data import REGION_TTL, UNESCO, plan_ttl, plan_uri  # noqa: E402


def evaluate(engine, tenant_id: str, letters) -> dict:
    hits1 = hits3 = 0
    keyword_hits = {"named": 0, "theme": 0}
    times = []
    for letter in letters:
        start = time.perf_counter()
        with unit_of_work(engine, write=False) as session:
            answer = classification.suggest(session, tenant_id, letter.text)
        times.append((time.perf_counter() - start) * 1000)
        found = [s["uri"] for s in answer["classification"]]
        want = plan_uri(letter.topic)
        hits1 += found[:1] == [want]
        hits3 += want in found[:3]
        keywords = [k["uri"] for k in answer["keywords"][:3]]
        keyword_hits["named"] += named_uri(letter.topic) in keywords
        keyword_hits["theme"] += theme_uri(letter.topic) in keywords
    return {"letters": len(letters), "accuracy_at_1": round(hits1 / len(letters), 3),
            "precision_at_3": round(hits3 / len(letters), 3),
            "keyword_precision_at_3": {kind: round(n / len(letters), 3) for kind, n in keyword_hits.items()},
            "ms_p50": round(statistics.median(times), 2), "ms_max": round(max(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=140)
    parser.add_argument("--test", type=int, default=140)
    parser.add_argument("--no-unesco", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        engine = get_engine(url)
        schema_dir = Path(__file__).resolve().parents[2] / "shared/standards/seda-2.3"
        with unit_of_work(engine) as session:
            vocabulary.import_skos(session, plan_ttl().encode(), filename="plan.ttl")
            vocabulary.import_skos(session, REGION_TTL.encode(), filename="region.ttl")
            tenant = accounts.create_tenant(session, "bench", "Bench")
            vocabulary.import_skos(session, keywords_ttl().encode(), filename="mots-cles.ttl", tenant_id=tenant.id)
        held_out = [samples.letter_text(seed) for seed in range(10_000, 10_000 + args.test)]
        result: dict = {"machine": {"python": platform.python_version(), "cpu": platform.processor()
                                    or platform.machine()}}
        result["labels_only"] = evaluate(engine, tenant.id, held_out)
        start = time.perf_counter()
        with unit_of_work(engine) as session:
            for seed in range(args.train):
                letter = samples.letter_text(seed)
                records.register(session, tenant.id, None, records.NewRecord(
                    subject=letter.subject, description=letter.text, classification=plan_uri(letter.topic),
                    keywords=[named_uri(letter.topic), theme_uri(letter.topic)]),
                    schema_dir=schema_dir)
        result["filed"] = args.train
        start = time.perf_counter()
        with unit_of_work(engine, write=False) as session:
            classification.model_for(session, tenant.id)
        result["train_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        with unit_of_work(engine, write=False) as session:
            classification.keyword_model_for(session, tenant.id)
        result["keyword_train_s"] = round(time.perf_counter() - start, 3)
        result["labels_and_history"] = evaluate(engine, tenant.id, held_out)
        if not args.no_unesco:
            result["unesco_autocomplete"] = autocomplete(engine, tmp)
    print(json.dumps(result, indent=2))


def autocomplete(engine, tmp: str) -> dict:
    with unit_of_work(engine) as session:
        start = time.perf_counter()
        vocabulary.import_skos(session, UNESCO.read_bytes(), filename=UNESCO.name)
    imported = time.perf_counter() - start
    with unit_of_work(engine, write=False) as session:
        start = time.perf_counter()
        vocabulary.autocomplete(session, None, "éduc")
        first = time.perf_counter() - start
        labels = [c.pref_label("fr") for c in vocabulary.view(session, None).thesaurus]
    prefixes = [label[: 1 + i % 6] for i, label in enumerate(sorted(labels)[::4][:1000])]
    times = []
    for prefix in prefixes:
        start = time.perf_counter()
        with unit_of_work(engine, write=False) as session:  # the service path: version check + cached index
            vocabulary.autocomplete(session, None, prefix, language="fr")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"import_s": round(imported, 2), "first_query_s (builds the view)": round(first, 2),
            "queries": len(times), "ms_p50": round(times[len(times) // 2], 2),
            "ms_p95": round(times[int(len(times) * 0.95)], 2), "ms_max": round(times[-1], 2)}


if __name__ == "__main__":
    main()
