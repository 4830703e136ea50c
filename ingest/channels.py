"""Which intake a file dropped by a clerk or a scanner goes through: an e-mail (.eml) or a mailbox (.mbox)
becomes one record per message, a PDF with separator or scan-id sheets is split into its documents, and
anything else is one document of the one pipeline. The type comes from the bytes, never from the name."""

from __future__ import annotations

import re
from pathlib import Path

from dms.accounts import Principal
from ingest import detect
from ingest.names import check_plain_name
from ingest.outcomes import Outcome
from ingest.pipeline import Intake, ingest_file
from ingest.runtime import Runtime


def ingest_path(runtime: Runtime, principal: Principal, path: Path, intake: Intake, *,
                barcodes: bool = True) -> list[Outcome]:
    """The outcomes of one file. A single document raises as ``ingest_file`` does (``Duplicate``, another
    ``DmsError``); a composite file (mbox, scan batch) gives one outcome per message or document and raises
    only for the file as a whole (not readable at all, or a backend outage)."""
    name = intake.original_name or path.name
    check_plain_name(name)
    size = path.stat().st_size
    if 0 < size <= runtime.settings.max_upload_bytes:
        mime = detect.detect_mime(path)
        if (mime.startswith("text/") or mime == "message/rfc822") and looks_like_mbox(path):
            mime = "application/mbox"
        if mime in ("message/rfc822", "application/mbox"):
            from ingest import email_messages

            if mime == "application/mbox":
                return email_messages.ingest_mbox(runtime, principal, path, intake)
            return email_messages.ingest_eml(runtime, principal, path, intake)
        if mime == "application/pdf" and barcodes:
            from ingest.scan_batches import ingest_batch

            parts = ingest_batch(runtime, principal, path, intake)
            if parts is not None:
                return parts
    done = ingest_file(runtime, principal, path, intake)
    return [Outcome(name, "imported", reference=done.record.reference, record_id=done.record.id)]


_FROM_LINE = re.compile(rb"^From \S+ .*\d\d:\d\d(:\d\d)? .*\d{4}\r?$")
_HEADER = re.compile(rb"^[!-9;-~]+:")


def looks_like_mbox(path: Path) -> bool:
    """libmagic calls an mbox text (plain, or HTML when a message has an HTML part): an mbox starts with a
    ``From sender date`` line followed by a header line."""
    with path.open("rb") as handle:
        head = handle.read(4096).splitlines()
    return len(head) > 1 and bool(_FROM_LINE.match(head[0])) and bool(_HEADER.match(head[1]))
