"""The search port's contract, run against the embedded engine and a real Elasticsearch.

What users rely on: French inflections and accents find their documents, a commune never sees another's mail
(hits or facet counts), query words combine as AND of OR-groups with boosts, facets count the whole hit set,
writes replace and delete, pages cover every hit once, and both engines agree on hits and facets.
A missing Elasticsearch makes these tests fail, never skip (DESIGN.md §5).
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import pytest

from dms.search import IndexDoc, SearchIndex, SearchQuery, SearchResult, SearchUnavailable, Term
from dms.search.cursors import InvalidCursor
from dms.search.elastic import ElasticSearchIndex
from dms.search.embedded import EmbeddedSearchIndex
from thesaurus.analysis import analyze, analyze_joined

ES_URL = os.environ.get("DMS_TEST_ES_URL", "http://127.0.0.1:9200")
ENGINES = ["embedded", "elasticsearch"]
T1, T2 = "commune-a", "commune-b"
FACETS = ["register", "year", "service"]


# -- fixtures -----------------------------------------------------------------------------------------------


def _open(engine: str, where: str) -> SearchIndex:
    if engine == "embedded":
        return EmbeddedSearchIndex(Path(where))
    return ElasticSearchIndex(ES_URL, index_name=where)


@pytest.fixture
def embedded_index(tmp_path: Path) -> Iterator[EmbeddedSearchIndex]:
    index = EmbeddedSearchIndex(tmp_path / "search")
    index.ensure()
    yield index
    index.close()


@pytest.fixture
def elasticsearch_index() -> Iterator[ElasticSearchIndex]:
    index = ElasticSearchIndex(ES_URL, index_name=f"dms-test-{uuid.uuid4().hex[:12]}")
    index.ensure()  # raises SearchUnavailable (the test errors) when Elasticsearch is not running
    yield index
    index.delete_index()
    index.close()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> SearchIndex:
    return request.getfixturevalue(f"{request.param}_index")


def _location(index: SearchIndex) -> tuple[str, str]:
    if isinstance(index, EmbeddedSearchIndex):
        return "embedded", str(index.path)
    assert isinstance(index, ElasticSearchIndex)
    return "elasticsearch", index.index_name


# -- building documents and queries -------------------------------------------------------------------------


def doc(
    doc_id: str,
    title: str,
    body: str = "",
    *,
    tenant: str = T1,
    kind: str = "record",
    facets: dict[str, list[str]] | None = None,
    date: datetime | None = None,
) -> IndexDoc:
    return IndexDoc(
        id=doc_id,
        tenant_id=tenant,
        kind=kind,
        title_tokens=analyze_joined(title),
        body_tokens=analyze_joined(body),
        facets=facets or {},
        date=date,
    )


def words(text: str, *, tenant: str = T1, **options) -> SearchQuery:
    """One group per analysed query word, as the search service builds it."""
    return SearchQuery(tenant_id=tenant, groups=[[Term(t)] for t in analyze(text)], **options)


def expanded(*groups: list[tuple[str, float]], tenant: str = T1, **options) -> SearchQuery:
    """Groups of (word, boost): a query word and its thesaurus expansions."""
    built = [[Term(token, boost) for word, boost in group for token in analyze(word)] for group in groups]
    return SearchQuery(tenant_id=tenant, groups=built, **options)


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def all_ids(index: SearchIndex, query: SearchQuery) -> list[str]:
    """Every hit across pages, following ``next_after``."""
    seen: list[str] = []
    after = None
    for _ in range(1000):
        result = index.search(replace(query, after=after))
        seen += ids(result)
        after = result.next_after
        if after is None:
            return seen
    raise AssertionError("pagination does not end")


# -- analysis: what clerks type finds what was written ------------------------------------------------------


def test_french_inflected_forms_find_the_document(engine: SearchIndex) -> None:
    engine.index(
        [
            doc("permis", "Accusé de réception", "Nous avons bien reçu vos demandes de permis d'urbanisme"),
            doc("autre", "Taxe communale", "Rappel de paiement de la taxe sur les secondes résidences"),
        ]
    )
    for text in ["demande", "demandes", "Permis", "urbanisme", "reçu", "réception"]:
        assert ids(engine.search(words(text))) == ["permis"], text


def test_accents_and_case_are_folded(engine: SearchIndex) -> None:
    engine.index([doc("ec", "ÉTAT CIVIL", "Déclaration de naissance à l'hôtel de ville")])
    for text in ["etat civil", "état", "Etat", "declaration", "DÉCLARATION", "hotel", "naissance"]:
        assert ids(engine.search(words(text))) == ["ec"], text


# -- tenants ------------------------------------------------------------------------------------------------


def test_tenants_never_see_each_other(engine: SearchIndex) -> None:
    engine.index(
        [
            doc("a1", "Permis de bâtir", "rue de la Station", facets={"register": ["E"], "service": ["urba"]}),
            doc("b1", "Permis de bâtir", "rue de la Station", tenant=T2, facets={"register": ["S"]}),
            doc("b2", "Permis de lotir", "rue Haute", tenant=T2, facets={"register": ["S"], "service": ["x"]}),
        ]
    )
    result = engine.search(words("permis", facets=["register", "service"]))
    assert ids(result) == ["a1"]
    assert result.total == 1
    assert result.facets == {"register": [("E", 1)], "service": [("urba", 1)]}
    browse = engine.search(SearchQuery(tenant_id=T1, facets=["register"]))
    assert ids(browse) == ["a1"] and browse.facets == {"register": [("E", 1)]}
    assert sorted(ids(engine.search(words("permis", tenant=T2)))) == ["b1", "b2"]
    assert engine.search(words("permis", tenant="commune-sans-courrier")).total == 0


def test_the_same_id_in_two_tenants_stays_two_documents(engine: SearchIndex) -> None:
    engine.index([doc("same", "voirie", tenant=T1), doc("same", "égouttage", tenant=T2)])
    engine.delete(T2, ["same"])
    assert ids(engine.search(words("voirie"))) == ["same"]
    assert engine.search(words("egouttage", tenant=T2)).total == 0


def test_kind_is_filtered(engine: SearchIndex) -> None:
    engine.index([doc("r", "Voirie communale"), doc("c", "Voirie", kind="concept")])
    assert ids(engine.search(words("voirie"))) == ["r"]
    assert ids(engine.search(words("voirie", kind="concept"))) == ["c"]
    assert ids(engine.search(SearchQuery(tenant_id=T1, kind="concept"))) == ["c"]


# -- boolean structure and ranking --------------------------------------------------------------------------


def test_and_across_groups_or_inside_a_group(engine: SearchIndex) -> None:
    engine.index(
        [
            doc("pu", "Permis d'urbanisme", "Demande pour une véranda"),
            doc("pb", "Permis de bâtir", "Construction d'une maison"),
            doc("tx", "Taxe sur les bâtiments", "Avertissement-extrait de rôle"),
            doc("vo", "Travaux de voirie", "Réfection du trottoir"),
        ]
    )
    assert sorted(ids(engine.search(words("permis bâtir")))) == ["pb"]
    assert sorted(ids(engine.search(expanded([("permis", 1.0)], [("bâtir", 1.0), ("urbanisme", 0.5)])))) == [
        "pb",
        "pu",
    ]
    assert sorted(ids(engine.search(expanded([("taxe", 1.0), ("voirie", 1.0)])))) == ["tx", "vo"]
    assert engine.search(words("permis voirie")).total == 0
    assert engine.search(words("inexistant")).total == 0


def _filler(count: int) -> list[IndexDoc]:
    """Neutral documents, so that every test word is rare (a realistic IDF)."""
    return [doc(f"filler-{i}", f"Courrier {i}", "Objet divers sans rapport") for i in range(count)]


def test_boost_orders_a_groups_terms(engine: SearchIndex) -> None:
    engine.index(
        [
            *_filler(10),
            doc("cimetiere", "Concession au cimetière", "Demande de renouvellement"),
            doc("sepulture", "Concession de sépulture", "Demande de renouvellement"),
        ]
    )
    first = engine.search(expanded([("cimetière", 1.0), ("sépulture", 0.5)]))
    assert ids(first) == ["cimetiere", "sepulture"]
    assert first.hits[0].score > first.hits[1].score
    second = engine.search(expanded([("cimetière", 0.5), ("sépulture", 1.0)]))
    assert ids(second) == ["sepulture", "cimetiere"]


def test_title_outranks_body(engine: SearchIndex) -> None:
    engine.index(
        [
            *_filler(10),
            doc(
                "body",
                "Courrier du service technique",
                "Les travaux d'égouttage et encore l'égouttage rue Haute",
            ),
            doc("title", "Égouttage de la rue Basse", "Courrier du service technique pour les riverains"),
        ]
    )
    assert ids(engine.search(words("égouttage"))) == ["title", "body"]


# -- facets -------------------------------------------------------------------------------------------------


def _faceted_corpus() -> list[IndexDoc]:
    docs = []
    for i in range(30):
        docs.append(
            doc(
                f"f{i:02d}",
                "Permis d'environnement" if i % 3 else "Taxe sur la force motrice",
                "Courrier enregistré",
                facets={
                    "register": ["E" if i % 2 else "S"],
                    "year": [str(2020 + i % 4)],
                    "service": ["urbanisme", "environnement"] if i % 5 == 0 else ["urbanisme"],
                },
            )
        )
    return docs


def test_facets_count_the_whole_hit_set_not_the_page(engine: SearchIndex) -> None:
    engine.index(_faceted_corpus())
    result = engine.search(words("courrier", facets=FACETS, limit=5))
    assert len(result.hits) == 5 and result.total == 30
    assert result.facets["register"] == [("E", 15), ("S", 15)]
    assert result.facets["year"] == [("2020", 8), ("2021", 8), ("2022", 7), ("2023", 7)]
    assert result.facets["service"] == [("urbanisme", 30), ("environnement", 6)]
    permis = engine.search(words("permis", facets=["register"], limit=1))
    assert permis.total == 20 and permis.facets["register"] == [("E", 10), ("S", 10)]


def test_facet_filters_or_within_a_field_and_across_fields(engine: SearchIndex) -> None:
    engine.index(_faceted_corpus())
    one = engine.search(words("courrier", filters={"year": ["2021"]}, facets=FACETS))
    assert one.total == 8 and one.facets["year"] == [("2021", 8)]
    two = engine.search(words("courrier", filters={"year": ["2021", "2022"]}, facets=["year"]))
    assert two.total == 15
    both = engine.search(words("courrier", filters={"year": ["2021", "2022"], "register": ["E"]}))
    assert both.total == 8
    assert set(ids(both)) == {f"f{i:02d}" for i in range(30) if i % 4 in (1, 2) and i % 2}
    browse = engine.search(SearchQuery(tenant_id=T1, filters={"service": ["environnement"]}, facets=["service"]))
    assert browse.total == 6 and browse.facets["service"] == [("environnement", 6), ("urbanisme", 6)]
    assert engine.search(words("courrier", filters={"year": ["1999"]})).total == 0


def test_unknown_facet_is_empty(engine: SearchIndex) -> None:
    engine.index([doc("x", "Courrier", facets={"register": ["E"]})])
    result = engine.search(words("courrier", facets=["mime"]))
    assert result.total == 1 and result.facets == {"mime": []}


# -- writes -------------------------------------------------------------------------------------------------


def test_index_replaces_a_document_by_id(engine: SearchIndex) -> None:
    engine.index([doc("r1", "Taxe sur les chiens", facets={"register": ["E"]})])
    engine.index([doc("r1", "Travaux de voirie", facets={"register": ["S"]})])
    assert engine.search(words("taxe")).total == 0
    replaced = engine.search(words("voirie", facets=["register"]))
    assert ids(replaced) == ["r1"] and replaced.facets == {"register": [("S", 1)]}
    assert engine.search(SearchQuery(tenant_id=T1)).total == 1


def test_delete_removes_only_the_tenants_document(engine: SearchIndex) -> None:
    engine.index([doc("d1", "Plainte pour tapage"), doc("d2", "Plainte pour dépôt clandestin")])
    engine.delete(T2, ["d1"])  # another tenant cannot delete it
    assert engine.search(words("plainte")).total == 2
    engine.delete(T1, ["d1", "never-indexed"])
    assert ids(engine.search(words("plainte"))) == ["d2"]
    engine.delete(T1, [])


def test_clear_one_tenant_leaves_the_other(engine: SearchIndex) -> None:
    engine.index([doc("a", "Marché public"), doc("b", "Marché public", tenant=T2)])
    engine.clear(T1)
    assert engine.search(words("marché")).total == 0
    assert ids(engine.search(words("marché", tenant=T2))) == ["b"]
    engine.index([doc("a", "Marché public")])  # a rebuild after clearing
    assert ids(engine.search(words("marché"))) == ["a"]
    engine.clear()
    assert engine.search(SearchQuery(tenant_id=T2)).total == 0
    assert engine.search(SearchQuery(tenant_id=T1)).total == 0


# -- pages and browsing -------------------------------------------------------------------------------------


def _dated(count: int) -> list[IndexDoc]:
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    return [
        doc(
            f"m{i:02d}",
            f"Courrier numéro {i}",
            " ".join(["Demande d'extrait d'acte de naissance."] * (1 + i % 3)),
            date=start + timedelta(days=i) if i % 10 else None,
        )
        for i in range(count)
    ]


def test_pages_return_every_hit_exactly_once(engine: SearchIndex) -> None:
    engine.index(_dated(45))
    query = words("naissance", limit=20)
    first = engine.search(query)
    assert first.total == 45 and len(first.hits) == 20 and first.next_after
    pages = all_ids(engine, query)
    assert len(pages) == 45 and set(pages) == {f"m{i:02d}" for i in range(45)}
    scores = [hit.score for hit in first.hits]
    assert scores == sorted(scores, reverse=True)


def test_browse_mode_lists_the_tenants_documents_newest_first(engine: SearchIndex) -> None:
    engine.index([*_dated(45), doc("other", "Courrier", tenant=T2, date=datetime(2030, 1, 1))])
    browse = SearchQuery(tenant_id=T1, limit=20, facets=["register"])
    first = engine.search(browse)
    assert first.total == 45 and ids(first)[:3] == ["m44", "m43", "m42"]
    listed = all_ids(engine, browse)
    dated = [f"m{i:02d}" for i in range(44, -1, -1) if i % 10]
    undated = sorted(f"m{i:02d}" for i in range(0, 45, 10))
    assert listed == dated + undated  # documents without a date come last


def test_a_foreign_cursor_is_refused(engine: SearchIndex) -> None:
    engine.index(_dated(3))
    for bad in ["nope", "eyJlIjoib3RoZXIiLCJzIjoxfQ", "!!!"]:
        with pytest.raises(InvalidCursor):
            engine.search(words("naissance", after=bad))


def test_bad_queries_are_refused(engine: SearchIndex) -> None:
    with pytest.raises(ValueError):
        engine.search(SearchQuery(tenant_id=T1, limit=0))
    with pytest.raises(ValueError):
        engine.search(SearchQuery(tenant_id=T1, facets=["facets.x"]))
    with pytest.raises(ValueError):
        engine.index([doc("x", "a", facets={"Bad Name": ["v"]})])


# -- concurrency --------------------------------------------------------------------------------------------


def test_threads_share_one_index(engine: SearchIndex) -> None:
    def work(n: int) -> int:
        engine.index([doc(f"t{n}-{i}", "Courrier concurrent", f"lot {n}") for i in range(10)])
        return engine.search(words("concurrent")).total

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(8)))
    assert engine.search(words("concurrent")).total == 80


def _process_writer(engine: str, where: str, worker: int) -> int:
    """Run in a separate process: what the API server, a worker and the CLI do at the same time."""
    index = _open(engine, where)
    try:
        for batch in range(5):
            index.index([doc(f"p{worker}-{batch}-{i}", "Courrier multiprocessus") for i in range(10)])
            index.search(words("multiprocessus", facets=FACETS))
        return index.search(words("multiprocessus")).total
    finally:
        index.close()


def test_processes_write_the_same_index_at_once(engine: SearchIndex) -> None:
    kind, where = _location(engine)
    with ProcessPoolExecutor(max_workers=3, mp_context=get_context("spawn")) as pool:
        totals = list(pool.map(_process_writer, [kind] * 3, [where] * 3, range(3)))
    assert all(total >= 50 for total in totals)
    assert engine.search(words("multiprocessus")).total == 150


# -- availability -------------------------------------------------------------------------------------------


def test_ping(engine: SearchIndex) -> None:
    assert engine.ping() is True


def test_an_unreachable_elasticsearch_is_unavailable_not_an_error() -> None:
    down = ElasticSearchIndex("http://127.0.0.1:9", index_name="dms-down", request_timeout=2)
    assert down.ping() is False
    with pytest.raises(SearchUnavailable):
        down.search(words("permis"))
    with pytest.raises(SearchUnavailable):
        down.index([doc("x", "Permis")])


def test_a_locked_embedded_index_is_unavailable(tmp_path: Path) -> None:
    import sqlite3

    index = EmbeddedSearchIndex(tmp_path / "search", busy_timeout=0.2)
    index.ensure()
    blocker = sqlite3.connect(index.db_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(SearchUnavailable):
            index.index([doc("x", "Permis")])
        assert index.search(words("permis")).total == 0  # readers are not blocked by a writer
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    index.index([doc("x", "Permis")])
    assert index.search(words("permis")).total == 1


# -- the two engines agree ----------------------------------------------------------------------------------

SUBJECTS = [
    ("Demande de permis d'urbanisme", "urbanisme", "Nous sollicitons un permis d'urbanisme pour une véranda"),
    ("Permis de bâtir : accusé de réception", "urbanisme", "Votre demande de permis est complète"),
    ("Taxe sur les secondes résidences", "finances", "Avertissement-extrait de rôle pour la taxe communale"),
    ("Réclamation contre la taxe immondices", "finances", "Je conteste le montant de la taxe"),
    ("Extrait d'acte de naissance", "etat-civil", "Veuillez me délivrer un extrait d'acte de naissance"),
    ("Déclaration de mariage", "etat-civil", "Les futurs époux déposent leur déclaration à l'état civil"),
    ("Travaux de voirie rue de l'Église", "travaux", "Réfection de la voirie et des trottoirs"),
    ("Égouttage et voirie : avis aux riverains", "travaux", "Les travaux d'égouttage débuteront en mars"),
    ("Plainte pour dépôt clandestin", "environnement", "Des déchets ont été abandonnés près du bois"),
    ("Permis d'environnement de classe 2", "environnement", "Exploitation d'un atelier de menuiserie"),
]
CROSS_QUERIES: list[list[list[tuple[str, float]]]] = [
    [[("permis", 1.0)]],
    [[("demande", 1.0)]],
    [[("taxe", 1.0)]],
    [[("voirie", 1.0)], [("travaux", 1.0)]],
    [[("naissance", 1.0)]],
    [[("état civil", 1.0)]],
    [[("permis", 1.0)], [("urbanisme", 1.0), ("bâtir", 0.6)]],
    [[("taxe", 1.0), ("redevance", 0.5)], [("contester", 1.0), ("réclamation", 0.8)]],
    [[("égouttage", 1.0), ("égout", 0.5)]],
    [[("déchets", 1.0), ("immondices", 0.7)]],
    [[("mariage", 1.0), ("époux", 0.5)]],
    [[("extrait", 1.0)]],
    [[("riverains", 1.0)]],
    [[("véranda", 1.0), ("annexe", 0.4)]],
    [[("environnement", 1.0)]],
    [[("rue", 1.0)]],
    [[("inexistant", 1.0)]],
    [[("réception", 1.0)], [("permis", 1.0)]],
    [[("commune", 1.0), ("communal", 1.0)]],
    [[("menuiserie", 1.0), ("atelier", 0.5), ("classe", 0.3)]],
]
CROSS_FILTERS: list[dict[str, list[str]]] = [{}, {"register": ["E"]}, {"year": ["2023", "2024"]}]


def _cross_corpus() -> list[IndexDoc]:
    rng = random.Random(20240501)  # noqa: S311 - test data, not security
    docs = []
    for i in range(60):
        subject, service, body = rng.choice(SUBJECTS)
        extra = rng.choice(SUBJECTS)[2]
        docs.append(
            doc(
                f"x{i:03d}",
                subject,
                f"{body}. {extra}. Administration communale, dossier {i}.",
                tenant=T1 if i % 4 else T2,
                facets={
                    "register": [rng.choice("EEEIS")],
                    "year": [str(rng.randint(2021, 2024))],
                    "service": [service],
                },
                date=datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 1400)),
            )
        )
    return docs


def test_both_engines_return_the_same_hits_and_facets(
    embedded_index: EmbeddedSearchIndex, elasticsearch_index: ElasticSearchIndex
) -> None:
    corpus = _cross_corpus()
    for index in (embedded_index, elasticsearch_index):
        index.index(corpus)
    compared = 0
    for groups in CROSS_QUERIES:
        for filters in CROSS_FILTERS:
            query = expanded(*groups, filters=filters, facets=FACETS, limit=7)
            embedded, elastic = embedded_index.search(query), elasticsearch_index.search(query)
            label = f"{groups} {filters}"
            assert embedded.total == elastic.total, label
            assert embedded.facets == elastic.facets, label
            assert sorted(all_ids(embedded_index, query)) == sorted(all_ids(elasticsearch_index, query)), label
            compared += embedded.total
    assert compared > 100  # the queries do find things
    browse = SearchQuery(tenant_id=T1, facets=FACETS, limit=100)
    assert ids(embedded_index.search(browse)) == ids(elasticsearch_index.search(browse))
    assert embedded_index.search(browse).facets == elasticsearch_index.search(browse).facets
