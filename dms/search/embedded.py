"""The embedded search engine: SQLite FTS5 in one WAL-mode file under the data directory.

Chosen over Tantivy (docs/decisions/0001-embedded-search-engine.md) because the API server, the workers and
the CLI write to the same index from separate processes: SQLite serialises their writers with a lock and
``busy_timeout`` while readers never block, whereas a Tantivy index admits one ``IndexWriter`` and a second
process fails at once.

Documents arrive analysed (``thesaurus.analysis``), so the FTS5 tokenizer only splits on spaces in practice.
Scores are FTS5's BM25 with the title column weighted over the body. BM25 is a sum over the phrases of the
MATCH expression, so a per-term boost is applied by scoring each extra boost level with one more MATCH and
adding the weighted parts.

A common word can match most of a commune's records, and ranking, counting and faceting all of them grows
with the match set (1.7 s at 1,000,000 records). So a query collects at most ``HIT_CAP`` + 1 matches, newest
document numbers first (FTS5 streams a MATCH in rowid order and stops at the LIMIT): below the cap nothing
changes; past it, the hits, pages and facet counts cover the ``HIT_CAP`` most recently indexed matches and the
result says ``total_is_lower_bound``. Facet counts read a compact ``docs.facet_ids`` string (numbers of
``facet_values``) beside each hit instead of probing the facets table per hit and field (docs/search.md).
"""

# SQL text here is assembled from constants and "?" placeholders only; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

import heapq
import os
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dms.search import Hit, IndexDoc, SearchQuery, SearchResult, SearchUnavailable, Term
from dms.search.cursors import InvalidCursor, decode_cursor, encode_cursor
from dms.search.rules import active_filters, check_doc, facet_pairs, query_groups, sorted_facets, utc_millis

ENGINE = "fts5"
SCHEMA_VERSION = "2"  # 2: docs.facet_ids and facet_values (migrated in place from 1)
TITLE_WEIGHT = 4.0  # FTS5 normalises by the whole document's length, so the title needs a strong weight
BODY_WEIGHT = 1.0
BUSY_TIMEOUT_S = 15.0
# Past this many matches a query ranks, counts and pages the most recently indexed ones only, and says that
# its total is a lower bound (as Elasticsearch's track_total_hits does for counting). It bounds the BM25, facet
# and sort work of a common word: at 100,000 records (bench/search_scale.py's queries) a cap of 10,000 still
# cost ~60 ms of CPU at p95 on the benchmark machine, 5,000 about half (docs/search.md).
HIT_CAP = 5_000

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    date TEXT,
    facet_ids TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS docs_browse ON docs (tenant_id, kind, date DESC, id);
