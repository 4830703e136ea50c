"""Transfers through HTTP and the CLI: export as a zipped bag, import into another commune; refusals."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from dms.db import unit_of_work
from dms.models import Record
from ingest import samples
from metadata import parse_archive_transfer, read_transfer_bag
from tests.conftest import SEDA_DIR, embedded_runtime_for, embedded_settings_for, make_tenant
from tests.test_metadata_records import upload_text
from tests.test_records_api import counts

DMS = str(Path(sys.executable).with_name("dms"))


def unzip(content: bytes, dest: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(dest)
    (top,) = list(dest.iterdir())
    return top


def test_export_and_import_through_the_api(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    archivist = make_tenant(runtime, role="archivist", slug=clerk.slug)
    made = [
        upload_text(client, clerk, "Demande de subside pour le club de pétanque.\n", "subside.txt").json(),
        upload_text(client, clerk, "Plainte relative au tapage nocturne rue Haute.\n", "plainte.txt").json(),
        upload_text(client, clerk, "Invitation au conseil communal de mars.\n", "conseil.txt").json(),
    ]

    answer = client.post("/api/v1/transfers", headers=archivist.headers,
                         json={"ids": [made[0]["id"], made[1]["id"]], "comment": "Versement test",
                               "archival_agency": {"identifier": "AEN", "name": "Archives de l'État à Namur"}})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["x-transfer-records"] == "2"
    message_id = answer.headers["x-transfer-message-identifier"]
    assert f"transfer-{message_id}.zip" in answer.headers["content-disposition"]
    bag = unzip(answer.content, tmp_path / "unzipped")
    assert bag.name == f"transfer-{message_id}"
    message, files = read_transfer_bag(bag, schema_dir=SEDA_DIR)
    units = parse_archive_transfer(message)
    assert sorted(u.registration_number for u in units) == sorted(m["reference"] for m in made[:2])
    assert b"<Identifier>AEN</Identifier>" in message and b"Versement test" in message
    assert len(files) == 2
    assert not list((runtime.settings.resolved_data_dir / "tmp").glob("transfer-*"))  # the work folder is gone

    by_query = client.post("/api/v1/transfers", headers=archivist.headers, json={"query": "tapage"})
    assert by_query.status_code == 200 and by_query.headers["x-transfer-records"] == "1"

    with unit_of_work(runtime.backends.engine) as session:
        record = session.get(Record, made[2]["id"])
        record.classification = "https://plan.example.be/classement/1.78"
        session.add(record)
    by_class = client.post("/api/v1/transfers", headers=archivist.headers,
                           json={"classification": "https://plan.example.be/classement/1.78"})
    assert by_class.status_code == 200 and by_class.headers["x-transfer-records"] == "1"

    other = make_tenant(runtime, role="archivist")
    imported = client.post("/api/v1/transfers/import", headers=other.headers,
                           files={"file": ("t.zip", io.BytesIO(answer.content), "application/zip")})
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert report["message_identifier"] == message_id
    assert len(report["imported"]) == 2 and not report["failed"]
    new_id = report["imported"][0]["id"]
    assert client.get(f"/api/v1/records/{new_id}", headers=other.headers).status_code == 200
    xml = client.get(f"/api/v1/records/{new_id}/metadata.xml", headers=other.headers).text
    assert "<CustodialHistoryItem>Enregistré par" in xml and clerk.slug in xml
    again = client.post("/api/v1/transfers/import", headers=other.headers,
                        files={"file": ("t.zip", io.BytesIO(answer.content), "application/zip")}).json()
    assert len(again["skipped"]) == 2 and not again["imported"]


def test_transfer_requests_that_are_refused(client, runtime):
    clerk = make_tenant(runtime)
    archivist = make_tenant(runtime, role="archivist", slug=clerk.slug)
    stranger = make_tenant(runtime, role="archivist")
    record = upload_text(client, clerk).json()
    assert client.post("/api/v1/transfers", headers=clerk.headers, json={"ids": [record["id"]]}).status_code == 403
    assert client.post("/api/v1/transfers", headers=stranger.headers, json={"ids": [record["id"]]}).status_code == 404
    assert client.post("/api/v1/transfers", headers=archivist.headers, json={}).status_code == 400
    both = client.post("/api/v1/transfers", headers=archivist.headers, json={"ids": [record["id"]], "query": "x"})
    assert both.status_code == 400
    assert client.post("/api/v1/transfers", headers=archivist.headers,
                       json={"query": "introuvablexyz"}).status_code == 404
    assert client.post("/api/v1/transfers/import", headers=clerk.headers,
                       files={"file": ("t.zip", io.BytesIO(b"PK"), "application/zip")}).status_code == 403


def hostile_zips() -> dict[str, bytes]:
    def build(fill) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            fill(archive)
        return buffer.getvalue()

    def symlink(archive: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("bag/data/content/link")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")

    return {
        "escaping member": build(lambda a: a.writestr("../../evil.txt", "x")),
        "absolute member": build(lambda a: a.writestr("/etc/evil.txt", "x")),
        "symbolic link": build(symlink),
        "zip bomb": build(lambda a: a.writestr("bag/data/content/zeros.txt", b"\0" * (40 * 1024 * 1024))),
        "not a zip": b"this is not a zip file at all",
        "not a bag": build(lambda a: a.writestr("bag/readme.txt", "hello")),
    }


def test_hostile_zips_are_refused_and_leave_nothing(client, runtime):
    archivist = make_tenant(runtime, role="archivist")
    for label, content in hostile_zips().items():
        answer = client.post("/api/v1/transfers/import", headers=archivist.headers,
                             files={"file": ("t.zip", io.BytesIO(content), "application/zip")})
        assert answer.status_code == 400, (label, answer.text)
        assert "\n" not in answer.json()["detail"]
    assert counts(runtime, archivist.tenant_id) == (0, 0, 0, 0)
    assert not list((runtime.settings.resolved_data_dir / "tmp").glob("import-*"))


def test_the_cli_exports_and_imports(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")

    def dms(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([DMS, *args], env=env, capture_output=True, text=True, timeout=120)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    dms("migrate")
    dms("tenant", "create", "andenne", "--name", "Ville d'Andenne")
    dms("tenant", "create", "ohey", "--name", "Commune d'Ohey")
    folder = tmp_path / "scans"
    folder.mkdir()
    for seed in range(3):
        samples.write_txt(samples.letter_text(seed), folder / f"lettre-{seed}.txt")
    ingested = dms("ingest", str(folder), "--tenant", "andenne").stdout.splitlines()
    ids = [line.split("\t")[1] for line in ingested]

    out = tmp_path / "versement"
    exported = dms("export-transfer", "--tenant", "andenne", "--ids", ",".join(ids[:2]), "--output", str(out),
                   "--archival-agency", "AEN=Archives de l'État à Namur")
    assert exported.stdout.strip() == str(out)
    assert "exported 2 record(s), 2 file(s)" in exported.stderr
    assert dms("export-transfer", "--tenant", "andenne", "--output", str(out), ok=False).returncode == 1

    imported = dms("import-transfer", str(out), "--tenant", "ohey")
    assert len(imported.stdout.splitlines()) == 2  # new reference, id, source reference
    assert "imported 2, skipped 0, failed 0" in imported.stderr
    assert "skipped 2" in dms("import-transfer", str(out), "--tenant", "ohey").stderr

    failed = dms("import-transfer", str(folder), "--tenant", "ohey", ok=False)
    assert failed.returncode == 1 and failed.stderr.strip().startswith("dms: error: transfer refused:")
    embedded_runtime_for(embedded_settings_for(tmp_path))  # walked for valid metadata after the test
