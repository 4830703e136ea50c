"""Barcode sheets: a scan batch is split at separator sheets (one record per document, sheets dropped), and a
scan-id sheet links a re-scan to its record (a newer scan replaces the file and keeps the older one as the
previous version; an older scan is refused). The sheets are printed by `dms barcode` and read by zbar."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from dms.accounts import Principal
from dms.db import unit_of_work
from dms.models import File, Record, Role
from ingest import barcodes, samples
from ingest.channels import ingest_path
from ingest.pipeline import Intake
from ingest.scan_batches import plan
from tests.conftest import make_tenant
from tests.intake_helpers import letter_page, search_ids, sheet_page, write_scan

DMS = str(Path(sys.executable).with_name("dms"))
Mark = barcodes.PageMark


def clerk(runtime):
    tenant = make_tenant(runtime)
    return tenant, Principal(user_id=None, email="scanner", role=Role.clerk, tenant_id=tenant.tenant_id)


def patch_t_page():
    """A patch-T sheet as mailrooms print it: the text PATCHT as a Code 128 barcode."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode import createBarcodeDrawing

    drawing = createBarcodeDrawing("Code128", value="PATCHT", barWidth=2, barHeight=60, humanReadable=True)
    return sheet_page(renderPDF.drawToString(drawing))


def test_printed_sheets_are_read_back_and_plan_the_batch():
    separator = sheet_page(barcodes.separator_sheet_pdf())
    scan = sheet_page(barcodes.scan_sheet_pdf("1b2c3d4e-0000-4000-8000-00000000abcd", "E/2026/00042", "Objet"))
    assert barcodes.classify(barcodes.decode_image(separator)) == Mark(separator=True)
    assert barcodes.classify(barcodes.decode_image(patch_t_page())) == Mark(separator=True)
    assert barcodes.classify(barcodes.decode_image(scan)) == Mark(scan_id="1b2c3d4e-0000-4000-8000-00000000abcd")
    assert barcodes.classify(["https://pay.example/qr", "1Z999AA10123456784"]) == Mark()  # other codes: ignored

    page, sep = Mark(), Mark(separator=True)
    assert plan([page, page]) is None  # no sheet: not a batch
    parts = plan([sep, page, page, sep, sep, page, Mark(scan_id="X"), page, sep])
    assert [(p.pages, p.scan_id) for p in parts] == [([1, 2], None), ([5], None), ([7], "X")]
    assert [(p.pages, p.scan_id) for p in plan([page, Mark(scan_id="Y")])] == [([0], None), ([], "Y")]


def test_scan_batch_is_split_at_separator_sheets(runtime, tmp_path):
    tenant, principal = clerk(runtime)
    letters = [samples.letter_text(seed) for seed in (11, 12, 13)]
    separator = sheet_page(barcodes.separator_sheet_pdf())
    pages = [letter_page(letters[0]), separator, letter_page(letters[1]), letter_page(letters[1], marker="suite"),
             patch_t_page(), letter_page(letters[2]), separator]
    batch = write_scan(tmp_path / "lot-1.pdf", pages)

    outcomes = ingest_path(runtime, principal, batch, Intake(original_name=batch.name))

    assert [(o.name, o.kind) for o in outcomes] == [("lot-1.pdf#1", "imported"), ("lot-1.pdf#2", "imported"),
                                                    ("lot-1.pdf#3", "imported")]
    numbers = []
    with unit_of_work(runtime.backends.engine, write=False) as session:
        for outcome, letter, page_count in zip(outcomes, letters, (1, 2, 1), strict=True):
            record = session.get(Record, outcome.record_id)
            numbers.append(record.number)
            (file,) = session.exec(select(File).where(File.record_id == record.id)).all()
            assert file.pages == page_count and file.mime == "application/pdf"
            assert file.original_name == f"lot-1-{outcomes.index(outcome) + 1:02d}.pdf"
            assert letter.surname.lower() in file.text.lower() and file.ocr  # OCR of an image-only page
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    assert outcomes[1].record_id in search_ids(runtime, tenant.tenant_id, f"{letters[1].surname} suite")

    # the same batch again (a restart after a crash): the split gives the same bytes, nothing is registered twice
    again = ingest_path(runtime, principal, batch, Intake(original_name=batch.name))
    assert [o.kind for o in again] == ["duplicate"] * 3
    assert again[0].reason == f"duplicate of {outcomes[0].reference}"


