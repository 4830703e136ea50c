"""Retention through the HTTP API, on both stacks: schedules as CSV, a destruction batch from the sweep to
the certificate, holds, and the audit export that an auditor re-walks."""

from __future__ import annotations

import hashlib
import json

from dms import audit
from dms.db import unit_of_work
from tests.conftest import make_tenant
from tests.retention_data import SCHEDULES_CSV, SCRAP, register, retention_plan

API = "/api/v1"


def test_destruction_batch_through_the_api(runtime, client):
    with retention_plan(runtime):
        archivist = make_tenant(runtime, role="archivist")
        clerk = make_tenant(runtime, role="clerk", slug=archivist.slug)
        h = archivist.headers
        t = archivist.tenant_id
        imported = client.post(f"{API}/retention/schedules/import", headers=h,
                               files={"file": ("tri.csv", SCHEDULES_CSV.encode(), "text/csv")})
        assert imported.status_code == 200, imported.text
        wrong = b"class;trigger;period;final_action\nnope;x;P1Y;EAT\n"
        bad = client.post(f"{API}/retention/schedules/import", headers=h,
                          files={"file": ("tri.csv", wrong, "text/csv")})
        assert bad.status_code == 400 and "line 2" in bad.json()["detail"]
        made = client.post(f"{API}/retention/schedules", headers=h,
                           json={"class": SCRAP, "trigger": "closed", "period": "P1Y", "final_action": "DESTROY",
                                 "legal_reference": "Tableau de tri, 9.9"})
        assert made.status_code == 201, made.text
        assert client.post(f"{API}/retention/schedules", headers=clerk.headers, json={
            "class": SCRAP, "trigger": "closed", "period": "P1Y", "final_action": "DESTROY"}).status_code == 403
        exported = client.get(f"{API}/retention/schedules/export", headers=h)
        assert "Tableau de tri, 9.9" in exported.content.decode("utf-8-sig")

        doomed, held = (register(runtime, t, f"Prospectus {n}", SCRAP) for n in ("a", "b"))
        for record_id in (doomed, held):
            done = client.post(f"{API}/retention/records/{record_id}/close", headers=h,
                               json={"closed_on": "2001-03-01"})
            assert done.status_code == 200 and done.json()["state"] == "ELIGIBLE", done.text
            assert done.json()["due_date"] == "2002-03-01"
        hold = client.post(f"{API}/holds", headers=h, json={"name": "Litige", "reason": "recours",
                                                            "record_ids": [held]}).json()
        assert client.get(f"{API}/retention/records/{held}", headers=h).json()["holds"][0]["id"] == hold["id"]
        assert client.post(f"{API}/retention/sweep", headers=clerk.headers, json={}).status_code == 403
        swept = client.post(f"{API}/retention/sweep", headers=h, json={}).json()
        assert swept["proposed"] == 1 and len(swept["batches"]) == 1
        batch_id = swept["batches"][0]["id"]
        assert [r["id"] for r in client.get(f"{API}/retention/batches/{batch_id}", headers=h).json()["records"]] \
            == [doomed]
        assert client.post(f"{API}/retention/sweep", headers=h, json={}).json()["proposed"] == 0  # idempotent

        assert client.post(f"{API}/retention/batches/{batch_id}/approve", headers=h).json()["state"] == "APPROVED"
        request = client.post(f"{API}/retention/batches/{batch_id}/authorization-request", headers=h)
        assert request.status_code == 200 and b"<UnitIdentifier>" + doomed.encode() in request.content
        assert client.post(f"{API}/retention/batches/{batch_id}/execute", headers=h).status_code == 409
        authorized = client.post(f"{API}/retention/batches/{batch_id}/authorize", headers=h,
                                 json={"reference": "AE/2026/0777"})
        assert authorized.json()["state"] == "AUTHORIZED"
        executed = client.post(f"{API}/retention/batches/{batch_id}/execute", headers=h)
        assert executed.status_code == 200, executed.text
        result = executed.json()
        assert result["state"] == "EXECUTED" and result["records"] == 1 and result["blobs_deleted"] == 1

        status = client.get(f"{API}/retention/records/{doomed}", headers=h).json()
        assert status["state"] == "DESTROYED" and status["tombstone"]["authorization_reference"] == "AE/2026/0777"
        digest = status["tombstone"]["files"][0]["sha256"]
        record = client.get(f"{API}/records/{doomed}", headers=clerk.headers).json()
        assert record["files"] == [] and record["subject"] == "Prospectus a"
        certificate = client.get(f"{API}/records/{result['certificate_record_id']}", headers=clerk.headers).json()
        assert certificate["subject"].startswith("Certificat de destruction")
        xml = next(f for f in certificate["files"] if f["name"].startswith("certificat") and f["name"].endswith("xml"))
        body = client.get(f"{API}/records/{certificate['id']}/files/{xml['id']}", headers=clerk.headers).content
        assert digest.encode() in body and b"Prospectus a" in body
        assert client.get(f"{API}/retention/records/{held}", headers=h).json()["state"] == "ELIGIBLE"

        # a used hold is lifted, never deleted
        assert client.delete(f"{API}/holds/{hold['id']}", headers=h).status_code == 409
        lifted = client.post(f"{API}/holds/{hold['id']}/lift", headers=h, json={"reason": "classé sans suite"})
        assert lifted.json()["active"] is False and lifted.json()["lift_reason"] == "classé sans suite"

        # the audit export: every event with its hashes, re-walkable by whoever receives it
        export = client.get(f"{API}/audit/export", headers=h)
        assert export.status_code == 200
        events = [json.loads(line) for line in export.text.splitlines()]
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        assert all(events[i]["prev_hash"] == events[i - 1]["hash"] for i in range(1, len(events)))
        actions = {e["action"] for e in events}
        assert {"record.destroyed", "retention.batch.executed", "hold.placed", "hold.lifted"} <= actions
        first = events[0]
        canonical = json.dumps([first["chain"], first["seq"], first["at"], first["actor_id"], first["action"],
                                first["object_type"], first["object_id"], first["data"], first["prev_hash"]],
                               ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode()).hexdigest() == first["hash"]
        csv_export = client.get(f"{API}/audit/export", headers=h, params={"format": "csv"})
        assert csv_export.content.startswith("\ufeffchain;seq".encode())
        assert client.get(f"{API}/audit/export", headers=clerk.headers).status_code == 403
        with unit_of_work(runtime.backends.engine, write=False) as session:
            assert audit.verify(session, t)[1] == []
