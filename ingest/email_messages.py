"""E-mail intake: one record per message, with the message itself (.eml), its body as the record's text and
each attachment as a file of the record, all checked like any other file before anything is stored.

* :func:`parse_message` turns the bytes of one message (RFC 5322, what a .eml file or an IMAP fetch holds)
  into a :class:`ParsedMessage`, or raises :class:`MessageError` (a ``BadInput``, 400) with the reason. It
  never raises anything else on any input (the stdlib parser raises assorted exceptions on malformed
  headers; they are turned into ``MessageError``), and bounds the work: size, number of parts, nesting.
* :func:`ingest_message` registers it: every attachment through the intake checks (size, type from the
  bytes, allow list, zip-bomb refusal). One refused attachment refuses the whole message, with the
  attachment's name and reason, and nothing is stored: no blob, no row, no job.
* The sender's address is matched to an active contact of the commune (case-insensitively); Subject is the
  record's subject, Date its date of the mail (``sent_at``), the mail type ``courriel`` and the send mode
  ``email``.
* **Never twice**: the Message-ID (or, without one, the message's SHA-256) is kept in ``mail_messages``
  (unique per commune) in the registration transaction. A message met again (an IMAP fetch after a crash
  between the commit and the \\Seen flag, an .mbox imported twice) is a ``Duplicate`` naming the record.
"""

from __future__ import annotations

import hashlib
import mailbox
import mimetypes
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dms import records, register_types
from dms.accounts import Principal
from dms.blobs import BlobTooLarge, BlobUnavailable
from dms.db import unit_of_work
from dms.errors import BackendUnavailable, BadInput, DmsError, Duplicate, TooLarge, UnsupportedType
from dms.models import Contact, MailMessage, TextStatus
from dms.permissions import Action, require
from ingest import detect, ocr
from ingest.names import check_plain_name
from ingest.outcomes import Outcome
from ingest.pipeline import Intake, _extract_inline, run_jobs_now, sha256_of
from ingest.runtime import Runtime

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_PARTS = 500
MAX_ATTACHMENTS = 100
MAX_DEPTH = 16
MAX_DESCRIPTION = 4000
MESSAGE_TYPE = "courriel"


class MessageError(BadInput):
    """The bytes are not an e-mail message we can register (the reason is in the message)."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str  # without the angle brackets; "" when the message has none
    key: str  # SHA-256 of the Message-ID (or of the raw bytes when there is none): the dedupe key
    subject: str
    sender_name: str
    sender_address: str  # lowercased; "" when there is no usable From
    recipients: tuple[str, ...]
    date: datetime | None  # Date:, in UTC
    body: str  # text/plain, else text/html turned into text
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    size: int = 0


def parse_message(data: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> ParsedMessage:
    """The parts of one e-mail that a registration needs; ``MessageError`` when ``data`` is not one."""
    if not isinstance(data, bytes | bytearray):
        raise MessageError("a message is bytes")
    if not data.strip():
        raise MessageError("empty message")
    if len(data) > max_bytes:
        raise MessageError(f"message larger than the limit of {max_bytes} bytes")
    try:
        return _parse(bytes(data))
    except MessageError:
        raise
    except Exception as exc:  # noqa: BLE001 - the stdlib parser's IndexError, AttributeError, RecursionError…
        raise MessageError(f"malformed message: {type(exc).__name__}: {exc}"[:300]) from exc


def _parse(data: bytes) -> ParsedMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    names = {name.lower() for name in message.keys()}
    if not names & {"from", "subject", "message-id", "date"}:
        raise MessageError("not an e-mail message: no From, Subject, Date or Message-ID header")
    message_id = _header(message, "message-id").strip().strip("<>").strip()
    key_source = f"mid:{message_id}" if message_id else "raw:" + hashlib.sha256(data).hexdigest()
    sender_name, sender_address = parseaddr(_header(message, "from"))
    recipients = tuple(
        address.lower() for _name, address in getaddresses([_header(message, "to"), _header(message, "cc")])
        if "@" in address
    )
    body_part = _body_part(message)
    body = _text_of(body_part) if body_part is not None else ""
    attachments = tuple(_attachments(message, body_part))
    return ParsedMessage(
        message_id=message_id[:500],
        key=hashlib.sha256(key_source.encode("utf-8", "surrogateescape")).hexdigest(),
        subject=" ".join(_header(message, "subject").split())[:records.MAX_SUBJECT],
        sender_name=" ".join(sender_name.split())[:200],
        sender_address=sender_address.strip().lower() if "@" in sender_address else "",
        recipients=recipients,
        date=_date(_header(message, "date")),
        body=body.strip(),
        attachments=attachments,
        size=len(data),
    )


def _header(message: EmailMessage, name: str) -> str:
    """A header's decoded text; a header the parser cannot decode gives its raw text, never an error."""
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - malformed encoded words, bad address syntax
        raw = next((v for k, v in message.raw_items() if k.lower() == name), "")
        return str(raw).encode("ascii", "replace").decode("ascii")


def _date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or not 1970 <= when.year <= 2200:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _body_part(message: EmailMessage) -> EmailMessage | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001
        return None


