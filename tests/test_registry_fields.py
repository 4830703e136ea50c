"""The record's mail fields through HTTP on both stacks: set at upload and by PATCH, checked against the
tenant's own directory, services, users and records, audited, versioned and mapped into SEDA."""

from __future__ import annotations

import json

from lxml import etree
from sqlmodel import select

from dms.db import unit_of_work
from dms.models import AuditEvent
from metadata.namespaces import SEDA as SEDA_NS
from tests.conftest import make_tenant
from tests.registry_helpers import API, colleague, contact, mail, ok, service

SEDA = "{" + SEDA_NS + "}"
TEXT = "Madame, nous vous écrivons au sujet de la voirie communale.\n".encode()


def _metadata(client, user, record_id) -> etree._Element:
    response = client.get(f"{API}/records/{record_id}/metadata.xml", headers=user.headers)
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content)


def _texts(root, tag) -> list[str]:
    return [e.text for e in root.iter(f"{SEDA}{tag}")]


def test_mail_fields_at_upload_and_by_patch_land_in_seda(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    admin = colleague(runtime, clerk, "admin")
    agent = colleague(runtime, clerk, "agent")
    urbanisme, finances = service(client, admin, "urbanisme"), service(client, admin, "finances")
    spw = contact(client, clerk, name="Service public de Wallonie", email="info@spw.example")
    person = contact(client, clerk, kind="person", first_name="Anne", last_name="Lambert")
    first = mail(client, clerk, tmp_path)

    record = mail(client, clerk, tmp_path, external_reference="SPW/2026/123", sent_at="2026-11-20T09:00:00Z",
                  sender_id=spw["id"], recipient_ids=[person["id"]], treating_service="urbanisme",
                  copy_services=[finances["code"]], due_date="2026-12-15", mail_type="lettre",
                  send_modes=["courrier", "email"], reply_to_id=first["id"])
    assert record["sender_id"] == spw["id"] and record["recipient_ids"] == [person["id"]]
    assert record["treating_service_id"] == urbanisme["id"] and record["copy_service_ids"] == [finances["id"]]
    assert record["due_date"] == "2026-12-15" and record["mail_type"] == "lettre"
    assert record["send_modes"] == ["courrier", "email"] and record["reply_to_id"] == first["id"]
    assert record["external_reference"] == "SPW/2026/123"

    root = _metadata(client, clerk, record["id"])
    assert _texts(root, "Corpname") == ["Service public de Wallonie"]
    assert "Anne" in _texts(root, "FirstName") and "Lambert" in _texts(root, "BirthName")
    assert _texts(root, "DocumentType") == ["Lettre"]
    assert _texts(root, "SentDate")[0].startswith("2026-11-20")
    assert _texts(root, "OriginatingSystemIdReplyTo") == [first["reference"]]

    before = ok(client.get(f"{API}/records/{record['id']}/metadata", headers=clerk.headers))["current"]
    changed = ok(client.patch(f"{API}/records/{record['id']}", headers=clerk.headers, json={
        "assignee_id": _user_id(runtime, agent.email), "related_ids": [first["id"]], "mail_type": "facture",
        "sender_id": person["id"], "copy_service_ids": [],
    }))
    assert changed["mail_type"] == "facture" and changed["copy_service_ids"] == []
    assert changed["related_ids"] == [first["id"]]
    root = _metadata(client, clerk, record["id"])
    assert _texts(root, "DocumentType") == ["Facture"]
    sender = next(root.iter(f"{SEDA}Sender"))
    assert [e.text for e in sender.iter(f"{SEDA}BirthName")] == ["Lambert"]
    assert ok(client.get(f"{API}/records/{record['id']}/metadata", headers=clerk.headers))["current"] == before + 1

    with unit_of_work(runtime.backends.engine, write=False) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.object_id == record["id"],
                                                      AuditEvent.action == "record.updated")).one()
    changes = set(json.loads(event.data)["changes"])
    assert changes >= {"mail_type", "sender_id", "assignee_id", "related_ids", "copy_service_ids"}

    # the facets know the services and the mail type
    found = ok(client.get(f"{API}/search", params={"q": "", "filter": "mail_type:facture"}, headers=clerk.headers))
    assert [h["id"] for h in found["hits"]] == [record["id"]]
    assert {"value": urbanisme["id"], "count": 1} in found["facets"]["service"]


