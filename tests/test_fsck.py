"""fsck finds the blob that went missing, the one whose bytes changed, and the one no row references."""

from __future__ import annotations

import io

from dms.db import unit_of_work
from dms.fsck import fsck
from dms.records import files_of, get
from tests.test_records_api import letter_pdf, upload


def test_fsck_reports_missing_corrupt_and_unreferenced_blobs(client, runtime, tmp_path):
    from tests.conftest import make_tenant

    clerk = make_tenant(runtime)
    ids = [upload(client, clerk, letter_pdf(tmp_path, f"Courrier numéro {i} pour le service travaux.", f"{i}.pdf"))
           .json()["id"] for i in range(3)]
    clean = fsck(runtime.backends, tenant_id=clerk.tenant_id)
    assert clean.healthy and clean.checked == 3 and clean.unreferenced == []

    with unit_of_work(runtime.backends.engine, write=False) as session:
        keys = [files_of(session, get(session, clerk.tenant_id, record_id))[0].blob_key for record_id in ids]
    runtime.backends.blobs.delete(keys[0])
    # the bytes under keys[1] are replaced by other bytes (bit rot, or a hand edit in the bucket)
    data = b"".join(runtime.backends.blobs.open(keys[1]))
    runtime.backends.blobs.delete(keys[1])
    _overwrite(runtime.backends.blobs, keys[1], data[:-10] + b"0123456789")
    orphan = runtime.backends.blobs.put(clerk.tenant_id, io.BytesIO(b"left behind by a crash"))

    report = fsck(runtime.backends, tenant_id=clerk.tenant_id)
    assert report.missing == [keys[0]] and report.corrupt == [keys[1]] and report.unreferenced == [orphan.key]
    assert not report.healthy


def _overwrite(store, key: str, data: bytes) -> None:
    """Write bytes under a key that does not match them, as only a fault (not our code) would."""
    if hasattr(store, "root"):
        path = store.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    else:
        store.client.put_object(store.bucket, key, io.BytesIO(data), length=len(data))
