"""Move a whole installation to other backends: embedded → production (or back), with nothing left behind.

The target database is migrated and must be empty; every blob is copied first, under the same
content-addressed key and checked against its digest; then every row goes over in foreign-key order in one
transaction; the target search index is then rebuilt from the copied database (the index is never copied:
the database is the source of truth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Integer, func, insert, select, text
from sqlmodel import SQLModel

from dms.backends import Backends
from dms.errors import Conflict
from dms.migrate import upgrade
from dms.reindex import reindex

BATCH = 1000


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    blob_bytes: int = 0
    indexed: int = 0


def copy_installation(
    source: Backends, target: Backends, *, progress: Callable[[str], None] | None = None
) -> CopyReport:
    say = progress or (lambda _msg: None)
    upgrade(target.settings.resolved_database_url)
    tables = list(SQLModel.metadata.sorted_tables)
    with target.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(SQLModel.metadata.tables["tenants"])).scalar():
            raise Conflict("the target database already holds tenants: copy only into an empty installation")
    report = CopyReport()
    # blobs before rows, as for every write: a crash here leaves blobs nobody references, never a row
    # pointing at missing bytes
    for key in source.blobs.keys():
        tenant_id = key.split("/", 1)[0]
        digest = key.rsplit("/", 1)[-1]
        stored = target.blobs.put(tenant_id, _ChunkReader(source.blobs.open(key)), sha256=digest)
        if stored.key != key:
            raise RuntimeError(f"blob {key} landed under another key {stored.key}")
        report.blobs += 1
        report.blob_bytes += stored.size
    say(f"blobs: {report.blobs} ({report.blob_bytes} bytes)")
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in tables:
            count = 0
            result = src.execution_options(stream_results=True, yield_per=BATCH).execute(select(table))
            for rows in result.mappings().partitions(BATCH):
                dst.execute(insert(table), [dict(row) for row in rows])
                count += len(rows)
            report.rows[table.name] = count
            say(f"{table.name}: {count} row(s)")
        if dst.dialect.name == "postgresql":
            reset_sequences(dst, tables)
    report.indexed = reindex(target)
    say(f"search index rebuilt: {report.indexed} record(s)")
    return report


def reset_sequences(dst, tables) -> None:
    """After rows went in with their ids (PostgreSQL): each serial sequence continues after the largest id."""
    for table in tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                # names come from our own table definitions, never from input
                dst.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "  # noqa: S608
                    f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                ))


class _ChunkReader:
    """A file-like view of a chunk iterator, so one store can stream into another without a temp file."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
