"""Benchmark of the two embedded search candidates, SQLite FTS5 and Tantivy (optionally Elasticsearch too).

Why: DESIGN.md §2 leaves the embedded engine open. This measures what the choice depends on, on the same
analysed corpus and the same queries: indexing throughput (bulk and one record per commit, the way index jobs
write), index size, query latency with a tenant filter and three facet counts, and what happens when the API
server, a worker and the CLI use the index from separate processes at once.

Corpus: the French labels of the UNESCO thesaurus (one small document per concept) and generated French
municipal mail. Prints one JSON object on stdout; progress goes to stderr.

    .venv/bin/python bench/search_engines.py [--letters 10000] [--queries 200] [--es-url http://127.0.0.1:9200]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tantivy
from rdflib import Graph
from rdflib.namespace import SKOS

from dms.search import Hit, IndexDoc, SearchQuery, SearchResult, Term
from dms.search.cursors import encode_cursor
from dms.search.embedded import EmbeddedSearchIndex
from dms.search.rules import active_filters, query_groups, sorted_facets
from thesaurus.analysis import analyze, analyze_joined

ROOT = Path(__file__).resolve().parents[1]
THESAURUS = ROOT.parent / "shared/data/thesaurus/unesco-thesaurus.ttl"
TENANTS = [("commune-a", 6), ("commune-b", 3), ("commune-c", 1)]
FACETS = ["register", "year", "service"]
BATCH = 500


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- corpus -------------------------------------------------------------------------------------------------------

SERVICES: dict[str, dict[str, list[str]]] = {
    "urbanisme": {
        "subjects": [
            "Demande de permis d'urbanisme",
            "Permis d'urbanisme : demande de compléments",
            "Déclaration urbanistique préalable",
            "Certificat d'urbanisme n° 1",
            "Recours contre un permis d'urbanisme",
            "Division de parcelle cadastrée",
            "Régularisation d'une véranda",
        ],
        "sentences": [
            "Nous avons bien reçu votre demande de permis d'urbanisme pour une annexe {street}.",
            "Le dossier est incomplet : il manque les plans signés par l'architecte.",
            "Une enquête publique sera organisée du {date} au {date2} inclus.",
            "Le fonctionnaire délégué a remis un avis favorable conditionnel sur la demande.",
            "La parcelle cadastrée section {letter} n° {number} est située en zone d'habitat au plan de secteur.",
            "Les riverains peuvent consulter les plans à l'administration communale, service de l'urbanisme.",
            "Nous vous prions de nous transmettre trois exemplaires supplémentaires des plans d'implantation.",
        ],
    },
    "finances": {
        "subjects": [
            "Taxe sur les secondes résidences",
            "Réclamation contre la taxe immondices",
            "Avertissement-extrait de rôle",
            "Demande de dégrèvement",
            "Taxe sur les panneaux publicitaires",
            "Rappel de paiement",
            "Plan de paiement échelonné",
        ],
        "sentences": [
            "Le montant de {amount} reste impayé à ce jour malgré notre rappel du {date}.",
            "Je conteste le montant de la taxe enrôlée pour l'exercice {year} car je n'occupe plus le bien.",
            "Le Collège communal a accordé un dégrèvement partiel de {amount}.",
            "Une réclamation peut être introduite dans les six mois de l'avertissement-extrait de rôle.",
            "Le paiement se fait sur le compte de l'administration communale avec la communication structurée.",
            "Veuillez trouver ci-joint la preuve de paiement de {amount} effectué le {date}.",
        ],
    },
    "etat-civil": {
        "subjects": [
            "Extrait d'acte de naissance",
            "Déclaration de mariage",
            "Changement d'adresse",
            "Demande de carte d'identité",
            "Reconnaissance prénatale",
            "Acte de décès",
            "Demande de nationalité",
        ],
        "sentences": [
            "Veuillez me délivrer un extrait d'acte de naissance au nom de {person}.",
            "Les futurs époux déposent leur déclaration de mariage à l'état civil en vue d'une célébration le {date}.",
            "L'agent de quartier a constaté la résidence effective au {street} le {date}.",
            "La nouvelle carte d'identité électronique peut être retirée au guichet de la population.",
            "Le registre de la population a été mis à jour suite à votre changement d'adresse.",
            "Nous joignons une copie de l'acte de décès dressé le {date}.",
        ],
    },
    "travaux": {
        "subjects": [
            "Travaux de voirie",
            "Réfection des trottoirs",
            "Égouttage : avis aux riverains",
            "Éclairage public défectueux",
            "Nids-de-poule dangereux",
            "Fermeture temporaire de voirie",
            "Entretien des fossés",
        ],
        "sentences": [
            "Les travaux de voirie {street} débuteront le {date} pour une durée estimée de six semaines.",
            "La circulation sera interdite sauf desserte locale pendant les travaux d'égouttage.",
            "Plusieurs nids-de-poule rendent la chaussée dangereuse pour les cyclistes {street}.",
            "Le point lumineux n° {number} de l'éclairage public ne fonctionne plus depuis le {date}.",
            "Le service des travaux interviendra pour l'entretien des accotements et le curage des fossés.",
            "Le montant des travaux est estimé à {amount} hors TVA.",
        ],
    },
    "environnement": {
        "subjects": [
            "Permis d'environnement de classe 2",
            "Plainte pour dépôt clandestin",
            "Abattage d'arbres",
            "Collecte des déchets ménagers",
            "Nuisances sonores",
            "Déclaration de classe 3",
        ],
        "sentences": [
            "Des déchets ont été abandonnés près du bois {street} et nous demandons leur enlèvement.",
            "L'abattage de deux chênes remarquables nécessite un permis d'urbanisme préalable.",
            "L'exploitation d'un atelier de menuiserie requiert un permis d'environnement de classe 2.",
            "Les conteneurs à puce sont collectés tous les quinze jours le mardi matin.",
            "Les nuisances sonores provenant de la salle des fêtes se répètent chaque week-end.",
            "Un procès-verbal a été dressé par l'agent constatateur le {date}.",
        ],
    },
    "secretariat": {
        "subjects": [
            "Convocation au conseil communal",
            "Marché public de fournitures",
            "Demande de subside",
            "Occupation de la salle communale",
            "Invitation à la cérémonie du 11 novembre",
            "Demande d'accès aux documents administratifs",
        ],
        "sentences": [
            "Le conseil communal se réunira le {date} à 20 heures en la salle du conseil.",
            "L'offre de la société {company} d'un montant de {amount} a été jugée la plus avantageuse.",
            "Le Collège communal a marqué son accord sur l'octroi d'un subside de {amount}.",
            "Nous sollicitons la mise à disposition de la salle communale le {date} pour notre assemblée.",
            "Conformément au décret relatif à la publicité de l'administration, je demande copie du dossier.",
        ],
    },
}
GREETINGS = ["Madame, Monsieur,", "Monsieur le Bourgmestre,", "Mesdames et Messieurs les membres du Collège,"]
CLOSINGS = [
    "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
    "Nous restons à votre disposition pour tout renseignement complémentaire.",
    "Dans l'attente de votre réponse, je vous prie d'agréer mes salutations respectueuses.",
]
GENERIC = [
    "Pour toute information, vous pouvez contacter {person} au service concerné.",
    "Ce courrier fait suite à notre entretien téléphonique du {date}.",
    "Vous trouverez en annexe les documents demandés.",
    "La présente annule et remplace notre courrier du {date}.",
]
FIRST = ["Marie", "Jean", "Sophie", "Luc", "Nathalie", "Pierre", "Isabelle", "Michel", "Françoise", "André", "Chloé"]
LAST = ["Dupont", "Lambert", "Dubois", "Martin", "Leclercq", "Renard", "Simon", "Lejeune", "Gérard", "François"]
COMPANIES = [
    "Étude du notaire Delvaux",
    "Bureau d'architecture Lemaire",
    "SWDE",
    "ORES",
    "Service public de Wallonie",
    "Police locale",
    "CPAS",
    "Entreprise Thiry et fils",
    "Intercommunale de collecte des déchets",
]
STREETS = [
    "rue de la Station",
    "rue de l'Église",
    "chaussée de Namur",
    "avenue des Tilleuls",
    "place communale",
    "rue du Moulin",
    "rue Haute",
    "chemin des Aubépines",
    "rue de la Gare",
    "route de Liège",
]
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def _french_date(day: datetime) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _amount(rng: random.Random) -> str:
    value = rng.randint(25, 250_000) + rng.randint(0, 99) / 100
    whole, cents = divmod(round(value * 100), 100)
    return f"{whole:,}".replace(",", ".") + f",{cents:02d} EUR"


def generate_letter(rng: random.Random, number: int) -> tuple[str, str, str, dict[str, list[str]], datetime]:
    """One piece of municipal mail: (tenant, title, body, facets, registration date)."""
    service = rng.choice(list(SERVICES))
    pool = SERVICES[service]
    day = datetime(2020, 1, 1, 8, tzinfo=UTC) + timedelta(days=rng.randint(0, 2000), minutes=rng.randint(0, 600))
    register = rng.choices(["E", "S", "I"], weights=[6, 3, 1])[0]
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    fields = {
        "street": rng.choice(STREETS),
        "date": _french_date(day - timedelta(days=rng.randint(1, 60))),
        "date2": _french_date(day + timedelta(days=rng.randint(15, 30))),
        "amount": _amount(rng),
        "person": person,
        "company": rng.choice(COMPANIES),
        "letter": rng.choice("ABCDE"),
        "number": str(rng.randint(1, 999)),
        "year": str(day.year - 1),
    }
    sentences = rng.sample(pool["sentences"], k=min(len(pool["sentences"]), rng.randint(2, 5)))
    sentences += rng.sample(GENERIC, k=rng.randint(0, 2))
    sender = rng.choice([person, rng.choice(COMPANIES)])
    body = "\n".join(
        [
            f"{sender}, {rng.randint(1, 150)} {rng.choice(STREETS)}",
            f"Le {_french_date(day)}",
            rng.choice(GREETINGS),
            *(s.format(**fields) for s in sentences),
            rng.choice(CLOSINGS),
            sender,
        ]
    )
    title = f"{register}/{day.year}/{number:05d} {rng.choice(pool['subjects'])}"
    tenant = rng.choices([t for t, _ in TENANTS], weights=[w for _, w in TENANTS])[0]
    facets = {"register": [register], "year": [str(day.year)], "service": [service]}
    return tenant, title, body, facets, day


def thesaurus_docs() -> list[IndexDoc]:
    """One federation-wide document per concept: French prefLabel as title, altLabels as body."""
    graph = Graph()
    graph.parse(THESAURUS)
    labels: dict[str, tuple[list[str], list[str]]] = {}
    for predicate, slot in ((SKOS.prefLabel, 0), (SKOS.altLabel, 1)):
        for concept, _, label in graph.triples((None, predicate, None)):
            if getattr(label, "language", None) == "fr":
                labels.setdefault(str(concept), ([], []))[slot].append(str(label))
    return [
        IndexDoc(
            id=uri,
            tenant_id="federation",
            kind="concept",
            title_tokens=analyze_joined(" ".join(pref)),
            body_tokens=analyze_joined(" ".join(alt)),
            facets={"scheme": ["unesco"]},
        )
        for uri, (pref, alt) in sorted(labels.items())
        if pref
    ]


def letter_docs(count: int, seed: int = 1) -> list[IndexDoc]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    docs = []
    for i in range(count):
        tenant, title, body, facets, day = generate_letter(rng, i)
        docs.append(
            IndexDoc(
                id=f"letter-{i:06d}",
                tenant_id=tenant,
                kind="record",
                title_tokens=analyze_joined(title),
                body_tokens=analyze_joined(body),
                facets=facets,
                date=day,
            )
        )
    return docs


QUERY_WORDS = [
    "permis", "urbanisme", "taxe", "naissance", "mariage", "voirie", "égouttage", "trottoirs", "réclamation",
    "dégrèvement", "déchets", "arbres", "carte d'identité", "adresse", "notaire", "architecte", "enquête publique",
    "paiement", "rappel", "subside", "conseil communal", "marché public", "éclairage", "nids-de-poule",
    "environnement", "nuisances", "décès", "nationalité", "salle", "plans", "parcelle", "riverains", "Dupont",
    "Lambert", "Station", "Église", "Namur", "Moulin", "SWDE", "ORES", "CPAS", "fossés", "véranda", "annexe",
    "demande", "travaux", "collecte", "conteneurs", "police", "population",
]  # fmt: skip
SYNONYMS = {
    "taxe": ["redevance", "impôt"],
    "voirie": ["route", "chaussée"],
    "déchets": ["immondices", "ordures"],
    "permis": ["autorisation"],
    "décès": ["funérailles"],
    "mariage": ["union", "époux"],
    "plans": ["dessins"],
}


def generate_queries(count: int, seed: int = 2) -> list[SearchQuery]:
    """1-3 words, one group per word; a third of the words carry thesaurus-like expansions (boost < 1)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    queries = []
    for _ in range(count):
        groups: list[list[Term]] = []
        for word in rng.sample(QUERY_WORDS, k=rng.choice([1, 1, 2, 2, 3])):
            group = [Term(token) for token in analyze(word)]
            if word in SYNONYMS and rng.random() < 0.7:
                group += [Term(token, 0.6) for syn in SYNONYMS[word] for token in analyze(syn)]
            if group:
                groups.append(group)
        tenant = rng.choices([t for t, _ in TENANTS], weights=[w for _, w in TENANTS])[0]
        filters = {"year": [str(rng.randint(2020, 2025))]} if rng.random() < 0.2 else {}
        queries.append(SearchQuery(tenant_id=tenant, groups=groups, filters=filters, facets=FACETS, limit=20))
    return queries