def _text_of(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except Exception:  # noqa: BLE001 - unknown charset, broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else ""
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text


_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote",
           "pre", "hr", "section", "article", "header", "footer"}


def html_to_text(markup: str) -> str:
    """The readable text of an HTML body: scripts, styles and the head dropped, one line per block."""
    from lxml import etree, html

    if not markup.strip():
        return ""
    parser = html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError):
        return ""
    for element in list(root.iter("script", "style", "head", "title", "noscript")):
        if element.getparent() is not None:
            element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _leaves(part: EmailMessage, depth: int, counter: list[int]) -> Iterator[EmailMessage]:
    counter[0] += 1
    if counter[0] > MAX_PARTS:
        raise MessageError(f"message with more than {MAX_PARTS} parts")
    if depth > MAX_DEPTH:
        raise MessageError(f"message nested more than {MAX_DEPTH} levels deep")
    if part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            yield from _leaves(sub, depth + 1, counter)
    else:
        yield part


def _attachments(message: EmailMessage, body_part: EmailMessage | None) -> Iterator[Attachment]:
    count = 0
    for index, part in enumerate(_leaves(message, 0, [0]), start=1):
        if part is body_part:
            continue
        try:
            filename = part.get_filename()
        except Exception:  # noqa: BLE001
            filename = None
        disposition = (part.get_content_disposition() or "").lower()
        content_type = part.get_content_type()
        if content_type.startswith("text/") and not filename and disposition != "attachment":
            continue  # the other alternative of the body, or an inline text part: the body says it already
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes(policy=policy.default) if hasattr(inner, "as_bytes") else b""
            if data and not filename:
                filename = f"{_header(inner, 'subject') or 'message'}.eml"
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        if not data:
            continue  # an empty attachment holds nothing to register
        count += 1
        if count > MAX_ATTACHMENTS:
            raise MessageError(f"message with more than {MAX_ATTACHMENTS} attachments")
        if not filename:
            filename = f"piece-jointe-{index}{mimetypes.guess_extension(content_type) or '.bin'}"
        try:
            check_plain_name(filename, "attachment name")
        except BadInput as exc:
            raise MessageError(exc.message) from None
        yield Attachment(name=detect.safe_filename(filename), content_type=content_type, data=data)


# --- registration ------------------------------------------------------------------------------------------


def find_registered(session: Session, tenant_id: str, key: str) -> MailMessage | None:
    return session.exec(select(MailMessage).where(MailMessage.tenant_id == tenant_id, MailMessage.key == key)).first()


def match_sender(session: Session, tenant_id: str, address: str) -> Contact | None:
    """The active contact with this e-mail address (a position or person before an organisation)."""
    if not address:
        return None
    found = list(session.exec(
        select(Contact).where(Contact.tenant_id == tenant_id, Contact.active == True,  # noqa: E712
                              func.lower(Contact.email) == address.lower()).order_by(Contact.created_at)
    ))
    order = {"position": 0, "person": 1, "organisation": 2}
    return min(found, key=lambda row: order.get(row.kind, 3)) if found else None


def _duplicate(session: Session, row: MailMessage) -> Duplicate:
    record = records.get(session, row.tenant_id, row.record_id)
    return Duplicate(f"message {row.message_id or '(no Message-ID)'} already registered as {record.reference}",
                     duplicate_of={"id": record.id, "reference": record.reference})


def message_file_name(parsed: ParsedMessage) -> str:
    return detect.safe_filename(f"{(parsed.subject or 'courriel')[:120]}.eml")


