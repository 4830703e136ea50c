"""Fixity: every blob a row references exists and still hashes to the SHA-256 the row recorded, and every
blob in the store is referenced by some row (an unreferenced one is what a crash between blob and commit
leaves behind)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import SQLModel

from dms.backends import Backends
from dms.blobs import BlobNotFound


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


def fsck(backends: Backends, *, tenant_id: str | None = None, rehash: bool = True,
         progress: Callable[[int], None] | None = None) -> FsckReport:
    report = FsckReport()
    referenced: set[str] = set()
    with backends.engine.connect() as conn:
        for table in _referencing_tables():
            query = select(table.c.blob_key, table.c.sha256).distinct()
            if tenant_id is not None and "tenant_id" in table.c:
                query = query.where(table.c.tenant_id == tenant_id)
            for key, digest in conn.execute(query):
                if key in referenced:
                    continue
                referenced.add(key)
                report.checked += 1
                _check(backends, key, digest, rehash, report)
                if progress:
                    progress(report.checked)
    report.unreferenced = sorted(key for key in backends.blobs.keys(tenant_id) if key not in referenced)
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
