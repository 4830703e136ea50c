"""What users keep when the embedded engine bounds its work on huge match sets (issue 10).

Past its hit cap the embedded engine ranks, counts and pages the most recently indexed matches only, and says
so (``total_is_lower_bound``, "Plus de N résultats" on the search page). Below the cap nothing changes: exact
totals and facets, every page. The cap never mixes communes, and facet filters still apply before it. An index
written by the previous schema (version 1) is migrated in place on first open.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dms import transfers
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.search import IndexDoc, SearchQuery, Term
from dms.search.embedded import EmbeddedSearchIndex
from tests.conftest import make_tenant
from tests.test_records_api import letter_pdf, upload
from tests.web_support import signed_in, web_user
from thesaurus.analysis import analyze_joined

A, B = "commune-a", "commune-b"
FACETS = ["register", "year"]
DAY = datetime(2025, 3, 1, tzinfo=UTC)


def letter(doc_id: str, tenant: str, title: str, body: str = "", *, register: str = "E", year: str = "2025",
           day: int = 0) -> IndexDoc:
    return IndexDoc(id=doc_id, tenant_id=tenant, kind="record", title_tokens=analyze_joined(title),
                    body_tokens=analyze_joined(body), facets={"register": [register], "year": [year]},
                    date=DAY + timedelta(days=day))


def words(*tokens: str) -> list[list[Term]]:
    return [[Term(token)] for token in tokens]


@pytest.fixture
def index(tmp_path: Path):
    engine = EmbeddedSearchIndex(tmp_path / "search", hit_cap=5)
    engine.ensure()
    yield engine
    engine.close()


def all_pages(engine: EmbeddedSearchIndex, query: SearchQuery) -> list[str]:
    seen, after = [], None
    while True:
        page = engine.search(SearchQuery(**{**query.__dict__, "after": after}))
        seen += [hit.id for hit in page.hits]
        after = page.next_after
        if after is None:
            return seen


def test_below_the_cap_totals_facets_and_pages_are_exact(index):
    index.index([letter(f"a{i}", A, "permis d'urbanisme", register="E" if i % 2 else "S") for i in range(5)])
    query = SearchQuery(tenant_id=A, groups=words("perm"), facets=FACETS, limit=2)
    found = index.search(query)
    assert found.total == 5 and not found.total_is_lower_bound
    assert found.facets["register"] == [("S", 3), ("E", 2)]
    assert sorted(all_pages(index, query)) == [f"a{i}" for i in range(5)]


def test_past_the_cap_the_answer_says_its_total_is_a_lower_bound(index):
    index.index([letter(f"a{i}", A, "permis d'urbanisme", "demande", day=i) for i in range(8)])
    query = SearchQuery(tenant_id=A, groups=words("perm"), facets=FACETS, limit=2)
    found = index.search(query)
    assert found.total == 5 and found.total_is_lower_bound
    # the most recently indexed five, each once over the pages, and the facets count exactly those
    assert sorted(all_pages(index, query)) == [f"a{i}" for i in range(3, 8)]
    assert found.facets["register"] == [("E", 5)]
    # browse mode (no words) is capped the same way, newest first
    browse = index.search(SearchQuery(tenant_id=A, facets=FACETS, limit=10))
    assert browse.total_is_lower_bound and [h.id for h in browse.hits] == [f"a{i}" for i in range(7, 2, -1)]


def test_the_cap_counts_one_commune_and_filters_apply_before_it(index):
    index.index([letter(f"a{i}", A, "collecte des déchets", year="2024" if i < 3 else "2025") for i in range(6)])
    # another commune's matches, indexed later (higher document numbers), neither count nor show
    index.index([letter(f"b{i}", B, "collecte des déchets") for i in range(20)])
    found = index.search(SearchQuery(tenant_id=A, groups=words("collect"), facets=FACETS, limit=20))
    assert found.total_is_lower_bound and {h.id[0] for h in found.hits} == {"a"} and found.total == 5
    filtered = index.search(SearchQuery(tenant_id=A, groups=words("collect"), filters={"year": ["2024"]},
                                        facets=FACETS, limit=20))
    assert not filtered.total_is_lower_bound
    assert sorted(h.id for h in filtered.hits) == ["a0", "a1", "a2"] and filtered.facets["year"] == [("2024", 3)]
    assert index.search(SearchQuery(tenant_id=B, groups=words("collect"), limit=20)).total == 5


def test_boost_levels_score_as_the_boosted_sum_of_each_level(tmp_path):
    engine = EmbeddedSearchIndex(tmp_path / "search")
    engine.index([
        letter("1", A, "ordures ménagères", "collecte des ordures le lundi"),
        letter("2", A, "déchets", "collecte des déchets et des ordures"),
        letter("3", A, "immondices", "collecte"),
        letter("4", B, "ordures déchets", "collecte"),
    ])
    groups = [[Term("ordur"), Term("dechet", 0.6), Term("immondic", 0.6)], [Term("collect")]]
    found = engine.search(SearchQuery(tenant_id=A, groups=groups, limit=10))
    assert {h.id for h in found.hits} == {"1", "2", "3"}
    # the reference: each boost level scored by its own MATCH, as FTS5's bm25 of that level alone
    conn = sqlite3.connect(engine.db_file)
    level = {}
    for expr, boost in (('"ordur" OR "collect"', 1.0), ('"dechet" OR "immondic"', 0.6)):
        for rowid, score in conn.execute("SELECT rowid, -bm25(text, 4.0, 1.0) FROM text WHERE text MATCH ?",
                                         (expr,)):
            level[rowid] = level.get(rowid, 0.0) + boost * score
    ids = dict(conn.execute("SELECT id, doc FROM docs WHERE tenant_id = ?", (A,)).fetchall())
    conn.close()
    for hit in found.hits:
        assert hit.score == pytest.approx(level[ids[hit.id]], rel=1e-9)
    engine.close()


def test_an_index_of_schema_version_1_is_migrated_in_place(tmp_path):
    folder = tmp_path / "search"
    folder.mkdir()
    conn = sqlite3.connect(folder / "index.sqlite3")
    conn.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE docs (doc INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
                           date TEXT, UNIQUE (tenant_id, id));
        CREATE INDEX docs_browse ON docs (tenant_id, kind, date DESC, id);
        CREATE TABLE facets (doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
                             PRIMARY KEY (doc, field, value)) WITHOUT ROWID;
        CREATE INDEX facets_value ON facets (field, value);
        CREATE VIRTUAL TABLE text USING fts5(title, body,
                                             tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'");
        INSERT INTO meta VALUES ('schema', '1');
        INSERT INTO docs VALUES (1, 'commune-a', 'r1', 'record', '2025-03-01T00:00:00.000Z');
        INSERT INTO docs VALUES (2, 'commune-a', 'r2', 'record', '2025-03-02T00:00:00.000Z');
        INSERT INTO facets VALUES (1, 'register', 'E'), (1, 'year', '2025'), (2, 'register', 'S'),
                                  (2, 'year', '2025');
        INSERT INTO text (rowid, title, body) VALUES (1, 'perm urban', ''), (2, 'perm environ', '');
    """)
    conn.commit()
    conn.close()
    engine = EmbeddedSearchIndex(folder)
    found = engine.search(SearchQuery(tenant_id=A, groups=words("perm"), facets=FACETS, limit=10))
    assert found.total == 2 and found.facets == {"register": [("E", 1), ("S", 1)], "year": [("2025", 2)]}
    # the migrated documents are still replaced and filtered like new ones
    engine.index([letter("r2", A, "permis d'environnement", register="E")])
    again = engine.search(SearchQuery(tenant_id=A, groups=words("perm"), filters={"register": ["E"]},
                                      facets=FACETS))
    assert sorted(h.id for h in again.hits) == ["r1", "r2"] and again.facets["register"] == [("E", 2)]
    engine.close()
    conn = sqlite3.connect(folder / "index.sqlite3")
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
    conn.close()


