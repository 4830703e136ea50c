"""Personal data accounted for (issue 11): reads go to the access log, a contact's subject access export
holds every record that mentions them and nothing else, and each register accepts only its own file types
(both stacks)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlmodel import select

from dms.audit import verify
from dms.db import unit_of_work
from dms.models import AccessEvent, AuditEvent
from tests.conftest import embedded_runtime_for, embedded_settings_for, make_tenant
from tests.test_metadata_records import upload_text
from tests.test_records_api import counts

DMS = str(Path(sys.executable).with_name("dms"))


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


# ------------------------------------------------------------------------------------------ access log


def test_reads_of_a_record_its_metadata_and_files_are_logged(client, runtime):
    clerk = make_tenant(runtime)
    archivist = make_tenant(runtime, role="archivist", slug=clerk.slug)
    admin = make_tenant(runtime, role="admin", slug=clerk.slug)
    record = _ok(upload_text(client, clerk, "Plainte de Monsieur Zébulon Quartz, rue Haute 3.\n"), 201)
    url = f"/api/v1/records/{record['id']}"
    _ok(client.get(url, headers=archivist.headers))
    assert client.get(f"{url}/metadata.xml", headers=archivist.headers).status_code == 200
    assert client.get(f"{url}/files/{record['files'][0]['id']}", headers=clerk.headers).status_code == 200
    _ok(client.get("/api/v1/search", params={"q": "Zébulon"}, headers=archivist.headers))
    log = _ok(client.get(f"{url}/access-log", headers=admin.headers))
    seen = [(e["action"], e["actor_email"]) for e in log["events"]]
    assert seen == [  # newest first
        ("search", archivist.email),
        ("file.read", clerk.email),
        ("metadata.read", archivist.email),
        ("record.read", archivist.email),
    ], seen
    events = log["events"]
    assert events[0]["detail"] == {"q": "Zébulon"}
    assert events[1]["file_id"] == record["files"][0]["id"] and events[1]["detail"]["sha256"]
    assert all(e["at"] for e in events) and log["reference"] == record["reference"]
    # paging back, and reading the log is not itself a read of the record
    older = _ok(client.get(f"{url}/access-log", params={"before": events[1]["id"], "limit": 1},
                           headers=admin.headers))["events"]
    assert [e["action"] for e in older] == ["metadata.read"]
    assert len(_ok(client.get(f"{url}/access-log", headers=admin.headers))["events"]) == 4
    # the hash-chained audit trail is untouched by reads and stays intact
    with unit_of_work(runtime.backends.engine, write=False) as session:
        assert not verify(session, clerk.tenant_id)[1]
        assert not session.exec(select(AuditEvent).where(AuditEvent.tenant_id == clerk.tenant_id,
                                                         AuditEvent.action.like("%read%"))).all()


def test_a_refused_read_is_not_logged_and_logs_stay_in_their_tenant(client, runtime):
    clerk = make_tenant(runtime)
    stranger = make_tenant(runtime)
    record = _ok(upload_text(client, clerk, "Lettre confidentielle.\n"), 201)
    assert client.get(f"/api/v1/records/{record['id']}", headers=stranger.headers).status_code == 404
    with unit_of_work(runtime.backends.engine, write=False) as session:
        rows = session.exec(select(AccessEvent).where(AccessEvent.record_id == record["id"])).all()
    assert rows == []


# ----------------------------------------------------------------------------------------- subject access


def test_subject_access_finds_every_record_that_mentions_the_person(client, runtime):
    clerk = make_tenant(runtime)
    admin = make_tenant(runtime, role="admin", slug=clerk.slug)
    neighbour = make_tenant(runtime)
    person = _ok(client.post("/api/v1/contacts", headers=clerk.headers, json={
        "kind": "person", "first_name": "Jeanne", "last_name": "Dupré", "email": "jeanne.dupre@exemple.be"}), 201)
    org = _ok(client.post("/api/v1/contacts", headers=clerk.headers, json={
        "kind": "organisation", "name": "Boulangerie Quartz"}), 201)
    position = _ok(client.post("/api/v1/contacts", headers=clerk.headers, json={
        "kind": "position", "person_id": person["id"], "organisation_id": org["id"], "role_title": "gérante"}), 201)

    def letter(text: str, **fields) -> str:
        return _ok(upload_text(client, clerk, text, **fields), 201)["id"]

    expected = {
        letter("Demande de permis.\n", sender_id=person["id"]): {"sender"},
        letter("Réponse au sujet de la boulangerie.\n", register="outgoing", recipient_ids=position["id"]):
            {"recipient"},
        letter("Nous avons reçu la plainte de madame JEANNE DUPRE concernant le bruit.\n"): {"name in text"},
        # the address holds the name too (jeanne.dupre): both say so
        letter("Merci d'écrire à Jeanne.Dupre@exemple.be pour toute question.\n"): {"e-mail in text", "name in text"},
    }
    letter("Jeanne a appelé pour le marché de Noël.\n")  # a first name alone is not the person
    letter("Madame Dupont Jeanne est passée.\n")  # another person
    _ok(upload_text(client, neighbour, "Plainte de Jeanne Dupré, rue Haute.\n"), 201)  # another commune

    answer = client.get(f"/api/v1/contacts/{person['id']}/subject-access", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["x-subject-access-records"] == str(len(expected))
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        listing = json.loads(archive.read("records.json"))
        summary = json.loads(archive.read("subject.json"))
        table = archive.read("records.csv").decode("utf-8-sig").splitlines()
        xml = [archive.read(n) for n in names if n.startswith("metadata/")]
    assert {r["id"]: set(r["matched_by"]) for r in listing} == expected
    assert summary["subject"]["id"] == person["id"] and summary["requested_by"] == admin.email
    assert len(table) == 1 + len(expected) and table[0].startswith("reference;id;")
    assert len(xml) == len(expected) and all(b"ArchiveUnit" in doc for doc in xml)
    assert not [n for n in names if n.startswith("files/")]
    # with the files
    with_files = client.get(f"/api/v1/contacts/{person['id']}/subject-access", params={"files": "true"},
                            headers=admin.headers)
    with zipfile.ZipFile(io.BytesIO(with_files.content)) as archive:
        stored = [n for n in archive.namelist() if n.startswith("files/")]
        assert len(stored) == len(expected)
        assert any(b"JEANNE DUPRE" in archive.read(n) for n in stored)
    # audited: one event of the hash chain, and each record's access log names the export
    with unit_of_work(runtime.backends.engine, write=False) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.tenant_id == clerk.tenant_id,
                                                       AuditEvent.action == "contact.subject_access")).all()
        assert len(events) == 2 and set(json.loads(events[0].data)["records"]) == set(expected)
        logged = session.exec(select(AccessEvent.record_id).where(AccessEvent.action == "subject_access",
                                                                  AccessEvent.tenant_id == clerk.tenant_id)).all()
        assert set(logged) == set(expected)
    # nothing left in the spool
    assert not list((runtime.settings.resolved_data_dir / "tmp").glob("subject-access-*"))


# --------------------------------------------------------------------------------- per-register types


def test_a_register_accepts_only_its_own_types(client, runtime):
    clerk = make_tenant(runtime)
    admin = make_tenant(runtime, role="admin", slug=clerk.slug)
    shown = _ok(client.get("/api/v1/register-settings/mime-types", headers=clerk.headers))
    assert shown["registers"] == {"incoming": None, "outgoing": None, "internal": None}
    assert "application/pdf" in shown["accepted"]
    put = client.put("/api/v1/register-settings/outgoing/mime-types", headers=admin.headers,
                     json={"mime_types": ["application/pdf", "image/png"]})
    assert _ok(put)["mime_types"] == ["application/pdf", "image/png"]
    before = counts(runtime, clerk.tenant_id)
    refused = upload_text(client, clerk, "Une lettre en texte brut.\n", register="outgoing")
    assert refused.status_code == 415, refused.text
    assert "text/plain" in refused.json()["detail"] and "sortant" in refused.json()["detail"]
    assert counts(runtime, clerk.tenant_id) == before, "a refused upload stored something"
    assert upload_text(client, clerk, "La même, au registre entrant.\n").status_code == 201
    # only narrowing: types intake refuses cannot be allowed, and nothing changes
    for bad in (["application/x-dosexec"], ["application/zip"], []):
        answer = client.put("/api/v1/register-settings/outgoing/mime-types", headers=admin.headers,
                            json={"mime_types": bad})
        assert answer.status_code == 400, (bad, answer.text)
    assert _ok(client.get("/api/v1/register-settings/mime-types", headers=clerk.headers))["registers"][
        "outgoing"] == ["application/pdf", "image/png"]
    _ok(client.put("/api/v1/register-settings/outgoing/mime-types", headers=admin.headers, json={"mime_types": None}))
    assert upload_text(client, clerk, "Une autre lettre en texte brut.\n", register="outgoing").status_code == 201
    with unit_of_work(runtime.backends.engine, write=False) as session:
        changes = session.exec(select(AuditEvent.action).where(AuditEvent.tenant_id == clerk.tenant_id,
                                                               AuditEvent.action == "register.mime_types_changed"))
        assert len(changes.all()) == 2


# ------------------------------------------------------------------------------------------------- CLI


def test_the_cli_exports_a_subject_access_zip_and_sets_register_types(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")

    def dms(*args: str, ok: bool | None = True) -> subprocess.CompletedProcess:
        done = subprocess.run([DMS, *args], env=env, capture_output=True, text=True, timeout=120)
        assert ok is None or (done.returncode == 0) == ok, done.stderr
        return done

    dms("migrate")
    dms("tenant", "create", "ohey", "--name", "Ohey")
    contact_id = dms("contact", "create", "person", "--tenant", "ohey", "--first-name", "Zoé",
                     "--last-name", "Quennevert").stdout.split("\t")[0]
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "a.txt").write_text("Courrier de Madame Zoé Quennevert au sujet du cimetière.\n")
    (letters / "b.txt").write_text("Courrier sans rapport, au sujet de la voirie.\n")
    dms("ingest", str(letters), "--tenant", "ohey")
    out = tmp_path / "zoe.zip"
    done = dms("contact", "subject-access", contact_id, "--tenant", "ohey", "--out", str(out))
    assert done.stdout.strip() == str(out) and "1 record(s)" in done.stderr
    with zipfile.ZipFile(out) as archive:
        assert len(json.loads(archive.read("records.json"))) == 1
    assert "exists already" in dms("contact", "subject-access", contact_id, "--tenant", "ohey", "--out", str(out),
                                   ok=False).stderr
    assert "no such contact" in dms("contact", "subject-access", "nope", "--tenant", "ohey", "--out",
                                    str(tmp_path / "x.zip"), ok=False).stderr
    assert not (tmp_path / "x.zip").exists()
    shown = dms("register", "mime-types", "outgoing", "--tenant", "ohey", "--allow", "application/pdf").stdout
    assert shown.strip() == "outgoing\tapplication/pdf"
    refused = dms("ingest", str(letters / "a.txt"), "--tenant", "ohey", "--register", "outgoing",
                  "--allow-duplicate", ok=False)  # regression: exited 0 when every file was refused
    assert "sortant" in refused.stderr and "imported 0" in refused.stderr
    assert dms("register", "mime-types", "outgoing", "--tenant", "ohey", "--reset").stdout.strip() == (
        "outgoing\tevery accepted type")
    embedded_runtime_for(embedded_settings_for(tmp_path))  # walked for valid metadata after the test
