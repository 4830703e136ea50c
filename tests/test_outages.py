"""Backends going away while dms runs: nothing acknowledged is lost, nothing half-made is left.

Each test puts a TcpProxy between the app and one real service (Elasticsearch, Tika, MinIO) and stops it.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from dms.db import unit_of_work
from ingest import samples
from ingest.runtime import open_runtime
from tests.conftest import ES_URL, S3_URL, TIKA_URL, make_tenant, s3_url_with_bucket
from tests.tcp_proxy import TcpProxy
from tests.test_records_api import counts, upload


def _proxy_for(url: str) -> TcpProxy:
    parsed = urlparse(url)
    proxy = TcpProxy(parsed.hostname, parsed.port)
    proxy.start()
    return proxy


@pytest.fixture
def outage_stack(production_settings, tmp_path):
    """The production stack with Elasticsearch, Tika and MinIO each reached through its own proxy."""
    proxies = {"search": _proxy_for(ES_URL), "tika": _proxy_for(TIKA_URL), "blobs": _proxy_for(S3_URL)}
    bucket = f"dms-outage-{uuid.uuid4().hex[:8]}"
    s3 = s3_url_with_bucket(bucket).replace(urlparse(S3_URL).netloc.split("@")[-1], proxies["blobs"].address)
    settings = production_settings.model_copy(
        update={
            "data_dir": tmp_path / "var",
            "search_url": f"http://{proxies['search'].address}",
            "tika_url": f"http://{proxies['tika'].address}",
            "blob_url": s3,
        }
    )
    runtime = open_runtime(settings)
    runtime.backends.search.ensure()
    yield runtime, TestClient(create_app(settings, runtime)), proxies
    for proxy in proxies.values():
        proxy.stop()


def _drain(runtime, tenant_id: str, seconds: float = 40.0) -> None:
    """Run the worker until the tenant's jobs are done (retries come after a short backoff)."""
    from sqlmodel import func, select

    from dms import jobs
    from dms.models import Job, JobStatus

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs.run_pending(runtime.backends.engine, runtime.handlers(), tenant_id=tenant_id)
        with unit_of_work(runtime.backends.engine, write=False) as session:
            left = session.exec(
                select(func.count()).select_from(Job).where(
                    Job.tenant_id == tenant_id, Job.status.in_([JobStatus.queued, JobStatus.running])
                )
            ).one()
        if left == 0:
            return
        time.sleep(0.5)
    raise AssertionError("jobs still queued after the backend came back")


def test_elasticsearch_down_uploads_are_kept_and_indexed_when_it_returns(outage_stack, tmp_path):
    runtime, client, proxies = outage_stack
    clerk = make_tenant(runtime)
    proxies["search"].stop()
    path = tmp_path / "lettre.pdf"
    letter = samples.letter_text(11)
    samples.write_pdf(letter, path)
    response = upload(client, clerk, path)
    assert response.status_code == 201, response.text
    record = response.json()
    assert client.get("/api/v1/health").json()["components"]["search"] == "down"
    assert client.get("/api/v1/search", params={"q": letter.surname}, headers=clerk.headers).status_code == 503
    download = client.get(f"/api/v1/records/{record['id']}/files/{record['files'][0]['id']}", headers=clerk.headers)
    assert download.content == path.read_bytes()

    proxies["search"].start()
    _drain(runtime, clerk.tenant_id)
    found = client.get("/api/v1/search", params={"q": letter.surname}, headers=clerk.headers).json()
    assert [hit["id"] for hit in found["hits"]] == [record["id"]]


def test_tika_down_uploads_are_kept_and_extracted_when_it_returns(outage_stack, tmp_path):
    runtime, client, proxies = outage_stack
    clerk = make_tenant(runtime)
    proxies["tika"].stop()
    path = tmp_path / "lettre.docx"  # not a PDF: a born-digital PDF is read by pdfium, without Tika
    letter = samples.letter_text(12)
    samples.write_docx(letter, path)
    response = upload(client, clerk, path)
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["files"][0]["text_status"] == "pending"
    assert client.get("/api/v1/search", params={"q": letter.surname}, headers=clerk.headers).json()["total"] == 0

    proxies["tika"].start()
    _drain(runtime, clerk.tenant_id)
    found = client.get("/api/v1/search", params={"q": letter.surname}, headers=clerk.headers).json()
    assert [hit["id"] for hit in found["hits"]] == [record["id"]]
    again = client.get(f"/api/v1/records/{record['id']}", headers=clerk.headers).json()
    assert again["files"][0]["text_status"] == "done" and again["files"][0]["pages"] == 1


def test_minio_down_uploads_fail_with_503_and_leave_no_row(outage_stack, tmp_path):
    runtime, client, proxies = outage_stack
    clerk = make_tenant(runtime)
    proxies["blobs"].stop()
    path = tmp_path / "lettre.pdf"
    samples.write_pdf(samples.letter_text(13), path)
    response = upload(client, clerk, path)
    assert response.status_code == 503
    assert "blob store" in response.json()["detail"]
    assert client.get("/api/v1/health").json()["components"]["blobs"] == "down"
    proxies["blobs"].start()
    assert counts(runtime, clerk.tenant_id) == (0, 0, 0, 0)
