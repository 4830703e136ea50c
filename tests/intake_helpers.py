"""What the intake tests share: scanner-like batches (image-only pages, sheets printed then "scanned"), and
a private folder of the test IMAP mailbox (Debian's dovecot, started by scripts/services.sh)."""

from __future__ import annotations

import imaplib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from dms.db import unit_of_work
from dms.searching import search_records
from ingest import samples
from ingest.mail_fetch import ImapTarget, parse_imap_url
from tests.conftest import IMAP_URL

SCAN_DPI = 100  # low, so that OCR stays quick on a shared machine; Tesseract still reads 12 pt text


def letter_page(letter: samples.SampleLetter, dpi: int = SCAN_DPI, marker: str = ""):
    """A scanned slip of a letter (7 x 1.6 inches, two lines in 16 pt: sender and commune, subject keyword):
    small, so that Tesseract reads it in a fraction of the time of a full page on a busy machine, and large
    enough at 100 dpi to be read without error."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (round(7 * dpi), round(1.6 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font = samples._font(round(16 * dpi / 72))
    y = round(0.25 * dpi)
    for line in (f"{letter.sender} - {letter.commune}", f"Objet : {letter.keyword} {marker}".strip()):
        draw.text((round(0.3 * dpi), y), line, fill=0, font=font)
        y += round(24 * dpi / 72)
    return image


def sheet_page(pdf: bytes, dpi: int = SCAN_DPI):
    """A printed sheet (separator or scan sheet) as the scanner gives it back: a greyscale image."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def write_scan(path: Path, pages: list, created: datetime | None = None, dpi: int = SCAN_DPI) -> Path:
    """An image-only multi-page PDF, as a scanner without OCR writes it (with its creation date)."""
    stamp = created.astimezone(UTC).timetuple() if created else None  # Pillow writes a struct_time as UTC
    extra = {"creationDate": stamp, "modDate": stamp} if stamp else {}
    pages[0].save(path, format="PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), **extra)
    return path


def imap_folder() -> ImapTarget:
    """A new, empty folder of the test mailbox, so that every test (and every rerun) reads only its own mail."""
    base = parse_imap_url(IMAP_URL)
    folder = f"dms-test-{uuid.uuid4().hex[:10]}"
    with imaplib.IMAP4(base.host, base.port, timeout=30) as client:
        client.login(base.user, base.password)
        status, data = client.create(folder)
        assert status == "OK", data
    return ImapTarget(host=base.host, port=base.port, user=base.user, password=base.password, folder=folder)


def imap_append(target: ImapTarget, message: bytes) -> None:
    with imaplib.IMAP4(target.host, target.port, timeout=30) as client:
        client.login(target.user, target.password)
        status, data = client.append(target.folder, None, None, message)
        assert status == "OK", data


def imap_flags(target: ImapTarget) -> list[set[str]]:
    """The flags of each message of the folder, in order."""
    with imaplib.IMAP4(target.host, target.port, timeout=30) as client:
        client.login(target.user, target.password)
        client.select(target.folder)
        status, data = client.fetch("1:*", "(FLAGS)")
        if status != "OK" or data == [None]:
            return []
        flags = []
        for item in data:
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            inside = text[text.index("FLAGS (") + 7:]
            flags.append(set(inside[: inside.index(")")].split()))
        return flags


def imap_count(target: ImapTarget, folder: str | None = None) -> int:
    with imaplib.IMAP4(target.host, target.port, timeout=30) as client:
        client.login(target.user, target.password)
        status, data = client.select(folder or target.folder)
        assert status == "OK", data
        return int(data[0])


def search_ids(runtime, tenant_id: str, query: str, limit: int = 100) -> list[str]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        found = search_records(session, runtime.backends.search, tenant_id, query, limit=limit)
    return [hit["id"] for hit in found["hits"]]


def tenant_state(runtime, tenant_id: str) -> dict[str, object]:
    """Everything an intake can leave behind for a tenant: rows of each table, blobs, audit events."""
    from sqlmodel import func, select

    from dms.models import AuditEvent, File, Job, MailMessage, Record, RecordMetadataVersion

    counts: dict[str, object] = {}
    with unit_of_work(runtime.backends.engine, write=False) as session:
        for model in (Record, File, Job, MailMessage, RecordMetadataVersion, AuditEvent):
            counts[model.__tablename__] = session.exec(
                select(func.count()).select_from(model).where(model.tenant_id == tenant_id)).one()
    counts["blobs"] = sorted(runtime.backends.blobs.keys(tenant_id))
    return counts
