"""Hostile intake through the scanner's watched folder: an e-mail carrying a zip bomb, a sidecar with an external
entity, an executable dressed as a PDF, file names that climb directories. Each is refused with a reason the
clerk can read (in .refused/NAME.reason.txt) and leaves nothing: no row, no blob, no job, no audit event, no
index entry."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

from dms.accounts import Principal
from dms.models import Role
from ingest import samples
from ingest.watch import REASON_SUFFIX, REFUSED, FolderWatcher
from tests.conftest import make_tenant
from tests.intake_helpers import search_ids, tenant_state


def zip_bomb_docx() -> bytes:
    """A .docx that would unpack to 40 MB of zeros from a few dozen kilobytes (ratio far above 100)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        package.writestr("word/document.xml", b"\0" * (40 * 1024 * 1024))
    return out.getvalue()


def mail_with(name: str, data: bytes, ctype: str, word: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Inconnu <inconnu@example.net>"
    mail["To"] = "courrier@commune.example.be"
    mail["Subject"] = f"Facture {word}"
    mail["Message-ID"] = f"<{word}@example.net>"
    mail.set_content(f"Veuillez trouver ci-joint la facture {word}.")
    maintype, _, subtype = ctype.partition("/")
    mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(mail)


XXE_SIDECAR = b"""<?xml version="1.0"?>
<!DOCTYPE metadata [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&secret;</dc:title></metadata>
"""


def test_hostile_files_are_refused_and_leave_nothing(runtime, tmp_path):
    tenant = make_tenant(runtime)
    principal = Principal(user_id=None, email="scanner", role=Role.clerk, tenant_id=tenant.tenant_id)
    folder = tmp_path / "scanner"
    folder.mkdir()
    letter = samples.letter_text(41)
    (folder / "bombe.eml").write_bytes(mail_with("rapport.docx", zip_bomb_docx(), "application/vnd.openxmlformats-"
                                                 "officedocument.wordprocessingml.document", "zorglub"))
    samples.write_pdf(letter, folder / "scan.pdf")
    (folder / "scan.pdf.xml").write_bytes(XXE_SIDECAR)
    (folder / "facture.pdf").write_bytes(Path("/bin/true").read_bytes())
    (folder / "chemin.eml").write_bytes(mail_with("../../etc/cron.d/facture.pdf", samples.write_pdf(
        samples.letter_text(42), tmp_path / "x.pdf").read_bytes(), "application/pdf", "klaatu"))
    (folder / "scans\\..\\..\\evasion.pdf").write_bytes(samples.write_pdf(samples.letter_text(43), tmp_path / "y.pdf")
                                                 .read_bytes())
    before = tenant_state(runtime, tenant.tenant_id)

    watcher = FolderWatcher(runtime, principal, folder, stable_polls=1)
    outcomes = watcher.poll()

    reasons = {o.name: o.reason for o in outcomes}
    assert {o.kind for o in outcomes} == {"refused"} and len(outcomes) == 5
    assert reasons["bombe.eml"] == (
        "attachment 'rapport.docx' refused: Type de fichier refusé : application/zip (paquet compressé suspect : "
        "il se décompresserait démesurément).")
    assert reasons["scan.pdf"].startswith("sidecar refused:") and "entit" in reasons["scan.pdf"].lower()
    assert reasons["facture.pdf"].startswith("Type de fichier refusé : application/x-")
    assert reasons["facture.pdf"].endswith("(programme exécutable).")
    assert reasons["chemin.eml"] == ("attachment name refused: \"../../etc/cron.d/facture.pdf\" contains a path "
                                     "(/, \\ or ..); rename the file")
    assert reasons["scans\\..\\..\\evasion.pdf"] == (
        "file name refused: \"scans\\..\\..\\evasion.pdf\" contains a path (/, \\ or ..); rename the file")
    assert tenant_state(runtime, tenant.tenant_id) == before  # no row, no blob, no job, no audit event
    for word in ("zorglub", "klaatu", letter.surname, "facture"):
        assert search_ids(runtime, tenant.tenant_id, word) == []
    refused = folder / REFUSED
    assert sorted(p.name for p in refused.iterdir() if not p.name.endswith(REASON_SUFFIX)) == sorted(
        ["bombe.eml", "scan.pdf", "scan.pdf.xml", "facture.pdf", "chemin.eml", "scans\\..\\..\\evasion.pdf"])
    assert (refused / f"bombe.eml{REASON_SUFFIX}").read_text(encoding="utf-8") == \
        f"bombe.eml: refused: {reasons['bombe.eml']}\n"
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "evasion.pdf").exists()