def _user_id(runtime, email: str) -> str:
    from dms.models import User

    with unit_of_work(runtime.backends.engine, write=False) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def test_another_tenants_ids_are_refused_and_nothing_is_registered(client, runtime, tmp_path):
    clerk, other = make_tenant(runtime), make_tenant(runtime)
    other_admin = colleague(runtime, other, "admin")
    foreign_contact = contact(client, other)
    foreign_service = service(client, other_admin, "etat-civil")
    foreign_record = mail(client, other, tmp_path)
    mine = mail(client, clerk, tmp_path)
    for field, value, words in [
        ("sender_id", foreign_contact["id"], "sender_id: no such contact"),
        ("recipient_ids", foreign_contact["id"], "recipient_ids: no such contact"),
        ("treating_service", foreign_service["id"], "treating_service_id: no such service"),
        ("reply_to_id", foreign_record["id"], "reply_to_id: no such record"),
        ("related_ids", foreign_record["id"], "related_ids: no such record"),
        ("mail_type", "telegramme", "unknown mail type"),
        ("send_modes", "pigeon", "unknown mode"),
    ]:
        response = client.post(f"{API}/records", headers=clerk.headers, data={field: value, "subject": "x"},
                               files={"file": ("a.txt", TEXT, "text/plain")})
        assert response.status_code == 400, (field, response.text)
        assert words in response.json()["detail"], (field, response.json())
        json_field = {"treating_service": "treating_service_id"}.get(field, field)
        json_value = [value] if field in ("recipient_ids", "related_ids", "send_modes") else value
        response = client.patch(f"{API}/records/{mine['id']}", headers=clerk.headers, json={json_field: json_value})
        assert response.status_code == 400, (field, response.text)
    # nothing registered by the refused uploads: the next number follows the one good mail
    assert mail(client, clerk, tmp_path)["number"] == mine["number"] + 1
    response = client.patch(f"{API}/records/{mine['id']}", headers=clerk.headers, json={"related_ids": [mine["id"]]})
    assert response.status_code == 400 and "itself" in response.json()["detail"]


def test_mail_types_are_seeded_and_kept_by_an_admin(client, runtime, tmp_path):
    clerk = make_tenant(runtime)
    admin = colleague(runtime, clerk, "admin")
    codes = [t["code"] for t in ok(client.get(f"{API}/mail-types", headers=clerk.headers))["mail_types"]]
    assert {"lettre", "facture", "recommande-retour", "certificat", "courriel", "formulaire"} <= set(codes)
    assert client.post(f"{API}/mail-types", json={"code": "permis", "label": "Permis"},
                       headers=clerk.headers).status_code == 403
    ok(client.post(f"{API}/mail-types", json={"code": "permis", "label": "Permis"}, headers=admin.headers), 201)
    assert client.post(f"{API}/mail-types", json={"code": "permis", "label": "Permis"},
                       headers=admin.headers).status_code == 409
    assert mail(client, clerk, tmp_path, mail_type="permis")["mail_type"] == "permis"
    ok(client.patch(f"{API}/mail-types/permis", json={"active": False}, headers=admin.headers))
    codes = [t["code"] for t in ok(client.get(f"{API}/mail-types", headers=clerk.headers))["mail_types"]]
    assert "permis" not in codes
    response = client.post(f"{API}/records", headers=clerk.headers, data={"mail_type": "permis"},
                           files={"file": ("a.txt", TEXT, "text/plain")})
    assert response.status_code == 400
    # another tenant has its own list
    other = make_tenant(runtime)
    codes = [t["code"] for t in ok(client.get(f"{API}/mail-types", headers=other.headers))["mail_types"]]
    assert "permis" not in codes and "lettre" in codes
