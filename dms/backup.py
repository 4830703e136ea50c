"""Backup and restore of a whole installation or of one tenant, in a portable folder.

A backup is a folder::

    manifest.json                 format, scope (installation or one tenant), schema revision, counts
    tables/<table>.jsonl.gz       one JSON object per row; dates, datetimes and bytes tagged ({"$dt": …})
    blobs/<tenant>/<xx>/<sha256>  the bytes every backed-up row references, under their content address

Rows are portable (JSON, not a dump of one engine), so a backup of the embedded stack restores onto
PostgreSQL and back, like ``dms copy-installation``. All tables are read in one read transaction (one
consistent snapshot); the blobs those rows reference are then copied and rehashed (blobs are immutable and
content-addressed, so copying them after the rows is safe). The search index is not backed up: a restore
rebuilds it from the restored rows (``dms reindex``).

A tenant backup holds the tenant's row, every row carrying its ``tenant_id``, the rows hanging off those by a
foreign key (tokens of its users, labels of its schemes…) and its audit chain; never another tenant's rows
nor federation-wide ones. Restoring it touches only that tenant: integer ids that nothing references by a
foreign key (audit events, jobs…) are given new values so they cannot collide with other tenants' rows.

Restore refuses a target that already holds what it would write (any tenant for a whole installation; this
tenant for a tenant backup) unless ``replace`` is given, in which case exactly that is deleted first, in the
same transaction as the inserts. Blobs go in before the rows, as for every write: an interrupted restore
leaves at most unreferenced blobs (``dms fsck --collect-orphans``), never a row without its bytes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Integer, Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel

from dms.backends import Backends
from dms.blobs import BlobNotFound
from dms.errors import BadInput, Conflict, NotFound
from dms.installation_copy import reset_sequences
from dms.migrate import upgrade
from dms.reindex import reindex

FORMAT = "dms-backup"
VERSION = 1
BATCH = 1000
SKIPPED_TABLES = {"login_failures"}  # throttling counters: transient, not worth restoring

Say = Callable[[str], None]


@dataclass
class BackupReport:
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    blob_bytes: int = 0
    missing_blobs: list[str] = field(default_factory=list)
    indexed: int = 0


# --- portable rows --------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, Enum):
        return value.value
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$d":
            return date.fromisoformat(raw)
        if tag == "$b64":
            return base64.b64decode(raw)
        if tag == "$dec":
            return Decimal(raw)
    return value


# --- which rows belong to a tenant ----------------------------------------------------------------------


def _tables() -> list[Table]:
    return [table for table in SQLModel.metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def _scope(table: Table, tenant_id: str, seen: frozenset[str] = frozenset()) -> ColumnElement[bool] | None:
    """The condition selecting this tenant's rows of ``table``; None when the table holds none of them."""
    if table.name == "tenants":
        return table.c.id == tenant_id
    if "chain" in table.c and table.name.startswith("audit_"):
        return table.c.chain == tenant_id
    if "tenant_id" in table.c:
        return table.c.tenant_id == tenant_id
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = fk.column.table
        if parent.name in seen or parent is table:
            continue
        condition = _scope(parent, tenant_id, seen | {table.name})
        if condition is not None:
            return fk.parent.in_(select(fk.column).where(condition))
    return None


def _reassigned_ids(tables: list[Table]) -> set[str]:
    """Tables whose integer primary key nothing points at: a tenant restore lets the target number them."""
    referenced = {fk.column.table.name for table in tables for fk in table.foreign_keys}
    names = set()
    for table in tables:
        pk = list(table.primary_key.columns)
        if (len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto")
                and table.name not in referenced):
            names.add(table.name)
    return names


# --- backup ---------------------------------------------------------------------------------------------


def backup(backends: Backends, dest: Path, *, tenant_id: str | None = None, say: Say | None = None) -> BackupReport:
    say = say or (lambda _msg: None)
    if dest.exists() and any(dest.iterdir()):
        raise Conflict(f"{dest} is not empty: back up into a new folder")
    (dest / "tables").mkdir(parents=True, exist_ok=True)
    report = BackupReport()
    blob_refs: dict[str, str] = {}
    engine = backends.engine
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    tenant_row = None
    with engine.connect().execution_options(**options) as conn, conn.begin():  # one snapshot for every table
        if tenant_id is not None:
            tenant_row = conn.execute(select(SQLModel.metadata.tables["tenants"])
                                      .where(SQLModel.metadata.tables["tenants"].c.id == tenant_id)).mappings().first()
            if tenant_row is None:
                raise NotFound("no such tenant")
        revision = _revision(conn)
        for table in _tables():
            query = select(table)
            if tenant_id is not None:
                condition = _scope(table, tenant_id)
                if condition is None:
                    continue
                query = query.where(condition)
            count = 0
            with gzip.open(dest / "tables" / f"{table.name}.jsonl.gz", "wt", encoding="utf-8") as out:
                result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
                for row in result.mappings():
                    out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
                    if "blob_key" in table.c and "sha256" in table.c and row["blob_key"]:
                        blob_refs[row["blob_key"]] = row["sha256"]
                    count += 1
            report.rows[table.name] = count
        say(f"rows: {sum(report.rows.values())} in {len(report.rows)} table(s)")
    for key, digest in sorted(blob_refs.items()):
        target = dest / "blobs" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        try:
            with target.open("wb") as out:
                for chunk in backends.blobs.open(key):
                    hasher.update(chunk)
                    out.write(chunk)
                    report.blob_bytes += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BlobNotFound:
            target.unlink(missing_ok=True)
            report.missing_blobs.append(key)
            continue
        if hasher.hexdigest() != digest:
            raise Conflict(f"blob {key} does not match its recorded SHA-256: run dms fsck")
        report.blobs += 1
    say(f"blobs: {report.blobs} ({report.blob_bytes} bytes)")
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "scope": "tenant" if tenant_id else "installation",
        "tenant": {"id": tenant_row["id"], "slug": tenant_row["slug"]} if tenant_row else None,
        "schema_revision": revision,
        "rows": report.rows,
        "blobs": report.blobs,
        "blob_bytes": report.blob_bytes,
        "missing_blobs": report.missing_blobs,
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")  # last: marks it complete
    return report