# -- the Tantivy candidate ------------------------------------------------------------------------------------------


class TantivyCandidate:
    """The same contract on Tantivy, enough to measure it: tenant/kind filters, boosted term groups, facet
    counts through a terms aggregation, offset pages. One writer per index, as Tantivy requires."""

    def __init__(self, path: Path, facet_names: Iterable[str], *, threads: int = 1) -> None:
        path.mkdir(parents=True, exist_ok=True)
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("key", tokenizer_name="raw")
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("tenant_id", tokenizer_name="raw")
        builder.add_text_field("kind", tokenizer_name="raw")
        builder.add_text_field("title", tokenizer_name="whitespace", index_option="freq")
        builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
        self.facet_names = list(facet_names)
        for name in self.facet_names:
            builder.add_text_field(f"f_{name}", tokenizer_name="raw", fast=True)
        builder.add_date_field("date", fast=True)
        self.schema = builder.build()
        self.index_obj = tantivy.Index(self.schema, path=str(path))
        self.path = path
        self.threads = threads

    def writer(self) -> tantivy.IndexWriter:
        return self.index_obj.writer(64_000_000, self.threads)

    def _document(self, doc: IndexDoc) -> tantivy.Document:
        fields: dict[str, object] = {
            "key": f"{doc.tenant_id}\x1f{doc.id}",
            "id": doc.id,
            "tenant_id": doc.tenant_id,
            "kind": doc.kind,
            "title": doc.title_tokens,
            "body": doc.body_tokens,
        }
        for name, values in doc.facets.items():
            if name in self.facet_names:
                fields[f"f_{name}"] = list(values)
        document = tantivy.Document(**fields)
        if doc.date is not None:
            document.add_date("date", doc.date)
        return document

    def add(self, writer: tantivy.IndexWriter, docs: list[IndexDoc]) -> None:
        for doc in docs:
            writer.delete_documents_by_term("key", f"{doc.tenant_id}\x1f{doc.id}")
            writer.add_document(self._document(doc))

    def index(self, docs: list[IndexDoc]) -> None:
        writer = self.writer()
        self.add(writer, docs)
        writer.commit()
        writer.wait_merging_threads()
        self.index_obj.reload()

    def search(self, query: SearchQuery, offset: int = 0) -> SearchResult:
        q = tantivy.Query
        occur = tantivy.Occur
        clauses = [
            (occur.Must, q.term_query(self.schema, "tenant_id", query.tenant_id)),
            (occur.Must, q.term_query(self.schema, "kind", query.kind)),
        ]
        for name, values in active_filters(query).items():
            clauses.append((occur.Must, q.term_set_query(self.schema, f"f_{name}", values)))
        for group in query_groups(query):
            should = []
            for term in group:
                should.append(
                    (occur.Should, q.boost_query(q.term_query(self.schema, "title", term.token), 3 * term.boost))
                )
                should.append((occur.Should, q.boost_query(q.term_query(self.schema, "body", term.token), term.boost)))
            clauses.append((occur.Must, q.boolean_query(should)))
        full = q.boolean_query(clauses)
        searcher = self.index_obj.searcher()
        if query.groups:
            found = searcher.search(full, limit=query.limit, offset=offset, count=True)
        else:
            found = searcher.search(full, limit=query.limit, offset=offset, count=True, order_by_field="date")
        hits = [Hit(id=searcher.doc(address)["id"][0], score=float(score)) for score, address in found.hits]
        facets = {}
        if query.facets:
            aggs = {name: {"terms": {"field": f"f_{name}", "size": 100}} for name in query.facets}
            result = searcher.aggregate(full, aggs)
            for name in query.facets:
                facets[name] = sorted_facets({b["key"]: b["doc_count"] for b in result[name]["buckets"]})
        return SearchResult(total=found.count, hits=hits, facets=facets)


