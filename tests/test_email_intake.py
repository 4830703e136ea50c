"""E-mail intake: a message (.eml file, each message of an .mbox, or an IMAP mailbox on Debian's dovecot) is one
record with its body and attachments as files, the sender matched to a contact, never registered twice (by
Message-ID), and refused whole, leaving nothing, when an attachment is refused."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlmodel import select

from dms import contacts
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import Duplicate
from dms.models import File, Record, Role
from ingest import samples
from ingest.channels import ingest_path
from ingest.email_messages import MessageError, ingest_message, parse_message
from ingest.mail_fetch import REFUSED, REGISTERED, fetch_mailbox, parse_imap_url
from ingest.pipeline import Intake
from tests.conftest import embedded_runtime_for, embedded_settings_for, make_tenant
from tests.intake_helpers import (
    IMAP_URL,
    imap_append,
    imap_count,
    imap_flags,
    imap_folder,
    search_ids,
    tenant_state,
)

DMS = str(Path(sys.executable).with_name("dms"))


def clerk(runtime):
    tenant = make_tenant(runtime)
    return tenant, Principal(user_id=None, email="courrier", role=Role.clerk, tenant_id=tenant.tenant_id)


def message(seed: int, *, attachment: tuple[str, bytes, str] | None = None, html: bool = False,
            message_id: str | None = None) -> bytes:
    letter = samples.letter_text(seed)
    mail = EmailMessage()
    mail["From"] = f"{letter.sender} <{letter.sender_email}>"
    mail["To"] = "Courrier <courrier@commune.example.be>"
    mail["Subject"] = letter.subject
    mail["Date"] = format_datetime(datetime(2026, 3, 2, 8, 15, tzinfo=UTC))
    mail["Message-ID"] = message_id or f"<mail-{seed}@example.be>"
    if html:
        mail.set_content(f"{letter.paragraphs[0]}\n")
        mail.add_alternative(f"<html><head><style>p {{color: red}}</style></head><body><p>{letter.paragraphs[0]}</p>"
                             f"<script>alert('x')</script><p>Cordialement, <b>{letter.sender}</b></p></body></html>",
                             subtype="html")
    else:
        mail.set_content(letter.text)
    if attachment is not None:
        name, data, ctype = attachment
        maintype, _, subtype = ctype.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(mail)


def pdf_bytes(tmp_path: Path, seed: int) -> bytes:
    return samples.write_pdf(samples.letter_text(seed), tmp_path / f"annexe-{seed}.pdf").read_bytes()


# --- parsing ---------------------------------------------------------------------------------------------------


def test_parse_message_reads_headers_body_and_attachments(tmp_path):
    letter = samples.letter_text(1)
    parsed = parse_message(message(1, attachment=("plan.pdf", pdf_bytes(tmp_path, 2), "application/pdf")))
    assert parsed.message_id == "mail-1@example.be"
    assert parsed.subject == letter.subject
    assert (parsed.sender_name, parsed.sender_address) == (letter.sender, letter.sender_email)
    assert parsed.recipients == ("courrier@commune.example.be",)
    assert parsed.date == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert letter.paragraphs[0] in parsed.body
    assert [(a.name, a.content_type) for a in parsed.attachments] == [("plan.pdf", "application/pdf")]
    assert parsed.attachments[0].data.startswith(b"%PDF")

    html_only = EmailMessage()
    html_only["From"] = "a@example.be"
    html_only["Subject"] = "Réunion"
    html_only.set_content("<html><body><h1>Ordre du jour</h1><p>Budget <i>2026</i></p>"
                          "<script>var x = 1;</script></body></html>", subtype="html")
    body = parse_message(bytes(html_only)).body
    assert body == "Ordre du jour\nBudget 2026"
    assert parse_message(message(3, html=True)).body.count(samples.letter_text(3).paragraphs[0]) == 1  # no HTML twin


@pytest.mark.parametrize("data, reason", [
    (b"", "empty message"),
    (b"   \r\n", "empty message"),
    (b"just some text without any header\n", "not an e-mail message"),
    (b"X-Only: header\r\n\r\nbody", "not an e-mail message"),
])
def test_parse_message_refuses_what_is_not_a_message(data, reason):
    with pytest.raises(MessageError) as caught:
        parse_message(data)
    assert caught.value.message.startswith(reason)
    assert caught.value.status == 400


def test_parse_message_never_raises_anything_but_message_error():
    nasty = [
        b"From: =?utf-8?q?=ZZ?= <\x00@\xff>\r\nSubject: =?x-unknown?b?AAAA?=\r\nDate: 99 Foo 12345 99:99\r\n\r\n",
        b"From: a@b\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; "
        b"charset=x-nonexistent\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n--b--\r\n",
        b"From: a@b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" + b"--x\r\nContent-Type: multipart/mixed;"
        b" boundary=x\r\n\r\n" * 400,
        b"From: a@b\r\nMessage-ID: <" + b"x" * 5000 + b">\r\nSubject: " + b"\xe9" * 3000 + b"\r\n\r\nok",
        bytes(range(256)) * 4,
    ]
    for data in nasty:
        try:
            parsed = parse_message(data)
        except MessageError:
            continue
        assert len(parsed.subject) <= 500 and len(parsed.message_id) <= 500


# --- files ------------------------------------------------------------------------------------------------------


def test_eml_file_is_one_record_with_body_attachments_and_matched_sender(runtime, tmp_path):
    tenant, principal = clerk(runtime)
    letter = samples.letter_text(4)
    with unit_of_work(runtime.backends.engine) as session:
        contact = contacts.create(session, tenant.tenant_id, None, "person", {
            "first_name": letter.sender.split()[0], "last_name": letter.surname,
            "email": letter.sender_email.upper()})
    annex = samples.letter_text(5)
    eml = tmp_path / "courriel.eml"
    eml.write_bytes(message(4, attachment=("annexe.pdf", pdf_bytes(tmp_path, 5), "application/pdf")))

    (outcome,) = ingest_path(runtime, principal, eml, Intake(original_name=eml.name))

    assert outcome.kind == "imported"
    with unit_of_work(runtime.backends.engine, write=False) as session:
        record = session.get(Record, outcome.record_id)
        files = session.exec(select(File).where(File.record_id == record.id).order_by(File.created_at)).all()
        assert record.subject == letter.subject
        assert record.sender_id == contact.id
        assert record.sent_at == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
        assert (record.mail_type, record.send_modes) == ("courriel", ["email"])
        assert record.description.startswith(f"Courriel de {letter.sender} <{letter.sender_email}>")
        assert [(f.original_name, f.mime) for f in files] == [(f"{letter.subject}.eml", "message/rfc822"),
                                                               ("annexe.pdf", "application/pdf")]
        assert files[0].sha256 == __import__("hashlib").sha256(eml.read_bytes()).hexdigest()
        assert annex.surname in files[1].text
    assert outcome.record_id in search_ids(runtime, tenant.tenant_id, letter.paragraphs[0].split()[-1])
    assert outcome.record_id in search_ids(runtime, tenant.tenant_id, f"{annex.surname} {annex.keyword}")

    # the same message again, even re-encoded by another client (new bytes, same Message-ID): refused
    with pytest.raises(Duplicate) as caught:
        ingest_path(runtime, principal, eml, Intake(original_name=eml.name))
    assert caught.value.message == f"message mail-4@example.be already registered as {outcome.reference}"
    with pytest.raises(Duplicate):
        ingest_message(runtime, principal, b"X-Forwarded-By: relay\r\n" + eml.read_bytes())


def test_mbox_registers_every_message(runtime, tmp_path):
    tenant, principal = clerk(runtime)
    box_path = tmp_path / "export.mbox"
    box = mailbox.mbox(str(box_path))
    for data in (message(6), message(7, html=True), message(6), b"From: x@example.be\r\nSubject: vide\r\n\r\n",
                 message(8, attachment=("outil.pdf", Path("/bin/true").read_bytes(), "application/pdf"))):
        box.add(mailbox.mboxMessage(data))
    box.close()

    outcomes = ingest_path(runtime, principal, box_path, Intake(original_name=box_path.name))

    assert [(o.name, o.kind) for o in outcomes] == [
        ("export.mbox#1", "imported"), ("export.mbox#2", "imported"), ("export.mbox#3", "duplicate"),
        ("export.mbox#4", "imported"), ("export.mbox#5", "refused")]
    assert outcomes[2].reason == f"message mail-6@example.be already registered as {outcomes[0].reference}"
    assert outcomes[4].reason.startswith("attachment 'outil.pdf' refused: Type de fichier refusé : application/x-")
    assert "programme exécutable" in outcomes[4].reason
    with unit_of_work(runtime.backends.engine, write=False) as session:
        assert session.get(Record, outcomes[3].record_id).subject == "vide"


# --- IMAP -------------------------------------------------------------------------------------------------------


def test_imap_fetch_registers_new_messages_then_flags_them(runtime, tmp_path):
    tenant, principal = clerk(runtime)
    target = imap_folder()
    imap_append(target, message(9, attachment=("annexe.pdf", pdf_bytes(tmp_path, 10), "application/pdf")))
    imap_append(target, message(11, html=True))
    imap_append(target, message(12, attachment=("facture.pdf", Path("/bin/true").read_bytes(), "application/pdf")))

    report = fetch_mailbox(runtime, principal, target)

    assert [o.kind for o in report.outcomes] == ["imported", "imported", "refused"]
    assert report.summary() == "imported 2, duplicates 0, refused 1"
    assert report.outcomes[2].reason.startswith("attachment 'facture.pdf' refused: Type de fichier refusé")
    flags = imap_flags(target)
    assert {"\\Seen", REGISTERED} <= flags[0] and {"\\Seen", REGISTERED} <= flags[1]
    assert {"\\Flagged", REFUSED} <= flags[2] and "\\Seen" not in flags[2]  # left for a person to look at
    with unit_of_work(runtime.backends.engine, write=False) as session:
        first = session.get(Record, report.outcomes[0].record_id)
        assert first.subject == samples.letter_text(9).subject
        assert len(session.exec(select(File).where(File.record_id == first.id)).all()) == 2

    # nothing new: a second fetch takes nothing
    assert fetch_mailbox(runtime, principal, target).outcomes == []

    # a crash after the commit and before the flag: the message is met again and is only a duplicate
    crashed = message(13)
    imap_append(target, crashed)
    registered = ingest_message(runtime, principal, crashed)  # committed, never flagged
    again = fetch_mailbox(runtime, principal, target, move_to=f"{target.folder}.done")
    assert [(o.kind, o.reference) for o in again.outcomes] == [("duplicate", registered.record.reference)]
    assert imap_count(target) == 3 and imap_count(target, f"{target.folder}.done") == 1


def test_imap_errors_are_one_clear_line(runtime):
    tenant, principal = clerk(runtime)
    base = parse_imap_url(IMAP_URL)
    wrong = parse_imap_url(f"imap://{base.user}:wrong-password@{base.host}:{base.port}/INBOX")
    with pytest.raises(Exception) as caught:
        fetch_mailbox(runtime, principal, wrong)
    assert caught.value.message.startswith(f"IMAP login refused for {base.user}@{base.host}")
    with pytest.raises(Exception) as caught:
        fetch_mailbox(runtime, principal, parse_imap_url("imap://u:p@127.0.0.1:1/INBOX"))
    assert caught.value.status == 503
    with pytest.raises(Exception) as caught:
        parse_imap_url("http://example.be")
    assert caught.value.status == 400


@pytest.mark.parametrize("runtime", ["embedded"], indirect=True)
def test_cli_mail_fetch(runtime, tmp_path):
    tenant, principal = clerk(runtime)
    target = imap_folder()
    imap_append(target, message(14))
    before = tenant_state(runtime, tenant.tenant_id)
    env = {**os.environ, "DMS_DATA_DIR": str(runtime.settings.data_dir), "DMS_SEARCH_URL": "embedded",
           "DMS_TIKA_URL": "embedded", "DMS_IMAP_URL": f"{IMAP_URL.rsplit('/', 1)[0]}/{target.folder}"}
    env.pop("DMS_DATABASE_URL", None)
    env.pop("DMS_BLOB_URL", None)
    done = subprocess.run([DMS, "mail", "fetch", "--tenant", tenant.slug], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    reference, record_id, name = done.stdout.strip().split("\t")
    assert name == f"{target.folder} UID 1" and reference.startswith("E/")
    assert done.stderr.strip().endswith("imported 1, duplicates 0, refused 0")
    assert tenant_state(runtime, tenant.tenant_id)["records"] == before["records"] + 1
    env.pop("DMS_IMAP_URL")
    missing = subprocess.run([DMS, "mail", "fetch", "--tenant", tenant.slug], env=env, capture_output=True, text=True)
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("dms: error: no IMAP mailbox: pass --url")


def test_imap_message_over_the_limit_is_refused_without_download(tmp_path):
    runtime = embedded_runtime_for(embedded_settings_for(tmp_path, max_upload_bytes=1000))
    tenant, principal = clerk(runtime)
    target = imap_folder()
    imap_append(target, message(15))  # a whole letter: over 1,000 bytes
    before = tenant_state(runtime, tenant.tenant_id)
    report = fetch_mailbox(runtime, principal, target)
    assert [(o.kind, o.reason) for o in report.outcomes] == [("refused", "message larger than the limit of 1000 bytes")]
    assert {"\\Flagged", REFUSED} <= imap_flags(target)[0]
    assert tenant_state(runtime, tenant.tenant_id) == before
