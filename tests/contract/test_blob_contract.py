"""One contract for the blob port, run unchanged on the local folder and on MinIO."""

from __future__ import annotations

import hashlib
import io
import os
import uuid

import pytest

from dms.blobs import BlobNotFound, BlobTooLarge, BlobUnavailable, blob_key, open_blob_store
from tests.conftest import s3_url_with_bucket


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return open_blob_store((tmp_path / "blobs").as_uri())
    return open_blob_store(s3_url_with_bucket(f"dms-contract-{uuid.uuid4().hex[:10]}"))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(store, key: str) -> bytes:
    return b"".join(store.open(key))


def test_round_trip_is_content_addressed_and_tenant_scoped(store):
    data = "Lettre recommandée — accusé de réception".encode() * 1000
    stored = store.put("tenant-a", io.BytesIO(data))
    assert stored.sha256 == sha(data) and stored.size == len(data)
    assert stored.key == blob_key("tenant-a", sha(data)) and stored.key.startswith("tenant-a/")
    assert read(store, stored.key) == data
    again = store.put("tenant-a", io.BytesIO(data), sha256=sha(data))
    assert again.key == stored.key
    other = store.put("tenant-b", io.BytesIO(data))
    assert other.key != stored.key
    assert list(store.keys("tenant-a")) == [stored.key]
    assert sorted(store.keys()) == sorted([stored.key, other.key])


def test_multipart_sized_upload_streams_back_identically(store):
    data = os.urandom(20 * 1024 * 1024 + 123)
    stored = store.put("tenant-a", io.BytesIO(data), sha256=sha(data))
    assert stored.size == len(data)
    assert hashlib.sha256(read(store, stored.key)).hexdigest() == sha(data)


def test_wrong_digest_and_oversize_leave_nothing(store):
    data = b"contenu"
    with pytest.raises(ValueError):
        store.put("tenant-a", io.BytesIO(data), sha256=sha(b"autre chose"))
    with pytest.raises(BlobTooLarge):
        store.put("tenant-a", io.BytesIO(b"x" * 5000), max_bytes=4000)
    with pytest.raises(BlobTooLarge):
        store.put("tenant-a", io.BytesIO(b"y" * 5000), sha256=sha(b"y" * 5000), max_bytes=4000)
    assert list(store.keys("tenant-a")) == []


def test_delete_and_missing(store):
    stored = store.put("tenant-a", io.BytesIO(b"a detruire"))
    assert store.exists(stored.key)
    store.delete(stored.key)
    assert not store.exists(stored.key)
    with pytest.raises(BlobNotFound):
        read(store, stored.key)
    assert list(store.keys("tenant-a")) == []


def test_invalid_keys_are_refused(store):
    with pytest.raises(ValueError):
        blob_key("../etc", sha(b"x"))
    with pytest.raises(ValueError):
        blob_key("tenant-a", "../../passwd")


def test_unreachable_s3_is_unavailable_not_a_crash():
    store = open_blob_store("s3://k:s@127.0.0.1:9/bucket?secure=false")
    assert store.ping() is False
    with pytest.raises(BlobUnavailable):
        store.put("tenant-a", io.BytesIO(b"x"), sha256=sha(b"x"))


def test_s3_legal_hold_makes_the_bytes_undeletable_until_lifted():
    from dms.blobs import BlobLocked

    store = open_blob_store(s3_url_with_bucket(f"dms-worm-{uuid.uuid4().hex[:10]}") + "&object_lock=true")
    stored = store.put("tenant-a", io.BytesIO(b"dossier sous saisie"))
    store.set_legal_hold(stored.key, True)
    with pytest.raises(BlobLocked):
        store.delete(stored.key)
    assert read(store, stored.key) == b"dossier sous saisie"
    store.set_legal_hold(stored.key, False)
    store.delete(stored.key)
    assert not store.exists(stored.key)