def _revision(conn: Connection) -> str | None:
    from sqlalchemy import text

    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 (a database created without alembic: no revision to record)
        return None


# --- restore --------------------------------------------------------------------------------------------


def read_manifest(src: Path) -> dict:
    path = src / "manifest.json"
    if not path.is_file():
        raise BadInput(f"{src} is not a complete dms backup (no manifest.json)")
    manifest = json.loads(path.read_text("utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BadInput(f"{src}: unsupported backup format {manifest.get('format')!r} {manifest.get('version')!r}")
    return manifest


def _rows(src: Path, table: Table) -> Iterator[dict[str, Any]]:
    path = src / "tables" / f"{table.name}.jsonl.gz"
    if not path.is_file():
        return
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = {k: _decode(v) for k, v in json.loads(line).items()}
            unknown = set(row) - set(table.c.keys())
            if unknown:
                raise BadInput(f"backup table {table.name} has columns this version does not know: "
                               f"{', '.join(sorted(unknown))} (restore with a dms at least as new as the backup)")
            yield row


def _blob_files(src: Path) -> Iterator[tuple[str, Path]]:
    root = src / "blobs"
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


def restore(backends: Backends, src: Path, *, tenant: str | None = None, replace: bool = False,
            say: Say | None = None) -> BackupReport:
    """Restore ``src`` into ``backends``; ``tenant`` (slug or id) must match a tenant backup when given."""
    say = say or (lambda _msg: None)
    manifest = read_manifest(src)
    tenant_id = None
    if manifest["scope"] == "tenant":
        tenant_id = manifest["tenant"]["id"]
        if tenant is not None and tenant not in (manifest["tenant"]["id"], manifest["tenant"]["slug"]):
            raise BadInput(f"this backup holds tenant {manifest['tenant']['slug']}, not {tenant}")
    elif tenant is not None:
        raise BadInput("--tenant restores a tenant backup; this backup is of a whole installation")
    upgrade(backends.settings.resolved_database_url)
    tables = _tables()
    tenants = SQLModel.metadata.tables["tenants"]
    with backends.engine.connect() as conn:
        if tenant_id is None:
            present = conn.execute(select(func.count()).select_from(tenants)).scalar()
            if present and not replace:
                raise Conflict("the target installation is not empty: restore into an empty one, or --replace")
        else:
            slug = manifest["tenant"]["slug"]
            other = conn.execute(select(tenants.c.id).where(tenants.c.slug == slug, tenants.c.id != tenant_id)).first()
            if other is not None:
                raise Conflict(f"another tenant already uses the slug {slug} here")
            present = conn.execute(select(func.count()).select_from(tenants).where(tenants.c.id == tenant_id)).scalar()
            if present and not replace:
                raise Conflict(f"tenant {slug} already exists here: restore elsewhere, or --replace")
    report = BackupReport()
    for key, path in _blob_files(src):  # blobs before rows
        owner, digest = key.split("/", 1)[0], key.rsplit("/", 1)[-1]
        with path.open("rb") as handle:
            stored = backends.blobs.put(owner, handle, sha256=digest)
        if stored.key != key:
            raise Conflict(f"blob {key} landed under another key {stored.key}")
        report.blobs += 1
        report.blob_bytes += stored.size
    say(f"blobs: {report.blobs} ({report.blob_bytes} bytes)")
    renumber = _reassigned_ids(tables) if tenant_id else set()
    try:
        with backends.engine.execution_options(sqlite_begin="IMMEDIATE").begin() as dst:
            if replace:
                for table in reversed(tables):
                    if tenant_id is None:
                        dst.execute(delete(table))
                    elif (condition := _scope(table, tenant_id)) is not None:
                        dst.execute(delete(table).where(condition))
            for table in tables:
                count = 0
                batch: list[dict[str, Any]] = []
                pk = next(iter(table.primary_key.columns)).name if table.name in renumber else None
                for row in _rows(src, table):
                    if pk:
                        row.pop(pk, None)
                    batch.append(row)
                    if len(batch) >= BATCH:
                        dst.execute(insert(table), batch)
                        count += len(batch)
                        batch = []
                if batch:
                    dst.execute(insert(table), batch)
                    count += len(batch)
                report.rows[table.name] = count
            if dst.dialect.name == "postgresql":
                reset_sequences(dst, tables)
    except IntegrityError as exc:
        raise Conflict(f"the backup's rows clash with rows here or miss rows they refer to: {exc.orig}") from exc
    say(f"rows: {sum(report.rows.values())}")
    report.indexed = reindex(backends, tenant_id=tenant_id)
    say(f"search index rebuilt: {report.indexed} record(s)")
    return report