def test_rescan_replaces_the_file_when_newer_and_is_refused_when_older(runtime, tmp_path):
    tenant, principal = clerk(runtime)
    letter = samples.letter_text(21)
    first = write_scan(tmp_path / "original.pdf", [letter_page(letter)], created=datetime.now(UTC) - timedelta(hours=2))
    (done,) = ingest_path(runtime, principal, first, Intake(original_name=first.name))
    assert done.kind == "imported"
    sheet = sheet_page(barcodes.scan_sheet_pdf(done.record_id, done.reference, letter.subject))

    newer = write_scan(tmp_path / "rescan.pdf", [sheet, letter_page(letter, marker="rescanné"),
                                                 letter_page(letter, marker="annexe")],
                       created=datetime.now(UTC) + timedelta(minutes=1))
    (replaced,) = ingest_path(runtime, principal, newer, Intake(original_name=newer.name))
    assert (replaced.kind, replaced.reference, replaced.record_id) == ("replaced", done.reference, done.record_id)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        files = session.exec(select(File).where(File.record_id == done.record_id).order_by(File.created_at)).all()
        originals = [f for f in files if not f.original_name.endswith(".pdfa.pdf")]
        old, new = originals
        assert old.original_name == "original.pdf" and old.superseded_by == new.id  # kept, as the previous version
        assert new.original_name == "rescan-01.pdf" and new.superseded_by is None and new.pages == 2
        assert "rescann" in new.text.lower()
        record_count = session.exec(select(func.count()).select_from(Record)
                                    .where(Record.tenant_id == tenant.tenant_id)).one()
    assert record_count == 1  # a re-scan is not a new registration
    assert search_ids(runtime, tenant.tenant_id, "rescanné") == [done.record_id]

    older = write_scan(tmp_path / "vieux.pdf", [sheet, letter_page(letter, marker="ancien")],
                       created=datetime(2020, 1, 6, 9, 0, tzinfo=UTC))
    (refused,) = ingest_path(runtime, principal, older, Intake(original_name=older.name))
    assert refused.kind == "refused"
    assert refused.reason.startswith(f"older scan refused: this scan of {done.reference} was made 2020-01-06 09:00:00")
    unknown = sheet_page(barcodes.scan_sheet_pdf("00000000-0000-4000-8000-000000000000", "E/1999/00001", "?"))
    stray = write_scan(tmp_path / "perdu.pdf", [unknown, letter_page(letter, marker="perdu")])
    (lost,) = ingest_path(runtime, principal, stray, Intake(original_name=stray.name))
    assert (lost.kind, lost.reason) == ("refused",
                                        "scan id 00000000-0000-4000-8000-000000000000: no such record in this commune")
    with unit_of_work(runtime.backends.engine, write=False) as session:
        assert session.exec(select(func.count()).select_from(File).where(File.record_id == done.record_id)).one() \
            == len(files)


@pytest.mark.parametrize("runtime", ["embedded"], indirect=True)
def test_cli_prints_the_sheets_and_ingests_a_batch(runtime, tmp_path):
    tenant, principal = clerk(runtime)
    scan = write_scan(tmp_path / "courrier.pdf", [letter_page(samples.letter_text(31))])
    (done,) = ingest_path(runtime, principal, scan, Intake(original_name=scan.name))
    env = {**os.environ, "DMS_DATA_DIR": str(runtime.settings.data_dir), "DMS_SEARCH_URL": "embedded",
           "DMS_TIKA_URL": "embedded"}
    env.pop("DMS_DATABASE_URL", None)
    env.pop("DMS_BLOB_URL", None)
    subprocess.run([DMS, "barcode", "separator", "-o", str(tmp_path / "sep.pdf")], env=env, check=True,
                   cwd=tmp_path)
    subprocess.run([DMS, "barcode", "scan-sheet", done.reference, "--tenant", tenant.slug], env=env, check=True,
                   cwd=tmp_path)
    assert barcodes.read_pdf_marks(tmp_path / "sep.pdf") == [Mark(separator=True)]
    sheet = tmp_path / f"scan-{done.reference.replace('/', '-')}.pdf"
    assert barcodes.read_pdf_marks(sheet) == [Mark(scan_id=done.record_id)]
    missing = subprocess.run([DMS, "barcode", "scan-sheet", "E/1999/00001", "--tenant", tenant.slug], env=env,
                             cwd=tmp_path, capture_output=True, text=True)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "dms: error: scan id E/1999/00001: no such record in this commune"

    # `dms ingest` on a folder: a born-digital batch with a printed separator between two letters, and an e-mail
    import pikepdf

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    batch = pikepdf.new()
    for part in (samples.write_pdf(samples.letter_text(32), tmp_path / "a.pdf"), tmp_path / "sep.pdf",
                 samples.write_pdf(samples.letter_text(33), tmp_path / "b.pdf")):
        with pikepdf.open(part) as source:
            batch.pages.extend(source.pages)
    batch.save(inbox / "lot.pdf")
    samples.write_eml(samples.letter_text(34), inbox / "courriel.eml")
    done = subprocess.run([DMS, "ingest", str(inbox), "--tenant", tenant.slug], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    lines = [line.split("\t") for line in done.stdout.strip().splitlines()]
    assert [line[2] for line in lines] == [str(inbox / "courriel.eml"), str(inbox / "lot.pdf#1"),
                                           str(inbox / "lot.pdf#2")]
    assert done.stderr.strip().endswith("imported 3, duplicates 0, refused 0")
