"""The first vertical slice through HTTP, on the embedded stack and on the production stack."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from sqlmodel import func, select

from dms.db import unit_of_work
from dms.models import File, Record
from dms.search import SearchQuery
from ingest import samples
from tests.conftest import make_tenant

LETTER = (
    "Madame, Monsieur,\n\nNous avons bien reçu vos demandes de permis d'urbanisme pour la rénovation de "
    "l'ancienne forge communale. Le collège examinera les dossiers lors de sa prochaine séance.\n\n"
    "Veuillez agréer nos salutations distinguées."
)


def letter_pdf(tmp_path: Path, text: str = LETTER, name: str = "lettre.pdf") -> Path:
    letter = dataclasses.replace(samples.letter_text(0), paragraphs=(text,))
    path = tmp_path / name
    samples.write_pdf(letter, path)
    return path


def upload(client, user, path: Path, name: str | None = None, **fields):
    with path.open("rb") as handle:
        return client.post(
            "/api/v1/records",
            headers=user.headers,
            files={"file": (name or path.name, handle, "application/pdf")},
            data=fields,
        )


def counts(runtime, tenant_id: str) -> tuple[int, int, int, int]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        n_records = session.exec(select(func.count()).select_from(Record).where(Record.tenant_id == tenant_id)).one()
        n_files = session.exec(select(func.count()).select_from(File).where(File.tenant_id == tenant_id)).one()
    n_blobs = len(list(runtime.backends.blobs.keys(tenant_id)))
    n_indexed = runtime.backends.search.search(SearchQuery(tenant_id=tenant_id, limit=1)).total
    return n_records, n_files, n_blobs, n_indexed


def test_upload_register_fetch_download_and_search(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    path = letter_pdf(tmp_path)
    response = upload(client, clerk, path, subject="Demandes de permis - forge communale")
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["reference"].startswith("E/") and record["reference"].endswith("/00001")
    assert record["files"][0]["mime"] == "application/pdf"
    assert record["files"][0]["pages"] == 1
    assert record["files"][0]["text_status"] == "done"

    fetched = client.get(f"/api/v1/records/{record['id']}", headers=clerk.headers)
    assert fetched.status_code == 200
    assert fetched.json()["subject"] == "Demandes de permis - forge communale"

    file_id = record["files"][0]["id"]
    download = client.get(f"/api/v1/records/{record['id']}/files/{file_id}", headers=clerk.headers)
    assert download.status_code == 200
    assert download.content == path.read_bytes()
    assert download.headers["content-type"] == "application/pdf"

    # the singular "demande" finds the plural "demandes" of the letter, with a highlight
    found = client.get("/api/v1/search", params={"q": "demande urbanisme"}, headers=clerk.headers).json()
    assert found["total"] == 1
    hit = found["hits"][0]
    assert hit["id"] == record["id"] and hit["reference"] == record["reference"]
    assert any("vos <mark>demandes</mark> de permis" in h for h in hit["highlights"]), hit["highlights"]
    assert {"value": "incoming", "count": 1} in found["facets"]["register"]

    accents = client.get("/api/v1/search", params={"q": "RENOVATION forgé"}, headers=clerk.headers).json()
    assert accents["total"] == 1
    assert client.get("/api/v1/search", params={"q": "piscine"}, headers=clerk.headers).json()["total"] == 0


def test_numbers_follow_each_other(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    refs = []
    for i in range(3):
        path = letter_pdf(tmp_path, LETTER + f" Dossier {i}.", name=f"l{i}.pdf")
        refs.append(upload(client, clerk, path).json()["reference"])
    assert [r.rsplit("/", 1)[1] for r in refs] == ["00001", "00002", "00003"]
    outgoing = upload(client, clerk, letter_pdf(tmp_path, LETTER + " sortant", "s.pdf"), register="outgoing")
    assert outgoing.json()["reference"].startswith("S/") and outgoing.json()["reference"].endswith("/00001")


def test_duplicate_is_reported_not_stored_twice(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    path = letter_pdf(tmp_path)
    first = upload(client, clerk, path).json()
    again = upload(client, clerk, path, name="copie.pdf")
    assert again.status_code == 409
    body = again.json()
    assert body["duplicate_of"] == {"id": first["id"], "reference": first["reference"]}
    assert first["reference"] in body["detail"]
    assert counts(runtime, clerk.tenant_id) == (1, 1, 1, 1)
    # another commune may register the same bytes: duplicates are per tenant
    other = make_tenant(runtime)
    assert upload(client, other, path).status_code == 201


def test_bad_uploads_are_refused_and_leave_nothing(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    exe = tmp_path / "letter.pdf"
    shutil.copyfile("/bin/true", exe)
    refused = upload(client, clerk, exe)
    assert refused.status_code == 415
    assert "executable" in refused.json()["detail"].lower() or "x-" in refused.json()["detail"]

    empty = tmp_path / "vide.pdf"
    empty.write_bytes(b"")
    assert upload(client, clerk, empty).status_code == 400

    traversal = upload(client, clerk, letter_pdf(tmp_path), name="../../etc/passwd")
    assert traversal.status_code == 400
    assert "contains a path" in traversal.json()["detail"]
    assert counts(runtime, clerk.tenant_id) == (0, 0, 0, 0)


def test_upload_over_the_limit_is_refused_with_413(tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.conftest import embedded_runtime_for, embedded_settings_for

    settings = embedded_settings_for(tmp_path, max_upload_bytes=2000)
    runtime = embedded_runtime_for(settings)
    client = TestClient(create_app(settings, runtime))
    clerk = make_tenant(runtime)
    big = tmp_path / "gros.pdf"
    samples.write_pdf(samples.letter_text(1), big, pages=3)
    assert big.stat().st_size > 2000
    response = upload(client, clerk, big)
    assert response.status_code == 413
    assert counts(runtime, clerk.tenant_id) == (0, 0, 0, 0)


def test_another_commune_sees_nothing(client, runtime, tmp_path):
    a = make_tenant(runtime)
    b = make_tenant(runtime)
    record = upload(client, a, letter_pdf(tmp_path)).json()
    file_id = record["files"][0]["id"]
    assert client.get(f"/api/v1/records/{record['id']}", headers=b.headers).status_code == 404
    assert client.get(f"/api/v1/records/{record['id']}/files/{file_id}", headers=b.headers).status_code == 404
    found = client.get("/api/v1/search", params={"q": "permis"}, headers=b.headers).json()
    assert found["total"] == 0 and found["hits"] == []
    assert all(v == [] for v in found["facets"].values())
    # a file id of A under a record id of B is not a way in either
    b_record = upload(client, b, letter_pdf(tmp_path, LETTER + " B", "b.pdf")).json()
    assert client.get(f"/api/v1/records/{b_record['id']}/files/{file_id}", headers=b.headers).status_code == 404


def test_authentication_is_required(client, runtime):
    assert client.get("/api/v1/search", params={"q": "x"}).status_code == 401
    assert client.get("/api/v1/search", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/api/v1/records").status_code == 401


def test_health_names_the_components(client):
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["components"] == {"database": "up", "blobs": "up", "search": "up", "extraction": "up"}
