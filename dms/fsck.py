"""Fixity: every blob a row references exists and still hashes to the SHA-256 the row recorded, and every
blob in the store is referenced by some row (an unreferenced one is what a crash between blob and commit
leaves behind).

Unreferenced blobs are expected by design: the blob is written before the transaction that references it
(DESIGN.md §2), so a process killed in between, or an upload refused after the put, leaves bytes nobody
points at. ``collect_orphans`` removes them, but only those written longer ago than a grace period: every put
(re)writes its bytes, so a blob younger than the grace period may belong to an upload whose transaction has
not committed yet. The grace period must exceed the longest time between a put and its commit (seconds);
the default is one hour.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import SQLModel

from dms.backends import Backends
from dms.blobs import BlobLocked, BlobNotFound

log = logging.getLogger(__name__)
GRACE = timedelta(hours=1)


@dataclass
class FsckReport:
    checked: int = 0
    bytes_checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not (self.missing or self.corrupt)


def _referencing_tables():
    """Every table that points at blobs: those with ``blob_key`` and ``sha256`` columns."""
    for table in SQLModel.metadata.sorted_tables:
        if "blob_key" in table.c and "sha256" in table.c:
            yield table


def _referenced(backends: Backends, tenant_id: str | None) -> Iterator[tuple[str, str]]:
    with backends.engine.connect() as conn:
        for table in _referencing_tables():
            query = select(table.c.blob_key, table.c.sha256).distinct()
            if tenant_id is not None:
                if "tenant_id" not in table.c:
                    continue  # federation-wide blobs (the library's artefacts) belong to no commune
                query = query.where(table.c.tenant_id == tenant_id)
            yield from conn.execute(query)


def fsck(backends: Backends, *, tenant_id: str | None = None, rehash: bool = True,
         progress: Callable[[int], None] | None = None) -> FsckReport:
    report = FsckReport()
    referenced: set[str] = set()
    for key, digest in _referenced(backends, tenant_id):
        if key in referenced:
            continue
        referenced.add(key)
        report.checked += 1
        _check(backends, key, digest, rehash, report)
        if progress:
            progress(report.checked)
    report.unreferenced = sorted(key for key in backends.blobs.keys(tenant_id) if key not in referenced)
    return report


@dataclass
class OrphanReport:
    removed: list[str] = field(default_factory=list)
    young: list[str] = field(default_factory=list)  # unreferenced but inside the grace period: kept
    locked: list[str] = field(default_factory=list)  # unreferenced but under a legal hold in the store: kept
    temporary_files: int = 0


def collect_orphans(backends: Backends, *, grace: timedelta = GRACE, tenant_id: str | None = None) -> OrphanReport:
    """Delete the unreferenced blobs written before ``now - grace``, and stale temporary files.

    The store is listed before the database is read, so a blob whose commit lands in between counts as
    referenced; one whose commit is still to come is younger than the grace period and kept.
    """
    report = OrphanReport()
    cutoff = datetime.now(UTC) - grace
    stored = list(backends.blobs.keys(tenant_id))
    referenced = {key for key, _digest in _referenced(backends, tenant_id)}
    for key in stored:
        if key in referenced:
            continue
        written = backends.blobs.modified_at(key)
        if written is None:
            continue
        if written >= cutoff:
            report.young.append(key)
            continue
        try:
            backends.blobs.delete(key)
        except BlobLocked:
            report.locked.append(key)
            continue
        log.info("removed unreferenced blob %s (written %s)", key, written.isoformat())
        report.removed.append(key)
    sweep = getattr(backends.blobs, "sweep_temporary", None)
    if sweep is not None:
        report.temporary_files += sweep(cutoff)
    spool = backends.settings.resolved_data_dir / "tmp"  # upload and extraction spools of killed processes
    if spool.is_dir():
        for path in spool.iterdir():
            try:
                if path.is_file() and datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
                    path.unlink()
                    report.temporary_files += 1
            except FileNotFoundError:
                continue
    return report


def _check(backends: Backends, key: str, digest: str, rehash: bool, report: FsckReport) -> None:
    if not rehash:
        if not backends.blobs.exists(key):
            report.missing.append(key)
        return
    hasher = hashlib.sha256()
    try:
        for chunk in backends.blobs.open(key):
            hasher.update(chunk)
            report.bytes_checked += len(chunk)
    except BlobNotFound:
        report.missing.append(key)
        return
    if hasher.hexdigest() != digest:
        report.corrupt.append(key)
