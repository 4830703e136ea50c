"""The embedded search engine: SQLite FTS5 in one WAL-mode file under the data directory.

Chosen over Tantivy (docs/decisions/0001-embedded-search-engine.md) because the API server, the workers and
the CLI write to the same index from separate processes: SQLite serialises their writers with a lock and
``busy_timeout`` while readers never block, whereas a Tantivy index admits one ``IndexWriter`` and a second
process fails at once.

Documents arrive analysed (``thesaurus.analysis``), so the FTS5 tokenizer only splits on spaces in practice.
Scores are FTS5's BM25 with the title column weighted over the body. BM25 is a sum over query terms, so a
per-term boost is applied by scoring each boost level with its own MATCH and adding the weighted parts.
"""

# SQL text here is assembled from constants and "?" placeholders only; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dms.search import Hit, IndexDoc, SearchQuery, SearchResult, SearchUnavailable, Term
from dms.search.cursors import InvalidCursor, decode_cursor, encode_cursor
from dms.search.rules import active_filters, check_doc, facet_pairs, query_groups, sorted_facets, utc_millis

ENGINE = "fts5"
SCHEMA_VERSION = "1"
TITLE_WEIGHT = 4.0  # FTS5 normalises by the whole document's length, so the title needs a strong weight
BODY_WEIGHT = 1.0
BUSY_TIMEOUT_S = 15.0

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    date TEXT,
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
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5(
    title, body, tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '{SCHEMA_VERSION}');
"""

_TEMP_SCHEMA = """
CREATE TEMP TABLE IF NOT EXISTS hits (doc INTEGER PRIMARY KEY, score REAL NOT NULL, date TEXT, id TEXT);
CREATE TEMP TABLE IF NOT EXISTS level (doc INTEGER PRIMARY KEY, score REAL NOT NULL);
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

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
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
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.executescript(_TEMP_SCHEMA)
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
            for doc in docs:
                row = conn.execute(
                    "SELECT doc FROM docs WHERE tenant_id = ? AND id = ?", (doc.tenant_id, doc.id)
                ).fetchone()
                if row is None:
                    (docid,) = conn.execute(
                        "INSERT INTO docs (tenant_id, id, kind, date) VALUES (?, ?, ?, ?) RETURNING doc",
                        (doc.tenant_id, doc.id, doc.kind, utc_millis(doc.date)),
                    ).fetchone()
                else:
                    docid = row[0]
                    conn.execute(
                        "UPDATE docs SET kind = ?, date = ? WHERE doc = ?",
                        (doc.kind, utc_millis(doc.date), docid),
                    )
                    conn.execute("DELETE FROM text WHERE rowid = ?", (docid,))
                    conn.execute("DELETE FROM facets WHERE doc = ?", (docid,))
                conn.execute(
                    "INSERT INTO text (rowid, title, body) VALUES (?, ?, ?)",
                    (docid, doc.title_tokens, doc.body_tokens),
                )
                conn.executemany(
                    "INSERT INTO facets (doc, field, value) VALUES (?, ?, ?)",
                    [(docid, name, value) for name, value in facet_pairs(doc)],
                )

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
        where, params = self._scope(query)
        with self._transaction(write=False) as conn:
            conn.execute("DELETE FROM temp.hits")
            if groups:
                self._collect_matches(conn, groups, where, params)
                order = "score DESC, id"
            else:
                conn.execute(
                    f"INSERT INTO temp.hits (doc, score, date, id) SELECT d.doc, 0, d.date, d.id "
                    f"FROM docs d WHERE {where}",
                    params,
                )
                order = "date IS NULL, date DESC, id"
            (total,) = conn.execute("SELECT count(*) FROM temp.hits").fetchone()
            page = conn.execute(
                f"SELECT id, score FROM temp.hits ORDER BY {order} LIMIT ? OFFSET ?",
                (query.limit, offset),
            ).fetchall()
            facets = self._count_facets(conn, query.facets, total)
            conn.execute("DELETE FROM temp.hits")
        end = offset + len(page)
        return SearchResult(
            total=total,
            hits=[Hit(id=doc_id, score=score) for doc_id, score in page],
            facets=facets,
            next_after=encode_cursor(ENGINE, end) if end < total else None,
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
    def _scope(query: SearchQuery) -> tuple[str, list[object]]:
        """Tenant and kind on every query, then the facet filters (OR inside a field, AND across fields)."""
        clauses = ["d.tenant_id = ?", "d.kind = ?"]
        params: list[object] = [query.tenant_id, query.kind]
        for name, values in active_filters(query).items():
            marks = ", ".join("?" * len(values))
            clauses.append(f"d.doc IN (SELECT doc FROM facets WHERE field = ? AND value IN ({marks}))")
            params += [name, *values]
        return " AND ".join(clauses), params

    @staticmethod
    def _collect_matches(conn: sqlite3.Connection, groups: list[list[Term]], where: str, params: list[object]) -> None:
        """Fill temp.hits with the matching documents and their boosted BM25 scores."""
        levels: dict[float, list[Term]] = defaultdict(list)
        for group in groups:
            for term in group:
                levels[term.boost].append(term)
        bm25 = f"-bm25(text, {TITLE_WEIGHT}, {BODY_WEIGHT})"
        # CROSS JOIN keeps the MATCH as the outer loop: otherwise SQLite walks the tenant's documents and
        # re-runs the full-text query once per document (two orders of magnitude slower).
        select = (
            "INSERT INTO temp.hits (doc, score, date, id) SELECT d.doc, {score}, d.date, d.id "
            f"FROM text CROSS JOIN docs d ON d.doc = text.rowid WHERE text MATCH ? AND {where}"
        )
        if len(levels) == 1:
            (boost,) = levels
            conn.execute(select.format(score=f"{bm25} * ?"), [boost, _match(groups), *params])
            return
        conn.execute(select.format(score="0"), [_match(groups), *params])
        for boost, terms in levels.items():
            conn.execute("DELETE FROM temp.level")
            conn.execute(
                f"INSERT INTO temp.level (doc, score) SELECT rowid, {bm25} * ? FROM text WHERE text MATCH ?",
                (boost, _match([terms])),
            )
            conn.execute(
                "UPDATE temp.hits SET score = hits.score + level.score FROM temp.level AS level "
                "WHERE level.doc = hits.doc"
            )
        conn.execute("DELETE FROM temp.level")

    @staticmethod
    def _count_facets(conn: sqlite3.Connection, names: list[str], hits: int) -> dict[str, list[tuple[str, int]]]:
        """Count over the whole hit set. A few hits are probed one by one; many hits are cheaper to count by
        scanning the facet index once, and SQLite cannot tell the two apart without statistics on temp.hits."""
        counts: dict[str, dict[str, int]] = {name: {} for name in names}
        if names and hits:
            (last_doc,) = conn.execute("SELECT coalesce(max(doc), 0) FROM docs").fetchone()
            join = "CROSS JOIN" if hits * 4 < last_doc else "JOIN"
            marks = ", ".join("?" * len(names))
            rows = conn.execute(
                f"SELECT f.field, f.value, count(*) FROM temp.hits h {join} facets f ON f.doc = h.doc "
                f"WHERE f.field IN ({marks}) GROUP BY f.field, f.value",
                list(names),
            )
            for name, value, count in rows:
                counts[name][value] = count
        return {name: sorted_facets(values) for name, values in counts.items()}
