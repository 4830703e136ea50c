"""The daily mail register export: exactly the tenant's records of one register and period, in number order,
cancelled numbers shown, as CSV (UTF-8 BOM, ';') and PDF, through the API and the CLI."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pypdf
from sqlmodel import select

from dms import records
from dms.db import unit_of_work
from dms.models import Record, RegisterKind
from tests.conftest import make_tenant

DMS = str(Path(sys.executable).with_name("dms"))
PERIOD = {"from": "2026-03-01", "to": "2026-03-05"}


def plant(runtime, tenant_id: str, register: RegisterKind, subject: str, when: datetime,
          cancel: str | None = None) -> str:
    """A record registered through the service, then moved to ``when`` (the test cannot wait for a date)."""
    engine = runtime.backends.engine
    with unit_of_work(engine) as session:
        done = records.register(session, tenant_id, None, records.NewRecord(register=register, subject=subject))
        record_id = done.record.id
    with unit_of_work(engine) as session:
        row = session.exec(select(Record).where(Record.id == record_id)).one()
        row.registered_at = when
        if cancel:
            row.cancelled, row.cancel_reason = True, cancel
        session.add(row)
        return row.reference


def day(d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, d, hour, minute, tzinfo=UTC)


def seed(runtime):
    """Tenant A: incoming numbers 1..5 (1 before the period, 5 after it, 3 cancelled), an outgoing letter in
    the period; tenant B: an incoming letter in the period."""
    a = make_tenant(runtime)
    b = make_tenant(runtime)
    refs = [
        plant(runtime, a.tenant_id, RegisterKind.incoming, "avant", datetime(2026, 2, 28, 23, 59, tzinfo=UTC)),
        plant(runtime, a.tenant_id, RegisterKind.incoming, "Permis d'urbanisme; rue de l'Église", day(4)),
        plant(runtime, a.tenant_id, RegisterKind.incoming, "=HYPERLINK(\"x\") annulé", day(2), cancel="doublon"),
        plant(runtime, a.tenant_id, RegisterKind.incoming, "Dernier jour, tard", day(5, 23, 59)),
        plant(runtime, a.tenant_id, RegisterKind.incoming, "après la période", day(6, 0, 0)),
    ]
    plant(runtime, a.tenant_id, RegisterKind.outgoing, "réponse sortante", day(3))
    other = plant(runtime, b.tenant_id, RegisterKind.incoming, "courrier de la commune B", day(3))
    return a, b, refs, other


def test_csv_and_pdf_list_exactly_the_tenants_register_and_period(client, runtime):
    a, b, refs, _other = seed(runtime)
    answer = client.get("/api/v1/registers/incoming/export", params={**PERIOD, "format": "csv"}, headers=a.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "registre-incoming-2026-03-01_2026-03-05.csv" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Numéro", "Date d'enregistrement", "Date de réception"]
    assert [r[0] for r in rows[1:]] == refs[1:4]  # number order, not date order; the edges of the period
    by_ref = {r[0]: r for r in rows[1:]}
    assert by_ref[refs[1]][1] == "2026-03-04"
    assert by_ref[refs[1]][3] == "Permis d'urbanisme; rue de l'Église"
    assert by_ref[refs[2]][3].startswith("'=HYPERLINK")  # never a formula in Excel
    assert by_ref[refs[2]][6] == "ANNULÉ : doublon"

    pdf = client.get("/api/v1/registers/incoming/export", params={**PERIOD, "format": "pdf"}, headers=a.headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # A4 landscape
    text = " ".join(p.extract_text() for p in reader.pages)
    for ref in refs[1:4]:
        assert ref in text
    assert refs[0] not in text and refs[4] not in text
    assert "ANNULÉ" in text and "Page 1 / 1" in text and a.slug.title() in text

    # the other commune sees its own letter only, with the same numbers
    mine = client.get("/api/v1/registers/incoming/export", params=PERIOD, headers=b.headers)
    body = mine.content.decode("utf-8-sig")
    assert "courrier de la commune B" in body and "Permis" not in body
    assert len(body.strip().splitlines()) == 2

    outgoing = client.get("/api/v1/registers/outgoing/export", params=PERIOD, headers=a.headers)
    assert "réponse sortante" in outgoing.content.decode("utf-8-sig")
    assert "Permis" not in outgoing.content.decode("utf-8-sig")


def test_export_refuses_bad_input_and_agents(client, runtime):
    clerk = make_tenant(runtime)
    agent = make_tenant(runtime, role="agent", slug=clerk.slug)
    url = "/api/v1/registers/incoming/export"
    assert client.get(url, params=PERIOD).status_code == 401
    assert client.get(url, params=PERIOD, headers=agent.headers).status_code == 403
    assert client.get(url, params={"from": "2026-03-05", "to": "2026-03-01"}, headers=clerk.headers).status_code == 400
    assert client.get(url, params={"from": "hier", "to": "2026-03-01"}, headers=clerk.headers).status_code == 400
    assert client.get(url, params={**PERIOD, "format": "xls"}, headers=clerk.headers).status_code == 400
    unknown = client.get("/api/v1/registers/archive/export", params=PERIOD, headers=clerk.headers)
    assert unknown.status_code in (400, 404)
    assert client.get(url, params={"from": "2025-01-01", "to": "2026-12-31"}, headers=clerk.headers).status_code == 400


def test_cli_writes_the_same_register(embedded_runtime, tmp_path):
    a, _b, refs, other = seed(embedded_runtime)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(embedded_runtime.settings.data_dir)
    out = tmp_path / "registre.pdf"
    done = subprocess.run([DMS, "register", "export", "--tenant", a.slug, "--register", "incoming",
                           "--from", PERIOD["from"], "--to", PERIOD["to"], "--format", "pdf", "--output", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 line(s)" in done.stderr
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    assert all(ref in text for ref in refs[1:4])
    assert "commune B" not in text
    bad = subprocess.run([DMS, "register", "export", "--tenant", a.slug, "--from", "2026-03-05", "--to", "2026-03-01",
                          "--output", str(tmp_path / "x.csv")], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("dms: error:") and not (tmp_path / "x.csv").exists()


def test_sender_and_treating_service_are_named(client, runtime):
    from dms.models import Contact, Service

    a = make_tenant(runtime)
    with unit_of_work(runtime.backends.engine) as session:
        sender = Contact(tenant_id=a.tenant_id, kind="organisation", name="SPW Mobilité et Infrastructures")
        person = Contact(tenant_id=a.tenant_id, kind="person", first_name="Luc", last_name="Thiry")
        service = Service(tenant_id=a.tenant_id, code="TRAV", name="Service des travaux")
        session.add_all([sender, person, service])
        session.flush()
        ids = sender.id, person.id, service.id
    incoming = plant(runtime, a.tenant_id, RegisterKind.incoming, "Travaux N4", day(2))
    outgoing = plant(runtime, a.tenant_id, RegisterKind.outgoing, "Réponse", day(2))
    with unit_of_work(runtime.backends.engine) as session:
        for ref, values in ((incoming, {"sender_id": ids[0], "treating_service_id": ids[2]}),
                            (outgoing, {"recipient_ids": [ids[1], ids[0]]})):
            row = session.exec(select(Record).where(Record.tenant_id == a.tenant_id, Record.reference == ref)).one()
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
    rows = list(csv.reader(io.StringIO(client.get(
        "/api/v1/registers/incoming/export", params=PERIOD, headers=a.headers).content.decode("utf-8-sig")),
        delimiter=";"))
    assert rows[1][4:6] == ["SPW Mobilité et Infrastructures", "Service des travaux"]
    rows = list(csv.reader(io.StringIO(client.get(
        "/api/v1/registers/outgoing/export", params=PERIOD, headers=a.headers).content.decode("utf-8-sig")),
        delimiter=";"))
    assert rows[1][4] == "Luc Thiry, SPW Mobilité et Infrastructures"