def test_api_and_search_page_flag_a_capped_count(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    for i in range(3):
        path = letter_pdf(tmp_path, f"Demande de subside numéro {i} pour la kermesse du quartier.", f"l{i}.pdf")
        assert upload(client, clerk, path, subject=f"Subside kermesse {i}").status_code == 201
    found = client.get("/api/v1/search", params={"q": "kermesse"}, headers=clerk.headers).json()
    assert found["total"] == 3 and found["total_is_lower_bound"] is False
    search = runtime.backends.search
    if not isinstance(search, EmbeddedSearchIndex):
        return  # Elasticsearch counts every hit (track_total_hits): never capped
    search.hit_cap = 2
    capped = client.get("/api/v1/search", params={"q": "kermesse"}, headers=clerk.headers).json()
    assert capped["total"] == 2 and capped["total_is_lower_bound"] is True and len(capped["hits"]) == 2
    user = web_user(runtime, "clerk", slug=clerk.slug)
    browser, _ = signed_in(client.app, user)
    page = browser.get("/search", params={"q": "kermesse"})
    assert page.status_code == 200 and "Plus de 2 résultats" in page.text
    # a transfer chosen by query refuses a capped match set rather than taking part of it
    with unit_of_work(runtime.backends.engine, write=False) as session, pytest.raises(BadInput, match="narrow"):
        transfers.select_records(session, search, clerk.tenant_id, query="kermesse")