CREATE TABLE IF NOT EXISTS facets (
    doc INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (doc, field, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facets_value ON facets (field, value);
CREATE TABLE IF NOT EXISTS facet_values (
    value_id INTEGER PRIMARY KEY,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (field, value)
);
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5(
    title, body, tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '{SCHEMA_VERSION}');
"""

# Version 1 had no facet_ids: fill them from the facets table, in place, once (docs/decisions/0001).
_MIGRATE_1_TO_2 = """
ALTER TABLE docs ADD COLUMN facet_ids TEXT NOT NULL DEFAULT '';
INSERT OR IGNORE INTO facet_values (field, value) SELECT DISTINCT field, value FROM facets;
UPDATE docs SET facet_ids = coalesce((
    SELECT group_concat(v.value_id, ' ') FROM facets f JOIN facet_values v ON v.field = f.field AND v.value = f.value
    WHERE f.doc = docs.doc
), '');
UPDATE meta SET value = '2' WHERE key = 'schema';
"""

_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "database or disk is full", "readonly")


def _unavailable(exc: sqlite3.Error) -> bool:
    message = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(part in message for part in _UNAVAILABLE)


def _phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _match(groups: list[list[Term]]) -> str:
    return " AND ".join("(" + " OR ".join(_phrase(t.token) for t in group) + ")" for group in groups)


class EmbeddedSearchIndex:
    """One SQLite connection per thread and per process; safe for concurrent threads and processes."""

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S, hit_cap: int = HIT_CAP) -> None:
        if hit_cap < 1:
            raise ValueError("hit_cap must be at least 1")
        self.path = Path(path)
        self.hit_cap = hit_cap
        self.db_file = self.path / "index.sqlite3"
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._ready = False

    # -- connections -------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_file, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an index job is marked done once index() returns, so its commit must survive a power cut.
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection; a forked child opens its own rather than share the parent's locks."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            try:
                conn = self._connect()
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._lock:
                self._connections.append(conn)
        if not self._ready:
            self._create_schema(conn)
        return conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """IMMEDIATE for writers: taking the write lock up front lets ``busy_timeout`` queue competing
        processes instead of failing on a read-to-write upgrade."""
        try:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.Error):
                raise self._translate(exc) from exc
            raise

    def _translate(self, exc: sqlite3.Error) -> Exception:
        if _unavailable(exc):
            return SearchUnavailable(f"embedded search index {self.db_file}: {exc}")
        return exc

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        # executescript commits any open transaction first, so the script carries its own BEGIN IMMEDIATE:
        # processes starting together create the schema one after the other.
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\nCOMMIT;")
            (version,) = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version == "1":
                conn.executescript(f"BEGIN IMMEDIATE;\n{_MIGRATE_1_TO_2}\nCOMMIT;")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise self._translate(exc) from exc
        self._ready = True

    # -- SearchIndex --------------------------------------------------------------------------------------

    def ensure(self) -> None:
        self._conn()

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT count(*) FROM meta").fetchone()
        except (sqlite3.Error, SearchUnavailable, OSError):
            return False
        return True

    def index(self, docs: list[IndexDoc]) -> None:
        for doc in docs:
            check_doc(doc)
        if not docs:
            return
        with self._transaction(write=True) as conn:
            value_ids = self._value_ids(conn, {pair for doc in docs for pair in facet_pairs(doc)})
            for doc in docs:
                pairs = facet_pairs(doc)
                facet_ids = " ".join(str(value_ids[pair]) for pair in pairs)
                row = conn.execute(
                    "SELECT doc FROM docs WHERE tenant_id = ? AND id = ?", (doc.tenant_id, doc.id)
                ).fetchone()
                if row is None:
                    (docid,) = conn.execute(
                        "INSERT INTO docs (tenant_id, id, kind, date, facet_ids) VALUES (?, ?, ?, ?, ?) RETURNING doc",
                        (doc.tenant_id, doc.id, doc.kind, utc_millis(doc.date), facet_ids),
                    ).fetchone()
                else:
                    docid = row[0]
                    conn.execute(
                        "UPDATE docs SET kind = ?, date = ?, facet_ids = ? WHERE doc = ?",
                        (doc.kind, utc_millis(doc.date), facet_ids, docid),
                    )
                    conn.execute("DELETE FROM text WHERE rowid = ?", (docid,))
                    conn.execute("DELETE FROM facets WHERE doc = ?", (docid,))
                conn.execute(
                    "INSERT INTO text (rowid, title, body) VALUES (?, ?, ?)",
                    (docid, doc.title_tokens, doc.body_tokens),
                )
                conn.executemany(
                    "INSERT INTO facets (doc, field, value) VALUES (?, ?, ?)",
                    [(docid, name, value) for name, value in pairs],
                )

    @staticmethod
    def _value_ids(conn: sqlite3.Connection, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The numbers of the batch's (facet, value) pairs, created on first use and never renumbered."""
        ids: dict[tuple[str, str], int] = {}
        for field, value in pairs:
            conn.execute("INSERT OR IGNORE INTO facet_values (field, value) VALUES (?, ?)", (field, value))
            (ids[field, value],) = conn.execute(
                "SELECT value_id FROM facet_values WHERE field = ? AND value = ?", (field, value)
            ).fetchone()
        return ids

    def delete(self, tenant_id: str, ids: list[str]) -> None:
        if not ids:
            return
        with self._transaction(write=True) as conn:
            for doc_id in ids:
                row = conn.execute(
                    "DELETE FROM docs WHERE tenant_id = ? AND id = ? RETURNING doc", (tenant_id, doc_id)
                ).fetchone()
                if row is not None:
                    conn.execute("DELETE FROM text WHERE rowid = ?", row)
                    conn.execute("DELETE FROM facets WHERE doc = ?", row)

    def clear(self, tenant_id: str | None = None) -> None:
        with self._transaction(write=True) as conn:
            if tenant_id is None:
                conn.execute("DELETE FROM text")
                conn.execute("DELETE FROM facets")
                conn.execute("DELETE FROM docs")
                return
            mine = "SELECT doc FROM docs WHERE tenant_id = ?"
            conn.execute(f"DELETE FROM text WHERE rowid IN ({mine})", (tenant_id,))
            conn.execute(f"DELETE FROM facets WHERE doc IN ({mine})", (tenant_id,))
            conn.execute("DELETE FROM docs WHERE tenant_id = ?", (tenant_id,))

    def search(self, query: SearchQuery) -> SearchResult:
        groups = query_groups(query)
        offset = self._offset(query.after)
        with self._transaction(write=False) as conn:
            where, params = self._scope(conn, query)
            if groups:
                rows = self._collect_matches(conn, groups, where, params, self.hit_cap)
            else:
                rows = self._collect_recent(conn, where, params, self.hit_cap)
            capped = len(rows) > self.hit_cap
            del rows[self.hit_cap:]
            facets = self._count_facets(conn, query.facets, rows)
        if groups:  # best score first, ties by id (as Elasticsearch sorts them)
            page = heapq.nsmallest(offset + query.limit, rows, key=lambda row: (-row[1], row[3]))[offset:]
        else:  # already newest first
            page = rows[offset:offset + query.limit]
        end = offset + len(page)
        return SearchResult(
            total=len(rows),
            hits=[Hit(id=row[3], score=row[1]) for row in page],
            facets=facets,
            next_after=encode_cursor(ENGINE, end) if end < len(rows) else None,
            total_is_lower_bound=capped,
        )

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    # -- search internals ---------------------------------------------------------------------------------

    @staticmethod
    def _offset(after: str | None) -> int:
        if after is None:
            return 0
        offset = decode_cursor(ENGINE, after)
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise InvalidCursor("invalid page cursor")
        return offset

    @staticmethod
    def _scope(conn: sqlite3.Connection, query: SearchQuery) -> tuple[str, list[object]]:
        """Tenant and kind on every query, then the facet filters (OR inside a field, AND across fields),
        tested on the candidate's own ``facet_ids`` (" 12 34 " holds " 12 "): no probe into another table."""
        clauses = ["d.tenant_id = ?", "d.kind = ?"]
        params: list[object] = [query.tenant_id, query.kind]
        for name, values in active_filters(query).items():
            marks = ", ".join("?" * len(values))
            ids = [f" {value_id} " for (value_id,) in conn.execute(
                f"SELECT value_id FROM facet_values WHERE field = ? AND value IN ({marks})", [name, *values]
            )]
            if not ids:  # no document has ever had one of these values
                clauses.append("0")
                continue
            clauses.append("(" + " OR ".join(["instr(' ' || d.facet_ids || ' ', ?) > 0"] * len(ids)) + ")")
            params += ids
        return " AND ".join(clauses), params

    # The collectors return at most cap + 1 rows (doc, score, date, id, facet_ids): one more than the cap says
    # that the match set was cut.

    @staticmethod
    def _collect_recent(conn: sqlite3.Connection, where: str, params: list[object], cap: int) -> list[tuple]:
        """Browse mode: the tenant's most recent documents, newest first (the browse index's order)."""
        return conn.execute(
            f"SELECT d.doc, 0.0, d.date, d.id, d.facet_ids FROM docs d WHERE {where} "
            "ORDER BY d.date IS NULL, d.date DESC, d.id LIMIT ?",
            [*params, cap + 1],
        ).fetchall()

    @staticmethod
    def _collect_matches(
        conn: sqlite3.Connection, groups: list[list[Term]], where: str, params: list[object], cap: int
    ) -> list[tuple]:
        """The matching documents with their boosted BM25 scores: all of them, or when more than ``cap``
        match, the most recently indexed ones (highest document numbers). FTS5 streams a MATCH in rowid
        order, so the cap bounds the BM25, facet and sort work whatever the size of the match set."""
        levels: dict[float, list[Term]] = defaultdict(list)
        for group in groups:
            for term in group:
                levels[term.boost].append(term)
        bm25 = f"-bm25(text, {TITLE_WEIGHT}, {BODY_WEIGHT})"
        # CROSS JOIN keeps the MATCH as the outer loop: otherwise SQLite walks the tenant's documents and
        # re-runs the full-text query once per document (two orders of magnitude slower). Ordering by the
        # outer rowid is then free, so LIMIT stops the walk early.
        select = (
            "SELECT d.doc, {score}, d.date, d.id, d.facet_ids "
            f"FROM text CROSS JOIN docs d ON d.doc = text.rowid WHERE text MATCH ? AND {where} {{extra}}"
            "ORDER BY text.rowid DESC LIMIT ?"
        )
        full = _match(groups)
        *others, (top, _) = sorted(levels.items())
        base = conn.execute(select.format(score=bm25, extra=""), [full, *params, cap + 1]).fetchall()
        if not others or not base:
            return [(doc, top * score, date, doc_id, ids) for doc, score, date, doc_id, ids in base]
        # BM25 is a sum over the MATCH expression's phrases, a phrase written twice counting twice. So
        # "<full> AND (<level terms>)" scores base + level part on exactly the collected documents that hold a
        # level term: each extra boost level costs one more pass, as selective as the first.
        first = {row[0]: row[1] for row in base[:cap + 1]}
        scores = {doc: top * score for doc, score in first.items()}
        low, high = base[-1][0], base[0][0]
        for boost, terms in others:
            level = conn.execute(
                select.format(score=bm25, extra="AND text.rowid BETWEEN ? AND ? "),
                [f"{full} AND {_match([terms])}", *params, low, high, cap + 1],
            )
            for doc, score, *_ in level:
                if doc in first:
                    scores[doc] += (boost - top) * (score - first[doc])
        return [(doc, scores[doc], date, doc_id, ids) for doc, _, date, doc_id, ids in base]

    @staticmethod
    def _count_facets(
        conn: sqlite3.Connection, names: list[str], rows: list[tuple]
    ) -> dict[str, list[tuple[str, int]]]:
        """Count over the (capped) hit set from the facet value numbers read with each hit: one C-speed
        Counter instead of a B-tree probe per hit and facet."""
        counts: dict[str, dict[str, int]] = {name: {} for name in names}
        if names and rows:
            numbers = Counter(" ".join(row[4] for row in rows if row[4]).split())
            marks = ", ".join("?" * len(names))
            wanted = conn.execute(
                f"SELECT value_id, field, value FROM facet_values WHERE field IN ({marks})", list(names)
            )
            for value_id, name, value in wanted:
                count = numbers.get(str(value_id))
                if count:
                    counts[name][value] = count
        return {name: sorted_facets(values) for name, values in counts.items()}
