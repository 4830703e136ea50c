"""Every record carries a SEDA 2.3 document, validated and versioned with each change (both stacks)."""

from __future__ import annotations

import hashlib
import io

import pytest
from lxml import etree
from sqlmodel import func, select

from dms import record_metadata, records
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.models import AuditEvent, Job, Record, RecordMetadataVersion, TextStatus
from ingest import samples
from ingest.pipeline import extract_file_job
from metadata import parse_archive_unit, validate
from tests.conftest import SEDA_DIR, make_tenant


def quick_record(runtime, tenant_id: str, i: int, *, text: str | None = None, subject: str | None = None,
                 register=records.RegisterKind.incoming, name: str | None = None) -> records.Registered:
    """A small registered text record without extraction or OCR: fast enough to make hundreds."""
    body = (text or f"Courrier numéro {i} : demande de permis pour la parcelle {i * 7}.\n").encode()
    blob = runtime.backends.blobs.put(tenant_id, io.BytesIO(body))
    with unit_of_work(runtime.backends.engine) as session:
        return records.register(
            session,
            tenant_id,
            None,
            records.NewRecord(
                register=register,
                subject=subject or f"Courrier n° {i} « permis » l'été",
                description=f"Description du courrier {i}",
                files=[records.NewFile(blob=blob, mime="text/plain", original_name=name or f"courrier-{i}.txt",
                                       text=body.decode(), text_status=TextStatus.done)],
            ),
            schema_dir=runtime.settings.seda_schema_dir,
        )


def upload_text(client, user, text: str = "Bonjour, ceci est une lettre de test.\n", name: str = "lettre.txt",
                **fields):
    return client.post("/api/v1/records", headers=user.headers,
                       files={"file": (name, io.BytesIO(text.encode()), "text/plain")}, data=fields)


def version_count(runtime, record_id: str) -> int:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return session.exec(
            select(func.count()).select_from(RecordMetadataVersion).where(RecordMetadataVersion.record_id == record_id)
        ).one()


