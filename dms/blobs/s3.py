"""Blobs on the S3 API (MinIO), through the ``minio`` SDK: streaming multipart uploads, object lock optional.

The URL ``s3://KEY:SECRET@host:port/bucket?secure=false&object_lock=true&region=…`` names everything. The
bucket is created on first use; with ``object_lock`` it is created with S3 Object Lock so records under
retention can be made WORM in the store itself, and holds map onto S3 legal holds.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlparse

import urllib3
from minio import Minio
from minio.error import S3Error

from dms.blobs import BlobLocked, BlobNotFound, BlobTooLarge, BlobUnavailable, StoredBlob, blob_key

PART_SIZE = 8 * 1024 * 1024  # the SDK holds a few copies of a part in memory: keep a 1 GB upload under +100 MB
CHUNK = 1024 * 1024
_TRUE = {"1", "true", "yes", "on"}


class _HashingReader:
    """Hashes and counts the bytes as the SDK pulls them, and stops an upload that grows past the limit."""

    def __init__(self, stream: BinaryIO, max_bytes: int | None):
        self.stream = stream
        self.max_bytes = max_bytes
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.size += len(data)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise BlobTooLarge(f"more than {self.max_bytes} bytes")
        self.digest.update(data)
        return data


class S3BlobStore:
    def __init__(self, client: Minio, bucket: str, *, object_lock: bool = False):
        self.client = client
        self.bucket = bucket
        self.object_lock = object_lock
        self._bucket_ready = False

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        parsed = urlparse(url)
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        bucket = parsed.path.strip("/")
        if not bucket or "/" in bucket:
            raise ValueError("DMS_BLOB_URL: s3:// URLs name one bucket: s3://key:secret@host:port/bucket")
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3, read=60),
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            maxsize=16,
        )
        client = Minio(
            f"{parsed.hostname}:{parsed.port or 9000}",
            access_key=unquote(parsed.username or ""),
            secret_key=unquote(parsed.password or ""),
            secure=options.get("secure", "false").lower() in _TRUE,
            region=options.get("region"),
            http_client=http,
        )
        return cls(client, bucket, object_lock=options.get("object_lock", "false").lower() in _TRUE)

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with _unavailable_on_network_errors():
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket, object_lock=self.object_lock)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
        self._bucket_ready = True

    def put(
        self, tenant_id: str, stream: BinaryIO, *, sha256: str | None = None, max_bytes: int | None = None
    ) -> StoredBlob:
        if sha256 is None:
            return self._put_unhashed(tenant_id, stream, max_bytes)
        key = blob_key(tenant_id, sha256)
        self._ensure_bucket()
        # Bytes already there are uploaded again all the same: the fresh modification time tells
        # ``fsck --collect-orphans`` that a commit may be about to reference them (dms/fsck.py).
        reader = _HashingReader(stream, max_bytes)
        with _unavailable_on_network_errors():
            self.client.put_object(self.bucket, key, reader, length=-1, part_size=PART_SIZE,
                                   metadata={"sha256": sha256})
        if reader.digest.hexdigest() != sha256:
            self._remove_all_versions(key)
            raise ValueError(f"content does not match its announced sha256 {sha256}")
        return StoredBlob(key=key, sha256=sha256, size=reader.size)

    def _put_unhashed(self, tenant_id: str, stream: BinaryIO, max_bytes: int | None) -> StoredBlob:
        """The key is the digest, so the digest comes first: spool to disk while hashing, then upload."""
        with tempfile.TemporaryFile() as spool:
            reader = _HashingReader(stream, max_bytes)
            shutil.copyfileobj(reader, spool, CHUNK)
            spool.seek(0)
            return self.put(tenant_id, spool, sha256=reader.digest.hexdigest(), max_bytes=max_bytes)

    def _stat(self, key: str) -> int | None:
        with _unavailable_on_network_errors():
            try:
                return self.client.stat_object(self.bucket, key).size
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchBucket"):
                    return None
                raise

    def open(self, key: str) -> Iterator[bytes]:
        self._ensure_bucket()
        with _unavailable_on_network_errors():
            try:
                response = self.client.get_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject"):
                    raise BlobNotFound(key) from exc
                raise

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(CHUNK)
            finally:
                response.close()
                response.release_conn()

        return chunks()

    def exists(self, key: str) -> bool:
        self._ensure_bucket()
        return self._stat(key) is not None

    def modified_at(self, key: str) -> datetime | None:
        """When the bytes were last written (None: no such blob), for the orphan collector's grace period."""
        self._ensure_bucket()
        with _unavailable_on_network_errors():
            try:
                return self.client.stat_object(self.bucket, key).last_modified
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchBucket"):
                    return None
                raise

    def delete(self, key: str) -> None:
        self._ensure_bucket()
        self._remove_all_versions(key)

    def _remove_all_versions(self, key: str) -> None:
        with _unavailable_on_network_errors():
            versions = [
                obj.version_id
                for obj in self.client.list_objects(self.bucket, prefix=key, include_version=True)
                if obj.object_name == key
            ]
            for version_id in versions or [None]:
                try:
                    self.client.remove_object(self.bucket, key, version_id=version_id)
                except S3Error as exc:
                    if exc.code in ("AccessDenied", "InvalidRequest") and "WORM" in (exc.message or ""):
                        raise BlobLocked(f"{key} is under a legal hold or retention in the store") from exc
                    raise

    def keys(self, tenant_id: str | None = None) -> Iterator[str]:
        self._ensure_bucket()
        prefix = f"{tenant_id}/" if tenant_id else None
        with _unavailable_on_network_errors():
            for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
                yield obj.object_name

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Map a records hold onto the S3 legal hold (needs a bucket created with object lock)."""
        self._ensure_bucket()
        with _unavailable_on_network_errors():
            if on:
                self.client.enable_object_legal_hold(self.bucket, key)
            else:
                self.client.disable_object_legal_hold(self.bucket, key)

    def ping(self) -> bool:
        try:
            self._bucket_ready = False
            self._ensure_bucket()
            return True
        except BlobUnavailable:
            return False


class _unavailable_on_network_errors:
    """Connection refused, timeouts and 5xx become BlobUnavailable (503 for the caller)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, _tb):
        if exc is None:
            return False
        if isinstance(exc, urllib3.exceptions.HTTPError | OSError) and not isinstance(exc, FileNotFoundError):
            raise BlobUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(exc, S3Error) and exc.code in ("XMinioServerNotInitialized", "ServiceUnavailable",
                                                      "SlowDown", "XMinioStorageFull"):
            raise BlobUnavailable(f"{exc.code}: {exc.message}") from exc
        return False


