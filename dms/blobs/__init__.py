"""The blob port: content-addressed bytes scoped by tenant, in a local folder or on S3 (MinIO).

A key is ``<tenant>/<sha256[:2]>/<sha256>``: the same bytes in one tenant are stored once, and no tenant can
name another's blob by guessing a digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TENANT = re.compile(r"^[0-9a-zA-Z_-]{1,64}$")


class BlobUnavailable(RuntimeError):
    """The store cannot be reached; nothing was written and the caller answers 503."""


class BlobNotFound(KeyError):
    pass


class BlobLocked(RuntimeError):
    """The store itself refuses to delete these bytes (S3 legal hold or retention: WORM)."""


class BlobTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str
    size: int


def blob_key(tenant_id: str, sha256: str) -> str:
    if not _TENANT.match(tenant_id):
        raise ValueError(f"invalid tenant id for a blob key: {tenant_id!r}")
    if not _SHA256.match(sha256):
        raise ValueError(f"invalid sha256: {sha256!r}")
    return f"{tenant_id}/{sha256[:2]}/{sha256}"


class BlobStore(Protocol):
    def put(
        self, tenant_id: str, stream: BinaryIO, *, sha256: str | None = None, max_bytes: int | None = None
    ) -> StoredBlob:
        """Stream bytes in, hashing as they pass; durable (fsync / confirmed PUT) when it returns.

        With ``sha256`` given (the caller hashed a spooled copy already) the store checks it while writing and
        raises ValueError on a mismatch, leaving nothing behind. Over ``max_bytes`` raises BlobTooLarge, idem.
        """

    def open(self, key: str) -> Iterator[bytes]:
        """Stream the bytes of a blob in chunks; raises BlobNotFound."""

    def exists(self, key: str) -> bool: ...

    def modified_at(self, key: str) -> datetime | None:
        """When the bytes were last written (a put of bytes already there writes them again); None if absent."""

    def delete(self, key: str) -> None: ...

    def keys(self, tenant_id: str | None = None) -> Iterator[str]:
        """Every key (of one tenant), for fsck."""

    def ping(self) -> bool: ...


def open_blob_store(url: str) -> BlobStore:
    if url.startswith("file://"):
        from dms.blobs.local import LocalBlobStore

        return LocalBlobStore.from_url(url)
    if url.startswith("s3://"):
        from dms.blobs.s3 import S3BlobStore

        return S3BlobStore.from_url(url)
    raise ValueError(f"DMS_BLOB_URL: unsupported value {url!r} (use file:///path or s3://key:secret@host/bucket)")
