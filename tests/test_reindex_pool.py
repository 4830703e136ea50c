"""`dms reindex` analyses its pages in a process pool when the rebuild is large: the index it leaves must be the
one the in-process rebuild leaves (same hits, same order), pages must land in order with the same progress,
and the indexing fast path of the analysis chain must give the terms of ``tokens`` exactly."""

from __future__ import annotations

import random

import pytest

from dms import records
from dms.db import unit_of_work
from dms.indexing import load_doc
from dms.reindex import read_checkpoint, reindex
from dms.searching import search_records
from tests.conftest import make_tenant
from thesaurus.analysis import analyze, tokens

LETTERS = [
    "Demande de permis d'urbanisme pour la rénovation d'une école",
    "Réclamation concernant l'éclairage public de la rue de l'Église",
    "Plainte : le ramassage des déchets n'a pas eu lieu jusqu'à présent",
    "Aanvraag bouwvergunning voor de renovatie van het gemeentehuis",
    "Invitation à la réunion du conseil communal — ordre du jour",
    "Subside pour l'école communale : les écoles reçoivent leurs crédits",
    "Demande d'autorisation d'occupation du domaine public (terrasse)",
]
QUERIES = ["école", "demande", "permis urbanisme", "déchets", "bouwvergunning", "conseil", "public", "rue"]


def _hits(runtime, tenant_id: str) -> dict[str, list[str]]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return {q: [h["id"] for h in search_records(session, runtime.backends.search, tenant_id, q)["hits"]]
                for q in QUERIES}


def test_reindex_in_a_process_pool_gives_the_hits_of_the_in_process_rebuild(runtime):
    clerk = make_tenant(runtime)
    with unit_of_work(runtime.backends.engine) as session:
        for n, letter in enumerate(LETTERS * 2):
            language = "nl" if "bouwvergunning" in letter else "fr"
            records.register(session, clerk.tenant_id, None,
                             records.NewRecord(subject=f"{letter} {n}", description=letter.upper(),
                                               language=language),
                             schema_dir=runtime.settings.seda_schema_dir)
    inline = reindex(runtime.backends, tenant_id=clerk.tenant_id, workers=0)
    expected = _hits(runtime, clerk.tenant_id)
    assert inline == len(LETTERS) * 2 and sum(map(len, expected.values())) > len(QUERIES)

    seen: list[tuple[int, int]] = []
    pooled = reindex(runtime.backends, tenant_id=clerk.tenant_id, workers=2, batch=3,
                     progress=lambda done, total: seen.append((done, total)))
    assert pooled == inline
    assert seen == [(min(n, inline), inline) for n in range(3, inline + 3, 3)]  # page by page, in order
    assert _hits(runtime, clerk.tenant_id) == expected
    assert read_checkpoint(runtime.backends) is None


class Interrupted(Exception):
    pass


def test_an_interrupted_pooled_reindex_resumes_after_its_checkpoint(runtime):
    clerk = make_tenant(runtime)
    with unit_of_work(runtime.backends.engine) as session:
        ids = [records.register(session, clerk.tenant_id, None, records.NewRecord(subject=f"{letter} {n}"),
                                schema_dir=runtime.settings.seda_schema_dir).record.id
               for n, letter in enumerate(LETTERS)]

    def stop(done: int, total: int) -> None:
        if done >= 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        reindex(runtime.backends, tenant_id=clerk.tenant_id, workers=2, batch=2, progress=stop)
    assert read_checkpoint(runtime.backends)["done"] == 4
    assert reindex(runtime.backends, tenant_id=clerk.tenant_id, workers=2, batch=2, resume=True) == 3
    with unit_of_work(runtime.backends.engine, write=False) as session:
        found = search_records(session, runtime.backends.search, clerk.tenant_id, "demande")["hits"]
        docs = [load_doc(session, record_id) for record_id in ids]
    assert {h["id"] for h in found} == {ids[0], ids[6]}
    assert all(doc.title_tokens and doc.body_tokens is not None for doc in docs)


def test_the_fast_analysis_gives_the_terms_of_tokens():
    pieces = ["l'", "L’", "d'", "jusqu'", "qu’", "ʼl", "école", "ÉCOLES", "rénovation", "œuvre", "straße", "_x_",
              "E/2026/00042", " ", "  ", "-", "´s", "`d", "ﬁchier", "２０２６", "Ⅻ", "de", "les", "Bau"]
    rng = random.Random(10)  # noqa: S311 - a reproducible sample of texts, not a secret
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for language in ("fr", "nl", "de", "en", None, "xx"):
            assert analyze(text, language) == [t.term for t in tokens(text, language)], (text, language)


def test_dms_reindex_workers_from_the_command_line(cli, tmp_path):
    cli("tenant", "create", "ciney", "--name", "Ville de Ciney")
    letter = tmp_path / "lettre.txt"
    letter.write_text("Demande de permis d'urbanisme pour la rénovation de l'école\n", "utf-8")
    cli("ingest", str(letter), "--tenant", "ciney")
    done = cli("reindex", "--workers", "2")
    assert "reindexed 1 record(s)" in done.stderr
    assert "1 result(s)" in cli("search", "écoles", "--tenant", "ciney").stdout
    refused = cli("reindex", "--workers", "-1", ok=False)
    assert refused.returncode != 0 and "workers must be between" in refused.stderr