# -- measurements --------------------------------------------------------------------------------------------------


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
    }


def time_queries(run: Callable[[SearchQuery], SearchResult], queries: list[SearchQuery]) -> dict[str, object]:
    for query in queries[:20]:  # warm caches
        run(query)
    samples, totals = [], []
    for query in queries:
        start = time.perf_counter()
        result = run(query)
        samples.append((time.perf_counter() - start) * 1000)
        totals.append(result.total)
    return {**percentiles(samples), "queries": len(queries), "mean_total_hits": round(statistics.fmean(totals), 1)}


def bench_fts5(work: Path, docs: list[IndexDoc], singles: list[IndexDoc], queries: list[SearchQuery]) -> dict:
    index = EmbeddedSearchIndex(work / "fts5")
    index.ensure()
    start = time.perf_counter()
    for i in range(0, len(docs), BATCH):
        index.index(docs[i : i + BATCH])
    bulk_s = time.perf_counter() - start
    start = time.perf_counter()
    for doc in singles:
        index.index([doc])
    single_s = time.perf_counter() - start
    conn = index._conn()  # noqa: SLF001 - measuring the file, not the API
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = dir_size(index.path)
    latency = time_queries(index.search, queries)
    deep = time_queries(lambda q: index.search(_page3(q)), queries[:50])
    index.close()
    return {
        "bulk_docs_per_s": round(len(docs) / bulk_s),
        "single_commit_docs_per_s": round(len(singles) / single_s),
        "index_bytes": size,
        "query": latency,
        "query_page3": deep,
    }