def ingest_message(runtime: Runtime, principal: Principal, data: bytes, intake: Intake | None = None, *,
                   source: str = "file") -> records.Registered:
    """Register one e-mail: checks, blobs, then one transaction (record, files, dedupe row, audit, jobs)."""
    tenant_id = require(principal, Action.record_create)
    settings = runtime.settings
    engine = runtime.backends.engine
    intake = intake or Intake(original_name="")
    parsed = parse_message(data, max_bytes=message_limit(settings.max_upload_bytes))
    with unit_of_work(engine, write=False) as session:
        seen = find_registered(session, tenant_id, parsed.key)
        if seen is not None:
            raise _duplicate(session, seen)
    spool = settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mail-", dir=spool))
    try:
        message_path = work / "message.eml"
        message_path.write_bytes(data)
        staged = [(message_file_name(parsed), message_path, "message/rfc822")]
        for index, attachment in enumerate(parsed.attachments, start=1):
            path = work / f"attachment-{index}"
            path.write_bytes(attachment.data)
            if len(attachment.data) > settings.max_upload_bytes:
                raise TooLarge(f"attachment {attachment.name!r} is larger than the limit of "
                               f"{settings.max_upload_bytes} bytes")
            mime = detect.detect_mime(path)
            try:
                detect.check_allowed(mime)
            except detect.UnsupportedType as exc:
                raise UnsupportedType(f"attachment {attachment.name!r} refused: {exc}", mime=mime,
                                      attachment=attachment.name) from exc
            staged.append((attachment.name, path, mime))
        with unit_of_work(engine, write=False) as session:  # the register's own list of types, if it has one
            for position, (name, _path, mime) in enumerate(staged):
                try:
                    register_types.check(session, tenant_id, intake.register, mime)
                except UnsupportedType as exc:
                    what = f"attachment {name!r}" if position else "message"
                    raise UnsupportedType(f"{what} refused: {exc.message}", **exc.extra) from exc
        files = []
        for position, (name, path, mime) in enumerate(staged):
            if position == 0:  # the message itself: its text is the subject and body we parsed
                extraction, status = None, TextStatus.done
                text = "\n\n".join(part for part in (parsed.subject, parsed.body) if part)
            else:
                extraction, status = _extract_inline(runtime, path, mime)
                text = extraction.text if extraction else ""
            digest = sha256_of(path)
            try:
                with path.open("rb") as handle:
                    blob = runtime.backends.blobs.put(tenant_id, handle, sha256=digest,
                                                      max_bytes=settings.max_upload_bytes)
            except BlobUnavailable as exc:
                raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
            except BlobTooLarge as exc:
                raise TooLarge(str(exc)) from exc
            files.append(records.NewFile(blob=blob, mime=mime, original_name=name, text=text, text_status=status,
                                         pages=extraction.pages if extraction else None,
                                         ocr=extraction.ocr if extraction else False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        with unit_of_work(engine) as session:
            seen = find_registered(session, tenant_id, parsed.key)
            if seen is not None:
                raise _duplicate(session, seen)
            sender = match_sender(session, tenant_id, parsed.sender_address)
            mail: dict[str, object] = {"sent_at": parsed.date, "mail_type": MESSAGE_TYPE, "send_modes": ["email"]}
            if sender is not None:
                mail["sender_id"] = sender.id
            mail.update(intake.mail)
            description = intake.description or _description(parsed)
            new = records.NewRecord(
                register=intake.register, subject=intake.subject or parsed.subject or message_file_name(parsed),
                description=description, language=intake.language or "fr", received_at=intake.received_at,
                classification=intake.classification, keywords=list(intake.keywords), files=files,
                **mail,  # type: ignore[arg-type]
            )
            registered = records.register(session, tenant_id, principal.user_id, new,
                                          schema_dir=settings.seda_schema_dir)
            session.add(MailMessage(tenant_id=tenant_id, key=parsed.key, message_id=parsed.message_id,
                                    record_id=registered.record.id, source=source[:200]))
            session.flush()
            ocr.enqueue_pdfa(session, registered.files)
    except IntegrityError:  # the same message registered at the same moment by another fetch
        with unit_of_work(engine, write=False) as session:
            seen = find_registered(session, tenant_id, parsed.key)
            if seen is None:
                raise
            raise _duplicate(session, seen) from None
    run_jobs_now(runtime, registered.job_ids)
    return registered


def message_limit(max_upload_bytes: int) -> int:
    """A message is parsed in memory: at most 256 MiB, or the upload limit when that is smaller."""
    return min(max_upload_bytes, MAX_MESSAGE_BYTES)


def _description(parsed: ParsedMessage) -> str:
    sender = f"{parsed.sender_name} <{parsed.sender_address}>" if parsed.sender_name else parsed.sender_address
    head = f"Courriel de {sender}" if sender else "Courriel"
    body = parsed.body if len(parsed.body) <= MAX_DESCRIPTION else parsed.body[:MAX_DESCRIPTION] + "…"
    return f"{head}\n\n{body}" if body else head


def ingest_eml(runtime: Runtime, principal: Principal, path: Path, intake: Intake) -> list[Outcome]:
    """A .eml file: one message."""
    limit = message_limit(runtime.settings.max_upload_bytes)
    if path.stat().st_size > limit:
        raise TooLarge(f"message larger than the limit of {limit} bytes")
    name = intake.original_name or path.name
    done = ingest_message(runtime, principal, path.read_bytes(), intake, source="file")
    return [Outcome(name, "imported", reference=done.record.reference, record_id=done.record.id)]


def ingest_mbox(runtime: Runtime, principal: Principal, path: Path, intake: Intake) -> list[Outcome]:
    """An .mbox file: every message, each its own record (or duplicate, or refusal with its reason). A backend
    outage stops the whole file (taken again later: the messages already registered are then duplicates)."""
    name = intake.original_name or path.name
    box = mailbox.mbox(str(path), create=False)
    outcomes = []
    try:
        for index, key in enumerate(box.iterkeys(), start=1):
            label = f"{name}#{index}"
            try:
                data = box.get_bytes(key)
                done = ingest_message(runtime, principal, data, intake, source="file")
            except BackendUnavailable:
                raise
            except Duplicate as exc:
                outcomes.append(Outcome(label, "duplicate", reason=exc.message))
            except DmsError as exc:
                outcomes.append(Outcome(label, "refused", reason=exc.message))
            else:
                outcomes.append(Outcome(label, "imported", reference=done.record.reference,
                                        record_id=done.record.id))
    finally:
        box.close()
    if not outcomes:
        raise BadInput("mbox file holds no message")
    return outcomes
