"""`dms serve` on the production stack (PostgreSQL, MinIO, Elasticsearch, Tika with Tesseract), as a user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ingest import samples
from tests.conftest import ES_URL, TIKA_URL, s3_url_with_bucket

DMS = str(Path(sys.executable).with_name("dms"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(pg_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env.update(
        DMS_DATA_DIR=str(tmp_path / "var"),
        DMS_DATABASE_URL=pg_database,
        DMS_BLOB_URL=s3_url_with_bucket(f"dms-serve-{uuid.uuid4().hex[:8]}"),
        DMS_SEARCH_URL=ES_URL,
        DMS_SEARCH_INDEX_NAME=f"dms-serve-{uuid.uuid4().hex[:8]}",
        DMS_TIKA_URL=TIKA_URL,
    )

    def dms(*args: str) -> str:
        done = subprocess.run([DMS, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    slug = f"ocr-{uuid.uuid4().hex[:8]}"
    dms("migrate")
    dms("tenant", "create", slug, "--name", "Commune OCR")
    dms("user", "create", f"greffe@{slug}.be", "--tenant", slug, "--role", "clerk")
    token = dms("token", "create", f"greffe@{slug}.be")
    port = _free_port()
    server = subprocess.Popen([DMS, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail(f"dms serve did not come up: {server.stdout.read()}")
    yield base, {"Authorization": f"Bearer {token}"}
    server.terminate()
    server.wait(timeout=20)


def test_scanned_letter_is_found_by_a_word_of_its_ocr_text(served, tmp_path):
    base, headers = served
    letter = samples.letter_text(21)
    scan = tmp_path / "numerisation-0001.pdf"
    samples.write_scanned_pdf(letter, scan)
    with scan.open("rb") as handle:
        response = httpx.post(f"{base}/records", headers=headers, timeout=180,
                              files={"file": (scan.name, handle, "application/pdf")}, data={"subject": "Scan"})
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["files"][0]["ocr"] is True
    health = httpx.get(f"{base}/health").json()
    assert health == {"status": "ok", "components": {"database": "up", "blobs": "up", "search": "up",
                                                     "extraction": "up"}}
    found = httpx.get(f"{base}/search", params={"q": letter.surname}, headers=headers).json()
    assert [hit["id"] for hit in found["hits"]] == [record["id"]]
    assert any(letter.surname.lower() in h.lower() for h in found["hits"][0]["highlights"])