def _page3(query: SearchQuery) -> SearchQuery:
    return replace(query, after=encode_cursor("fts5", 40))


def bench_tantivy(work: Path, docs: list[IndexDoc], singles: list[IndexDoc], queries: list[SearchQuery]) -> dict:
    candidate = TantivyCandidate(work / "tantivy", [*FACETS, "scheme"])
    start = time.perf_counter()
    writer = candidate.writer()
    for i in range(0, len(docs), BATCH):
        candidate.add(writer, docs[i : i + BATCH])
        writer.commit()
    writer.wait_merging_threads()
    bulk_s = time.perf_counter() - start
    start = time.perf_counter()
    writer = candidate.writer()
    for doc in singles:  # one commit per record, like an index job, with the writer kept open
        candidate.add(writer, [doc])
        writer.commit()
    writer.wait_merging_threads()
    single_s = time.perf_counter() - start
    candidate.index_obj.reload()
    size = dir_size(candidate.path)
    latency = time_queries(candidate.search, queries)
    deep = time_queries(lambda q: candidate.search(q, offset=40), queries[:50])
    return {
        "bulk_docs_per_s": round(len(docs) / bulk_s),
        "single_commit_docs_per_s": round(len(singles) / single_s),
        "index_bytes": size,
        "query": latency,
        "query_page3": deep,
        "segments_after": candidate.index_obj.searcher().num_segments,
        "writer": "1 thread, 64 MB heap",
    }


