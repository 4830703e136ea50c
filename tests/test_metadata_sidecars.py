"""XML sidecars at intake: SEDA or Dublin Core fill the record; hostile or invalid ones leave nothing behind."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from dms.db import unit_of_work
from dms.models import Record
from ingest import samples
from ingest.sidecars import pair_sidecars
from metadata import Agent, Organization, RecordMetadata, archive_unit_document, parse_archive_unit
from tests.conftest import embedded_runtime_for, embedded_settings_for, make_tenant
from tests.test_records_api import counts

DMS = str(Path(sys.executable).with_name("dms"))
FUZZ = Path(__file__).resolve().parents[1] / "fuzz/seeds/metadata"

DUBLIN_CORE = """<?xml version="1.0" encoding="UTF-8"?>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"
           xmlns:dcterms="http://purl.org/dc/terms/">
  <dc:title>Aanvraag bouwvergunning – Kerkstraat 12</dc:title>
  <dc:description>Ingediend aan het loket</dc:description>
  <dc:language>dut</dc:language>
  <dcterms:dateSubmitted>2026-02-03</dcterms:dateSubmitted>
</oai_dc:dc>
""".encode()


def seda_sidecar() -> bytes:
    return archive_unit_document(RecordMetadata(
        identifier="autre-systeme-42",
        registration_number="EXT/42",
        title="Réclamation « éclairage » de la rue de l'Église",
        description="Transmise par le service travaux",
        language="fr",
        received=date(2026, 1, 15),
        sender=Agent(first_name="Anne", last_name="Dupont"),
        originating_agency=Organization("autre-commune", "Autre commune"),
    ))


def upload(client, user, sidecar: bytes | None, text: str = "Lettre de test pour les sidecars.\n", **fields):
    files = {"file": ("scan.txt", io.BytesIO(text.encode()), "text/plain")}
    if sidecar is not None:
        files["metadata"] = ("scan.xml", io.BytesIO(sidecar), "application/xml")
    return client.post("/api/v1/records", headers=user.headers, files=files, data=fields)


def current_metadata(client, user, record_id: str) -> RecordMetadata:
    answer = client.get(f"/api/v1/records/{record_id}/metadata.xml", headers=user.headers)
    assert answer.status_code == 200
    return parse_archive_unit(answer.content)


def test_a_dublin_core_sidecar_fills_the_record(client, runtime):
    clerk = make_tenant(runtime)
    answer = upload(client, clerk, DUBLIN_CORE)
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert record["subject"] == "Aanvraag bouwvergunning – Kerkstraat 12"
    assert record["description"] == "Ingediend aan het loket"
    assert record["language"] == "nl"
    assert record["received_at"].startswith("2026-02-03T00:00:00")
    meta = current_metadata(client, clerk, record["id"])
    assert meta.title == record["subject"] and meta.language == "nl"
    assert meta.identifier == record["id"] and meta.registration_number == record["reference"]


def test_a_seda_sidecar_fills_the_record_but_not_its_identity(client, runtime):
    clerk = make_tenant(runtime)
    record = upload(client, clerk, seda_sidecar()).json()
    assert record["subject"] == "Réclamation « éclairage » de la rue de l'Église"
    assert record["description"] == "Transmise par le service travaux"
    assert record["received_at"].startswith("2026-01-15")
    meta = current_metadata(client, clerk, record["id"])
    assert meta.identifier == record["id"]
    assert meta.registration_number == record["reference"] != "EXT/42"
    assert meta.originating_agency.identifier == clerk.slug


def test_fields_typed_by_the_clerk_win_over_the_sidecar(client, runtime):
    clerk = make_tenant(runtime)
    record = upload(client, clerk, DUBLIN_CORE, subject="Objet saisi", language="fr").json()
    assert record["subject"] == "Objet saisi"
    assert record["language"] == "fr"
    assert record["description"] == "Ingediend aan het loket"


class CountingListener:
    """A loopback TCP server that counts connections: a network DTD must never be fetched."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = CountingListener()
    yield server
    server.close()