def test_registration_stores_a_valid_first_version(client, runtime):
    clerk = make_tenant(runtime)
    created = upload_text(client, clerk, subject="Demande de permis « forge » d'été", description="Deux pages")
    assert created.status_code == 201, created.text
    record = created.json()

    answer = client.get(f"/api/v1/records/{record['id']}/metadata.xml", headers=clerk.headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    assert answer.headers["x-metadata-version"] == "1"
    validate(answer.content, SEDA_DIR)
    meta = parse_archive_unit(answer.content)
    assert meta.identifier == record["id"]
    assert meta.registration_number == record["reference"]
    assert meta.title == "Demande de permis « forge » d'été"
    assert meta.description == "Deux pages"
    assert meta.register == "incoming" and meta.language == "fr"
    assert meta.originating_agency.identifier == clerk.slug
    assert meta.received is not None and meta.registered is not None
    (obj,) = meta.files
    file = record["files"][0]
    assert (obj.id, obj.sha256, obj.size, obj.mime, obj.filename) == (
        file["id"], file["sha256"], file["size"], "text/plain", "lettre.txt")

    listing = client.get(f"/api/v1/records/{record['id']}/metadata", headers=clerk.headers).json()
    assert listing["current"] == 1
    assert [v["version"] for v in listing["versions"]] == [1]
    assert listing["versions"][0]["sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert listing["versions"][0]["reason"] == "record.registered"


def test_each_change_makes_a_new_version_with_a_diff(client, runtime):
    clerk = make_tenant(runtime)
    record = upload_text(client, clerk, subject="Ancien objet").json()
    url = f"/api/v1/records/{record['id']}"

    changed = client.patch(url, headers=clerk.headers,
                           json={"subject": "Nouvel objet : voirie", "description": "Précisé par téléphone",
                                 "received_at": "2026-03-02T09:30:00+01:00"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["subject"] == "Nouvel objet : voirie"

    listing = client.get(f"{url}/metadata", headers=clerk.headers).json()
    assert [v["version"] for v in listing["versions"]] == [1, 2]
    assert listing["versions"][1]["reason"] == "record.updated"

    old = client.get(f"{url}/metadata.xml", params={"version": 1}, headers=clerk.headers)
    new = client.get(f"{url}/metadata.xml", headers=clerk.headers)
    assert parse_archive_unit(old.content).title == "Ancien objet"
    new_meta = parse_archive_unit(new.content)
    assert new_meta.title == "Nouvel objet : voirie"
    assert new_meta.received.isoformat() == "2026-03-02T08:30:00+00:00"
    validate(new.content, SEDA_DIR)

    diff = client.get(f"{url}/metadata/diff", params={"from": 1, "to": 2}, headers=clerk.headers).json()
    fields = {c["field"]: c for c in diff["changes"]}
    assert set(fields) == {"title", "description", "received"}
    assert fields["title"] == {"field": "title", "from": "Ancien objet", "to": "Nouvel objet : voirie"}
    assert fields["description"]["from"] is None and fields["description"]["to"] == "Précisé par téléphone"
    unified = client.get(f"{url}/metadata/diff", params={"from": 1, "format": "unified"}, headers=clerk.headers)
    assert unified.headers["content-type"].startswith("text/plain")
    assert "-          <Title>Ancien objet</Title>" in unified.text
    assert "+          <Title>Nouvel objet : voirie</Title>" in unified.text

    dc = client.get(f"{url}/metadata.xml", params={"format": "dc"}, headers=clerk.headers)
    assert dc.status_code == 200 and dc.headers["content-type"].startswith("application/xml")
    titles = [e for e in etree.fromstring(dc.content).iter() if etree.QName(e).localname == "title"]
    assert [t.text for t in titles] == ["Nouvel objet : voirie"]
    old_dc = client.get(f"{url}/metadata.xml", params={"format": "dc", "version": 1}, headers=clerk.headers)
    assert b"Ancien objet" in old_dc.content

    assert client.get(f"{url}/metadata.xml", params={"version": 9}, headers=clerk.headers).status_code == 404
    assert client.get(f"{url}/metadata/diff", params={"from": 1, "to": 9}, headers=clerk.headers).status_code == 404

    # the same values again: no new version; the search sees the new subject
    again = client.patch(url, headers=clerk.headers, json={"subject": "Nouvel objet :  voirie"})
    assert again.status_code == 200
    assert version_count(runtime, record["id"]) == 2
    found = client.get("/api/v1/search", params={"q": "voirie"}, headers=clerk.headers).json()
    assert [h["id"] for h in found["hits"]] == [record["id"]]

    with unit_of_work(runtime.backends.engine, write=False) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.object_id == record["id"],
                                                       AuditEvent.action == "record.updated")).all()
    assert len(events) == 1 and '"version": 2' in events[0].data


def test_bad_changes_are_refused_and_change_nothing(client, runtime):
    clerk = make_tenant(runtime)
    record = upload_text(client, clerk, subject="Objet").json()
    url = f"/api/v1/records/{record['id']}"
    for body in ({"subject": ""}, {"reference": "E/1999/00001"}, {"subject": "x" * 501}):
        answer = client.patch(url, headers=clerk.headers, json=body)
        assert answer.status_code == 400, (body, answer.text)
    # a character XML cannot carry: the metadata would not be valid, so the change is refused
    answer = client.patch(url, headers=clerk.headers, json={"subject": "Objet \u0001 caché"})
    assert answer.status_code == 400
    assert "metadata would not be valid" in answer.json()["detail"]
    assert version_count(runtime, record["id"]) == 1
    assert client.get(url, headers=clerk.headers).json()["subject"] == "Objet"


def test_a_record_whose_metadata_would_not_validate_is_not_registered(runtime):
    tenant = make_tenant(runtime)
    with pytest.raises(BadInput, match="metadata would not be valid"):
        with unit_of_work(runtime.backends.engine) as session:
            records.register(session, tenant.tenant_id, None, records.NewRecord(subject="Objet \u0002"),
                             schema_dir=runtime.settings.seda_schema_dir)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        n = session.exec(select(func.count()).select_from(Record).where(Record.tenant_id == tenant.tenant_id)).one()
    assert n == 0


def test_another_commune_sees_no_metadata(client, runtime):
    owner = make_tenant(runtime)
    stranger = make_tenant(runtime)
    record = upload_text(client, owner).json()
    url = f"/api/v1/records/{record['id']}"
    for path, params in (("/metadata.xml", {}), ("/metadata.xml", {"format": "dc"}), ("/metadata", {}),
                         ("/metadata/diff", {"from": 1})):
        answer = client.get(url + path, params=params, headers=stranger.headers)
        assert answer.status_code == 404, (path, answer.text)
    assert client.patch(url, headers=stranger.headers, json={"subject": "pris"}).status_code == 404
    assert client.get(url + "/metadata.xml").status_code == 401


def test_agents_read_metadata_but_do_not_change_records(client, runtime):
    clerk = make_tenant(runtime)
    agent = make_tenant(runtime, role="agent", slug=clerk.slug)
    record = upload_text(client, clerk).json()
    url = f"/api/v1/records/{record['id']}"
    # an agent reads the mail of their services only (docs/mail-registry.md): route it to theirs
    assert client.get(url + "/metadata.xml", headers=agent.headers).status_code == 404
    from dms import tenant_services

    with unit_of_work(runtime.backends.engine) as session:
        service = tenant_services.create(session, clerk.tenant_id, None, "accueil", "Accueil")
        tenant_services.add_member(session, clerk.tenant_id, None, agent.email, service.code)
        records.update(session, clerk.tenant_id, None, record["id"], {"treating_service_id": service.id})
    assert client.get(url + "/metadata.xml", headers=agent.headers).status_code == 200
    assert client.patch(url, headers=agent.headers, json={"subject": "Non"}).status_code == 403


def test_a_page_count_found_later_makes_a_new_version(embedded_runtime):
    """Extraction deferred by an outage fills the page count later: the metadata follows."""
    runtime = embedded_runtime
    tenant = make_tenant(runtime)
    pdf = samples.write_pdf(samples.letter_text(3), runtime.settings.resolved_data_dir / "lettre.pdf", pages=2)
    with pdf.open("rb") as handle:
        blob = runtime.backends.blobs.put(tenant.tenant_id, handle)
    with unit_of_work(runtime.backends.engine) as session:
        done = records.register(session, tenant.tenant_id, None, records.NewRecord(
            subject="Lettre", files=[records.NewFile(blob=blob, mime="application/pdf", original_name="l.pdf")]))
    with unit_of_work(runtime.backends.engine, write=False) as session:
        job = session.get(Job, done.job_ids[0])
    assert job.kind == records.EXTRACT_JOB
    extract_file_job(runtime, job)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        record = session.get(Record, done.record.id)
        rows = record_metadata.versions(session, record)
        assert [r.reason for r in rows] == ["record.registered", "file.extracted"]
        assert record_metadata.parsed(rows[0]).files[0].pages is None
        assert record_metadata.parsed(rows[1]).files[0].pages == 2
        changes = record_metadata.diff(session, record, 1, 2)["changes"]
    assert [c["field"] for c in changes] == [f"files[{done.files[0].id}]"]


def test_the_suite_walk_catches_missing_or_invalid_metadata(tmp_path):
    """The check tests/conftest.py runs after every test fails on a record without valid metadata."""
    from dms.migrate import upgrade
    from ingest.runtime import open_runtime
    from tests.conftest import assert_all_metadata_valid, embedded_settings_for

    settings = embedded_settings_for(tmp_path)  # not registered for the automatic walk: it is broken on purpose
    upgrade(settings.resolved_database_url)
    runtime = open_runtime(settings)
    tenant = make_tenant(runtime)
    done = quick_record(runtime, tenant.tenant_id, 1)
    assert_all_metadata_valid(runtime, "scratch database")
    with unit_of_work(runtime.backends.engine) as session:
        row = session.exec(select(RecordMetadataVersion).where(
            RecordMetadataVersion.record_id == done.record.id)).one()
        row.xml = row.xml.replace("<DescriptionLevel>Item</DescriptionLevel>", "<DescriptionLevel>?</DescriptionLevel>")
        session.add(row)
    with pytest.raises(pytest.fail.Exception, match="not valid SEDA 2.3"):
        assert_all_metadata_valid(runtime, "scratch database")
    with unit_of_work(runtime.backends.engine) as session:
        session.delete(session.get(RecordMetadataVersion, row.id))
    with pytest.raises(pytest.fail.Exception, match="no metadata"):
        assert_all_metadata_valid(runtime, "scratch database")