def bench_elasticsearch(url: str, docs: list[IndexDoc], singles: list[IndexDoc], queries: list[SearchQuery]) -> dict:
    from dms.search.elastic import ElasticSearchIndex

    index = ElasticSearchIndex(url, index_name=f"bench-{os.getpid()}")
    index.ensure()
    try:
        start = time.perf_counter()
        for i in range(0, len(docs), BATCH):
            index.index(docs[i : i + BATCH])
        bulk_s = time.perf_counter() - start
        start = time.perf_counter()
        for doc in singles:
            index.index([doc])
        single_s = time.perf_counter() - start
        index.client.indices.forcemerge(index=index.index_name, max_num_segments=1)
        stats = index.client.indices.stats(index=index.index_name, metric="store")
        return {
            "bulk_docs_per_s": round(len(docs) / bulk_s),
            "single_commit_docs_per_s": round(len(singles) / single_s),
            "index_bytes_after_forcemerge": stats["_all"]["primaries"]["store"]["size_in_bytes"],
            "query": time_queries(index.search, queries),
        }
    finally:
        index.delete_index()
        index.close()


def agreement(work: Path, queries: list[SearchQuery]) -> dict[str, int]:
    """Both candidates must find the same documents: compare totals and facets query by query."""
    fts5 = EmbeddedSearchIndex(work / "fts5")
    candidate = TantivyCandidate(work / "tantivy", [*FACETS, "scheme"])
    same_total = same_facets = same_top = 0
    for query in queries:
        a, b = fts5.search(query), candidate.search(query)
        same_total += a.total == b.total
        same_facets += a.facets == b.facets
        same_top += bool(a.hits) and bool(b.hits) and a.hits[0].id == b.hits[0].id or not a.hits and not b.hits
    fts5.close()
    return {"queries": len(queries), "same_total": same_total, "same_facets": same_facets, "same_top_hit": same_top}