def hostile_sidecars(port: int) -> dict[str, bytes]:
    nested = b"<a>" * 50_000
    deep = (b'<?xml version="1.0"?><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/">'
            + nested * 350)  # ~50 MB of nested elements, never closed
    return {
        "external entity": (FUZZ / "hostile-xxe-file.xml").read_bytes(),
        "billion laughs": (FUZZ / "hostile-billion-laughs.xml").read_bytes(),
        "network DTD": (
            f'<?xml version="1.0"?>\n<!DOCTYPE dc SYSTEM "http://127.0.0.1:{port}/evil.dtd">\n'
            '<dc xmlns="http://purl.org/dc/elements/1.1/"><title>x</title></dc>'
        ).encode(),
        "parameter entity": (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p">%p;]>'
            '<d xmlns="http://purl.org/dc/elements/1.1/"/>'
        ).encode(),
        "50 MB of nested elements": deep,
        "deep nesting": b'<?xml version="1.0"?>' + b"<a>" * 300 + b"</a>" * 300,
        "not XML": b"%PDF-1.4 this is not xml",
        "HTML": b"<html><body>Bonjour</body></html>",
        "unsupported language": DUBLIN_CORE.replace(b"dut", b"spa"),
    }


def test_hostile_or_invalid_sidecars_are_refused_and_leave_nothing(client, runtime, listener):
    clerk = make_tenant(runtime)
    for label, payload in hostile_sidecars(listener.port).items():
        answer = upload(client, clerk, payload, text=f"Courrier accompagné d'un sidecar {label}.\n")
        assert answer.status_code == 400, (label, answer.status_code, answer.text[:300])
        detail = answer.json()["detail"]
        assert detail.startswith("sidecar refused:"), (label, detail)
        assert "\n" not in detail and len(detail) < 400, (label, detail)
    assert counts(runtime, clerk.tenant_id) == (0, 0, 0, 0)
    assert listener.connections == 0


def test_pairing_sidecars_with_their_files(tmp_path):
    names = ["a.pdf", "a.pdf.xml", "b.txt", "b.xml", "c.pdf", "c.docx", "c.xml", "d.xml", "e.pdf", "e.xml",
             "e.pdf.xml"]
    paths = [tmp_path / n for n in names]
    paired = {p.path.name: p for p in pair_sidecars(paths)}
    assert set(paired) == {"a.pdf", "b.txt", "c.pdf", "c.docx", "d.xml", "e.pdf"}
    assert paired["a.pdf"].sidecar.name == "a.pdf.xml"
    assert paired["b.txt"].sidecar.name == "b.xml"
    assert paired["e.pdf"].sidecar.name == "e.pdf.xml" and paired["e.pdf"].problem is None
    assert paired["c.pdf"].sidecar is None and "c.pdf.xml" in paired["c.pdf"].problem
    assert paired["c.docx"].problem and paired["d.xml"].sidecar is None


def test_dms_ingest_pairs_sidecars_in_a_folder(tmp_path, listener):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")

    def dms(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([DMS, *args], env=env, capture_output=True, text=True, timeout=120)

    assert dms("migrate").returncode == 0
    assert dms("tenant", "create", "ciney", "--name", "Ville de Ciney").returncode == 0
    folder = tmp_path / "scans"
    folder.mkdir()
    samples.write_txt(samples.letter_text(1), folder / "permis.txt")
    (folder / "permis.txt.xml").write_bytes(DUBLIN_CORE)
    samples.write_txt(samples.letter_text(2), folder / "plainte.txt")
    (folder / "plainte.xml").write_bytes(seda_sidecar())
    samples.write_txt(samples.letter_text(3), folder / "piege.txt")
    (folder / "piege.xml").write_bytes(hostile_sidecars(listener.port)["network DTD"])
    samples.write_txt(samples.letter_text(4), folder / "seul.txt")

    done = dms("ingest", str(folder), "--tenant", "ciney")
    assert done.returncode == 0, done.stderr
    assert "imported 3, duplicates 0, refused 1" in done.stderr
    assert "piege.txt: sidecar refused:" in " ".join(done.stderr.split())  # rich wraps long lines
    assert ".xml" not in done.stdout  # sidecars are not registered as documents
    assert listener.connections == 0

    runtime = embedded_runtime_for(embedded_settings_for(tmp_path))
    with unit_of_work(runtime.backends.engine, write=False) as session:
        subjects = {r.subject: r for r in session.exec(select(Record)).all()}
    assert set(subjects) >= {"Aanvraag bouwvergunning – Kerkstraat 12",
                             "Réclamation « éclairage » de la rue de l'Église"}
    assert subjects["Aanvraag bouwvergunning – Kerkstraat 12"].language == "nl"
    assert len(subjects) == 3
