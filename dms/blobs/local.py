"""Blobs in a local folder: written to a temporary file, fsynced, then renamed into place atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

from dms.blobs import BlobNotFound, BlobTooLarge, StoredBlob, blob_key

CHUNK = 1024 * 1024


class LocalBlobStore:
    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".tmp").mkdir(exist_ok=True)

    @classmethod
    def from_url(cls, url: str) -> LocalBlobStore:
        return cls(Path(unquote(urlparse(url).path)))

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"blob key escapes the store: {key!r}")
        return path

    def put(
        self, tenant_id: str, stream: BinaryIO, *, sha256: str | None = None, max_bytes: int | None = None
    ) -> StoredBlob:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root / ".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobTooLarge(f"more than {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if sha256 is not None and actual != sha256:
                raise ValueError(f"content does not match its announced sha256 {sha256}")
            key = blob_key(tenant_id, actual)
            final = self._path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            _fsync_dir(final.parent)
            return StoredBlob(key=key, sha256=actual, size=size)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def open(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

        return chunks()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def modified_at(self, key: str) -> datetime | None:
        """When the bytes were last written (None: no such blob), for the orphan collector's grace period."""
        try:
            return datetime.fromtimestamp(self._path(key).stat().st_mtime, UTC)
        except FileNotFoundError:
            return None

    def sweep_temporary(self, older_than: datetime) -> int:
        """Remove the half-written files a killed process left in ``.tmp`` (never visible as blobs)."""
        removed = 0
        for path in (self.root / ".tmp").iterdir():
            try:
                if datetime.fromtimestamp(path.stat().st_mtime, UTC) < older_than:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)

    def keys(self, tenant_id: str | None = None) -> Iterator[str]:
        base = self.root / tenant_id if tenant_id else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(self.root)
            if path.is_file() and rel.parts[0] != ".tmp":
                yield rel.as_posix()

    def ping(self) -> bool:
        return self.root.is_dir() and os.access(self.root, os.W_OK)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
