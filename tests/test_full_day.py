"""A registry clerk's full day, end to end (issue 4's acceptance): 30 letters scanned into the watched folder in
three scan batches with separator sheets plus one scanned alone, 5 e-mails fetched from the IMAP mailbox
(dovecot), a re-scan of one letter with its scan sheet, and a duplicate. At the end the incoming register holds
exactly numbers 1 to 35 with no gap, every record is found by a word of its OCR text (or of its e-mail), the
re-scan replaced the file without a new number, and the register export lists the 35 records."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlmodel import select

from dms import contacts
from dms.accounts import Principal
from dms.contacts import fold
from dms.db import unit_of_work
from dms.models import File, Record, Role
from dms.register_export import export_register
from ingest import barcodes, samples
from ingest.mail_fetch import fetch_mailbox
from ingest.runtime import open_runtime
from ingest.watch import DONE, FolderWatcher
from tests.conftest import embedded_runtime_for, embedded_settings_for, make_tenant
from tests.intake_helpers import imap_append, imap_folder, letter_page, search_ids, sheet_page, write_scan


@pytest.fixture(params=["embedded", "production"])
def day_runtime(request, tmp_path):
    """French OCR only (the commune's language): a quarter of the Tesseract work of the four default packs."""
    if request.param == "embedded":
        return embedded_runtime_for(embedded_settings_for(tmp_path, ocr_languages="fra"))
    settings = request.getfixturevalue("production_settings")
    return open_runtime(settings.model_copy(update={"ocr_languages": "fra"}))


def email(seed: int) -> bytes:
    letter = samples.letter_text(seed)
    mail = EmailMessage()
    mail["From"] = f"{letter.sender} <{letter.sender_email}>"
    mail["To"] = "courrier@commune.example.be"
    mail["Subject"] = letter.subject
    mail["Date"] = format_datetime(datetime(2026, 5, 4, 9, seed % 60, tzinfo=UTC))
    mail["Message-ID"] = f"<journee-{seed}-{os.getpid()}@example.be>"
    mail.set_content(letter.text)
    return bytes(mail)


def drop(folder, path) -> None:
    """Like a scanner on a share: the file is written elsewhere, then appears whole in the folder."""
    shutil.move(path, folder / path.name)


def test_a_full_day_at_the_registry(day_runtime, tmp_path):
    runtime = day_runtime
    tenant = make_tenant(runtime)
    principal = Principal(user_id=None, email="greffe", role=Role.clerk, tenant_id=tenant.tenant_id)
    folder, staging = tmp_path / "scanner", tmp_path / "staging"
    folder.mkdir()
    staging.mkdir()
    letters = [samples.letter_text(seed) for seed in range(500, 530)]
    mails = [samples.letter_text(seed) for seed in range(600, 605)]
    with unit_of_work(runtime.backends.engine) as session:  # two of the mail senders are known contacts
        known = {m.sender_email: contacts.create(session, tenant.tenant_id, None, "person", {
            "first_name": m.sender.split()[0], "last_name": m.surname, "email": m.sender_email}).id
            for m in mails[:2]}
    watcher = FolderWatcher(runtime, principal, folder, stable_polls=1)

    # morning: three scan batches (10, 10 and 9 letters, a separator sheet after each letter) and one lone scan
    separator = sheet_page(barcodes.separator_sheet_pdf())
    for number, chunk in enumerate((letters[0:10], letters[10:20], letters[20:29]), start=1):
        pages = [page for letter in chunk for page in (letter_page(letter), separator)]
        drop(folder, write_scan(staging / f"lot-{number}.pdf", pages))
    drop(folder, write_scan(staging / "lettre-seule.pdf", [letter_page(letters[29])]))
    outcomes = watcher.poll()
    assert [o.kind for o in outcomes] == ["imported"] * 30, [(o.name, o.reason) for o in outcomes if o.reason]

    # the mailbox: five e-mails
    target = imap_folder()
    for seed in range(600, 605):
        imap_append(target, email(seed))
    fetched = fetch_mailbox(runtime, principal, target)
    assert [o.kind for o in fetched.outcomes] == ["imported"] * 5

    # afternoon: letter 7 scanned again with its scan sheet (a page was missing), and lettre-seule dropped twice
    by_name = {o.name: o for o in outcomes}
    seventh = by_name["lot-1.pdf#7"]
    sheet = sheet_page(barcodes.scan_sheet_pdf(seventh.record_id, seventh.reference, letters[6].subject))
    drop(folder, write_scan(staging / "rescan.pdf",
                                     [sheet, letter_page(letters[6]), letter_page(letters[6], marker="rectificatif")],
                                     created=datetime.now(UTC) + timedelta(seconds=5)))
    shutil.copyfile(folder / DONE / "lettre-seule.pdf", staging / "lettre-seule-bis.pdf")
    drop(folder, staging / "lettre-seule-bis.pdf")
    later = watcher.poll()
    assert sorted((o.name, o.kind) for o in later) == [("lettre-seule-bis.pdf", "duplicate"),
                                                       ("rescan.pdf#1", "replaced")]
    duplicate_of = by_name["lettre-seule.pdf"].reference
    assert [o.reason for o in later if o.kind == "duplicate"] == [f"duplicate of {duplicate_of}"]

    # the register: exactly 1..35, no gap, no second number for the re-scan or the duplicate
    year = datetime.now(UTC).year
    with unit_of_work(runtime.backends.engine, write=False) as session:
        rows = session.exec(select(Record).where(Record.tenant_id == tenant.tenant_id).order_by(Record.number)).all()
        assert [(r.register_code, r.year, r.number) for r in rows] == [("E", year, n) for n in range(1, 36)]
        assert [r.reference for r in rows] == [f"E/{year}/{n:05d}" for n in range(1, 36)]
        texts = {r.id: [f for f in session.exec(select(File).where(File.record_id == r.id)).all()
                        if f.superseded_by is None] for r in rows}
        senders = {r.subject: r.sender_id for r in rows}
        rescanned = session.exec(select(File).where(File.record_id == seventh.record_id)
                                 .order_by(File.created_at)).all()
    assert [f.superseded_by is not None for f in rescanned] == [True, False]
    assert senders[mails[0].subject] == known[mails[0].sender_email]
    assert senders[mails[1].subject] == known[mails[1].sender_email]

    # every record found by a word of its OCR text (letters) or of its message (e-mails)
    for outcome, letter in zip([by_name[f"lot-{b}.pdf#{i}"] for b, n in ((1, 10), (2, 10), (3, 9))
                                for i in range(1, n + 1)] + [by_name["lettre-seule.pdf"]], letters, strict=True):
        (scan,) = texts[outcome.record_id]
        assert scan.ocr and any(fold(word) in fold(scan.text) for word in letter.distinctive_words), scan.text
        # the surname as Tesseract read it (it may misread an accent: "Defrêne" as "Defrêène")
        first_line = next(line for line in scan.text.splitlines() if re.search(r"\w{4,}", line))
        word = max(re.findall(r"\w{4,}", first_line), key=len)
        assert outcome.record_id in search_ids(runtime, tenant.tenant_id, word), word
    for outcome, mail in zip(fetched.outcomes, mails, strict=True):
        assert outcome.record_id in search_ids(runtime, tenant.tenant_id, mail.surname)
    assert search_ids(runtime, tenant.tenant_id, "rectificatif") == [seventh.record_id]

    # the day's register export lists the 35 records, in number order
    today = datetime.now(UTC).date()
    with unit_of_work(runtime.backends.engine, write=False) as session:
        exported = export_register(session, principal, "incoming", today, today, "csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert exported.lines == 35
    assert [line[0] for line in lines[1:]] == [f"E/{year}/{n:05d}" for n in range(1, 36)]
    assert {line[3] for line in lines[1:]} >= {m.subject for m in mails}
