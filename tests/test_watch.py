"""The watched scanner folder: files are taken once finished, registered exactly once through the pipeline,
moved to .done/ or .refused/ (with the reason), and a restart registers nothing again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlmodel import func, select

from dms.accounts import Principal
from dms.db import unit_of_work
from dms.models import File, Record, Role
from ingest import samples
from ingest.pipeline import sha256_of
from ingest.watch import FolderWatcher
from tests.conftest import make_tenant

DMS = str(Path(sys.executable).with_name("dms"))


def wait_for(condition, timeout: float = 90.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def record_count(runtime, tenant_id: str) -> int:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return session.exec(select(func.count()).select_from(Record).where(Record.tenant_id == tenant_id)).one()


def test_watched_folder_registers_each_finished_file_once(embedded_runtime, tmp_path):
    runtime = embedded_runtime
    tenant = make_tenant(runtime)
    principal = Principal(user_id=None, email="scanner", role=Role.clerk, tenant_id=tenant.tenant_id)
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    source = tmp_path / "src"
    source.mkdir()
    letters = [samples.write_pdf(samples.letter_text(seed), source / f"lettre-{seed}.pdf") for seed in range(3)]

    watcher = FolderWatcher(runtime, principal, inbox, interval=1.0)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        # a scanner writing slowly: the first half, seen by a poll, then the rest before the next poll
        slow = letters[0].read_bytes()
        partial = inbox / "scan-lent.pdf"
        with partial.open("wb") as handle:
            handle.write(slow[: len(slow) // 2])
            handle.flush()
            wait_for(lambda: watcher.seen(partial.name) == 1, step=0.005)
            handle.write(slow[len(slow) // 2:])
            handle.flush()
        shutil.copyfile(letters[1], inbox / "scan-2.pdf")
        shutil.copyfile(letters[1], inbox / "scan-9-copie.pdf")  # the same bytes again
        shutil.copyfile("/bin/true", inbox / "facture.pdf")  # an executable dressed as a PDF
        (inbox / ".cache-du-scanner").write_bytes(b"hidden")
        (inbox / "en-cours.pdf.part").write_bytes(b"%PDF-1.4 partial")
        wait_for(lambda: len(watcher.report.imported) + len(watcher.report.duplicates)
                 + len(watcher.report.refused) >= 4)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()

    report = watcher.report
    assert sorted(o.name for o in report.imported) == ["scan-2.pdf", "scan-lent.pdf"]
    assert [o.name for o in report.duplicates] == ["scan-9-copie.pdf"]
    assert [o.name for o in report.refused] == ["facture.pdf"]
    assert record_count(runtime, tenant.tenant_id) == 2
    with unit_of_work(runtime.backends.engine, write=False) as session:
        hashes = set(session.exec(select(File.sha256).where(File.tenant_id == tenant.tenant_id)).all())
    assert sha256_of(letters[0]) in hashes  # the whole slow file, not its first half

    assert sorted(p.name for p in (inbox / ".done").iterdir()) == ["scan-2.pdf", "scan-lent.pdf"]
    refused = sorted(p.name for p in (inbox / ".refused").iterdir())
    assert refused == ["facture.pdf", "facture.pdf.reason.txt", "scan-9-copie.pdf", "scan-9-copie.pdf.reason.txt"]
    reason = (inbox / ".refused" / "facture.pdf.reason.txt").read_text(encoding="utf-8")
    assert "facture.pdf" in reason and "refused" in reason
    assert "duplicate of E/" in (inbox / ".refused" / "scan-9-copie.pdf.reason.txt").read_text(encoding="utf-8")
    assert {p.name for p in inbox.iterdir()} == {".done", ".refused", ".cache-du-scanner", "en-cours.pdf.part"}

    # a restart over the same folder registers nothing again
    again = FolderWatcher(runtime, principal, inbox, interval=0)
    again.run(threading.Event(), max_polls=3)
    assert not (again.report.imported or again.report.duplicates or again.report.refused)
    assert record_count(runtime, tenant.tenant_id) == 2


def test_cli_watch_stops_on_sigterm_with_a_summary(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")
    for args in (["migrate"], ["tenant", "create", "wavre", "--name", "Ville de Wavre"]):
        subprocess.run([DMS, *args], env=env, check=True, capture_output=True, timeout=120)
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    samples.write_pdf(samples.letter_text(7), inbox / "lettre.pdf")
    proc = subprocess.Popen([DMS, "ingest", str(inbox), "--tenant", "wavre", "--watch", "--interval", "0.2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (inbox / ".done" / "lettre.pdf").exists() or proc.poll() is not None, timeout=120)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        out, errors = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, errors
    assert out.startswith("E/") and "lettre.pdf" in out
    assert "imported 1, duplicates 0, refused 0" in errors


def test_a_sidecar_goes_with_its_document(embedded_runtime, tmp_path):
    tenant = make_tenant(embedded_runtime)
    principal = Principal(user_id=None, email="scanner", role=Role.clerk, tenant_id=tenant.tenant_id)
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    watcher = FolderWatcher(embedded_runtime, principal, inbox, interval=0)
    (inbox / "scan.pdf.xml").write_text(
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Demande de permis, rue Haute 3</dc:title>'
        "</oai_dc:dc>", encoding="utf-8")
    assert watcher.poll() == [] and watcher.poll() == []  # a sidecar alone waits for its document
    samples.write_pdf(samples.letter_text(5), inbox / "scan.pdf")
    assert watcher.poll() == []  # seen once: maybe still being written
    [outcome] = watcher.poll()
    assert outcome.kind == "imported"
    with unit_of_work(embedded_runtime.backends.engine, write=False) as session:
        assert session.get(Record, outcome.record_id).subject == "Demande de permis, rue Haute 3"
    assert sorted(p.name for p in (inbox / ".done").iterdir()) == ["scan.pdf", "scan.pdf.xml"]


def test_a_finished_scan_waits_for_its_sidecar(embedded_runtime, tmp_path):
    tenant = make_tenant(embedded_runtime)
    principal = Principal(user_id=None, email="scanner", role=Role.clerk, tenant_id=tenant.tenant_id)
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    watcher = FolderWatcher(embedded_runtime, principal, inbox, interval=0)
    samples.write_pdf(samples.letter_text(6), inbox / "scan.pdf")
    assert watcher.poll() == []
    sidecar = inbox / "scan.pdf.xml"
    sidecar.write_text('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                       'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Plainte', encoding="utf-8")
    assert watcher.poll() == []  # the scan is stable, its sidecar is still being written
    with sidecar.open("a", encoding="utf-8") as handle:
        handle.write(" pour tapage nocturne</dc:title></oai_dc:dc>")
    assert watcher.poll() == []
    [outcome] = watcher.poll()
    with unit_of_work(embedded_runtime.backends.engine, write=False) as session:
        assert session.get(Record, outcome.record_id).subject == "Plainte pour tapage nocturne"