# -- several processes at once ----------------------------------------------------------------------------------------


def _fts5_role(role: str, path: str, seconds: float, seed: int) -> dict:
    """One process of the FTS5 scenario: 'api' searches, 'worker' indexes one record per commit, 'cli' bulk."""
    index = EmbeddedSearchIndex(Path(path))
    rng = random.Random(seed)  # noqa: S311
    queries = generate_queries(50, seed=seed)
    done, errors, latencies = 0, [], []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        try:
            if role == "api":
                start = time.perf_counter()
                index.search(rng.choice(queries))
                latencies.append((time.perf_counter() - start) * 1000)
                done += 1
            else:
                size = 1 if role == "worker" else 200
                batch = letter_docs(size, seed=seed * 1000 + n)
                batch = [replace(d, id=f"{role}-{n}-{i}") for i, d in enumerate(batch)]
                n += 1
                index.index(batch)
                done += size
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(f"{type(exc).__name__}: {exc}")
    index.close()
    result: dict[str, object] = {"role": role, "operations": done, "errors": len(errors), "first_error": errors[:1]}
    if latencies:
        result["search_latency"] = percentiles(latencies)
    return result


def multiprocess_fts5(work: Path, seconds: float) -> dict:
    path = work / "fts5"
    before = EmbeddedSearchIndex(path)
    count_before = before.search(SearchQuery(tenant_id="commune-a", limit=1)).total
    roles = ["api", "worker", "cli"]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(roles)) as pool:
        results = pool.starmap(_fts5_role, [(role, str(path), seconds, 10 + i) for i, role in enumerate(roles)])
    written = sum(r["operations"] for r in results if r["role"] != "api")
    after = before.search(SearchQuery(tenant_id="commune-a", limit=1)).total
    query = "SELECT count(*) FROM docs WHERE id LIKE 'worker-%' OR id LIKE 'cli-%'"
    (stored,) = before._conn().execute(query).fetchone()  # noqa: SLF001 - counting rows, not searching
    before.close()
    return {
        "seconds": seconds,
        "processes": results,
        "docs_written": written,
        "docs_found_after": stored,
        "commune_a_total_before_after": [count_before, after],
    }


_TANTIVY_WRITER_PROBE = """
import sys, time, tantivy
sys.path.insert(0, {root!r})
from bench.search_engines import TantivyCandidate, FACETS
c = TantivyCandidate(__import__('pathlib').Path({path!r}), [*FACETS, 'scheme'])
start = time.perf_counter()
try:
    w = c.writer()
    print('ok', round((time.perf_counter() - start) * 1000, 1))
except Exception as exc:
    print('error', round((time.perf_counter() - start) * 1000, 1), type(exc).__name__, str(exc).splitlines()[0])
"""


def _tantivy_writer_role(path: str, seconds: float, seed: int) -> dict:
    """A worker-like process that opens the single writer for each batch and retries while another holds it."""
    candidate = TantivyCandidate(Path(path), [*FACETS, "scheme"])
    committed = busy = 0
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        batch = letter_docs(5, seed=seed * 1000 + n)
        batch = [replace(d, id=f"tv{seed}-{n}-{i}") for i, d in enumerate(batch)]
        n += 1
        try:
            writer = candidate.writer()
        except ValueError:
            busy += 1
            time.sleep(0.01)
            continue
        candidate.add(writer, batch)
        writer.commit()
        writer.wait_merging_threads()
        del writer
        committed += len(batch)
    return {"committed_docs": committed, "writer_busy_failures": busy}


def multiprocess_tantivy(work: Path, seconds: float) -> dict:
    path = work / "tantivy"
    candidate = TantivyCandidate(path, [*FACETS, "scheme"])
    holder = candidate.writer()  # a long-running worker keeps its writer open
    probe = subprocess.run(
        [sys.executable, "-c", _TANTIVY_WRITER_PROBE.format(root=str(ROOT), path=str(path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    del holder
    time.sleep(0.2)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        writers = pool.starmap(_tantivy_writer_role, [(str(path), seconds, s) for s in (21, 22)])
    # A reader opened before the commits: does it see them without an explicit reload()?
    searcher_before = candidate.index_obj.searcher().num_docs
    candidate.index_obj.reload()
    searcher_after = candidate.index_obj.searcher().num_docs
    return {
        "second_process_opening_a_writer": probe.stdout.strip() or probe.stderr.strip()[-300:],
        "writer_per_batch_with_retry": writers,
        "reader_num_docs_before_after_reload": [searcher_before, searcher_after],
    }


# -- main -----------------------------------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "")
    except OSError:
        pass
    import sqlite3

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "tantivy": tantivy.__version__ if hasattr(tantivy, "__version__") else "0.27.0",
        "kernel": platform.release(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--singles", type=int, default=300, help="records indexed one commit at a time")
    parser.add_argument("--mp-seconds", type=float, default=8.0, help="length of each multi-process scenario")
    parser.add_argument("--es-url", default=None, help="also measure Elasticsearch at this URL")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="dms-bench-search-"))
    try:
        log("analysing the corpus (thesaurus + letters)")
        start = time.perf_counter()
        concepts = thesaurus_docs()
        letters = letter_docs(args.letters + args.singles)
        analysis_s = time.perf_counter() - start
        docs, singles = concepts + letters[: args.letters], letters[args.letters :]
        queries = generate_queries(args.queries)
        report: dict[str, object] = {
            "machine": machine(),
            "corpus": {
                "concept_docs": len(concepts),
                "letter_docs": args.letters,
                "single_commit_docs": len(singles),
                "tokens_per_letter": round(
                    statistics.fmean(len(d.body_tokens.split()) + len(d.title_tokens.split()) for d in letters), 1
                ),
                "analysis_docs_per_s": round(len(concepts + letters) / analysis_s),
            },
        }
        log("fts5: indexing and queries")
        report["fts5"] = bench_fts5(work, docs, singles, queries)
        log("tantivy: indexing and queries")
        report["tantivy"] = bench_tantivy(work, docs, singles, queries)
        log("agreement between the two")
        report["agreement"] = agreement(work, queries)
        log("fts5: api + worker + cli processes at once")
        report["fts5_multiprocess"] = multiprocess_fts5(work, args.mp_seconds)
        log("tantivy: several processes")
        report["tantivy_multiprocess"] = multiprocess_tantivy(work, args.mp_seconds)
        if args.es_url:
            log("elasticsearch: indexing and queries")
            report["elasticsearch"] = bench_elasticsearch(args.es_url, docs, singles, queries)
        print(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
