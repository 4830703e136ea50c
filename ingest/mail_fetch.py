"""A commune's registry mailbox over IMAP: each new message becomes a record (ingest/email_messages.py).

Order, so that nothing acknowledged is lost and nothing is registered twice:

1. ``UID SEARCH`` for messages that carry neither the ``DmsRegistered`` nor the ``DmsRefused`` keyword (so
   a message a person opened in a mail client is still taken; ``\\Seen`` alone would miss it);
2. ``UID FETCH … BODY.PEEK[]`` (PEEK: fetching does not mark it read);
3. register it, which commits;
4. only then flag it ``\\Seen DmsRegistered`` (and, with ``move_to``, move it to that folder).

A crash between 3 and 4 leaves the message unflagged: the next fetch takes it again and the Message-ID
dedupe reports it as a duplicate of the record already made, which is then flagged. A refused message
(an executable attachment, a zip bomb) is flagged ``\\Flagged DmsRefused`` and left where it is, with the
reason in the report, for a person to deal with. A database or blob-store outage stops the fetch and
flags nothing: the message is taken at the next fetch.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from dms.accounts import Principal
from dms.errors import BackendUnavailable, BadInput, DmsError, Duplicate
from ingest.email_messages import ingest_message, message_limit
from ingest.outcomes import Outcome
from ingest.pipeline import Intake
from ingest.runtime import Runtime

log = logging.getLogger(__name__)

REGISTERED = "DmsRegistered"
REFUSED = "DmsRefused"
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    tls: bool = False

    @property
    def label(self) -> str:
        """Where the mail came from, for the record's bookkeeping: never the password."""
        return f"imap{'s' if self.tls else ''}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str, folder: str | None = None) -> ImapTarget:
    """``imap://user:password@host:port/FOLDER`` (or ``imaps://`` for TLS); user and password URL-encoded."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise BadInput("IMAP URL must look like imap://user:password@host:1143/INBOX (or imaps://)")
    if not parts.username:
        raise BadInput("IMAP URL names no user")
    tls = parts.scheme == "imaps"
    try:
        port = parts.port or (993 if tls else 143)
    except ValueError as exc:
        raise BadInput(f"IMAP URL: {exc}") from None
    return ImapTarget(host=parts.hostname, port=port, user=unquote(parts.username),
                      password=unquote(parts.password or ""),
                      folder=folder or unquote(parts.path.lstrip("/")) or "INBOX", tls=tls)


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class FetchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str = ""  # why the fetch stopped before the end (an outage), "" when it went through

    def count(self, kind: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind)

    def summary(self) -> str:
        text = (f"imported {self.count('imported')}, duplicates {self.count('duplicate')}, "
                f"refused {self.count('refused')}")
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


def connect(target: ImapTarget) -> imaplib.IMAP4:
    try:
        if target.tls:
            client = imaplib.IMAP4_SSL(target.host, target.port, ssl_context=ssl.create_default_context(),
                                       timeout=TIMEOUT_S)
        else:
            client = imaplib.IMAP4(target.host, target.port, timeout=TIMEOUT_S)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise BackendUnavailable(f"IMAP server {target.host}:{target.port} unavailable: {exc}") from exc
    try:
        client.login(target.user, target.password)
    except imaplib.IMAP4.error as exc:
        _close(client)
        raise DmsError(f"IMAP login refused for {target.user}@{target.host}: {_text(exc)}") from exc
    return client


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Exception) and value.args:
        return _text(value.args[0])
    return str(value)


def _close(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _check(result: tuple[str, list], what: str) -> list:
    status, data = result
    if status != "OK":
        raise DmsError(f"IMAP {what} failed: {_text(data[0]) if data else status}")
    return data


def fetch_mailbox(runtime: Runtime, principal: Principal, target: ImapTarget, *, intake: Intake | None = None,
                  move_to: str | None = None, limit: int | None = None,
                  on_outcome: Callable[[Outcome], None] | None = None) -> FetchReport:
    """The service function behind ``dms mail fetch``: register every new message of the folder."""
    report = FetchReport()
    client = connect(target)
    try:
        _check(client.select(_quote(target.folder)), f"SELECT {target.folder}")
        data = _check(client.uid("SEARCH", None, "UNKEYWORD", REGISTERED, "UNKEYWORD", REFUSED), "SEARCH")
        uids = [uid.decode() for uid in (data[0] or b"").split()]
        if limit is not None:
            uids = uids[:limit]
        can_move = False
        if move_to and uids:
            client.create(_quote(move_to))  # answers NO when it exists already: that is fine
            can_move = "MOVE" in _capabilities(client)
        for uid in uids:
            outcome = _take(runtime, principal, client, target, uid, intake, move_to, can_move)
            if outcome.kind == "retry":
                report.stopped = outcome.reason
                break
            report.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
        if move_to:
            client.expunge()
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise BackendUnavailable(f"IMAP connection to {target.host}:{target.port} lost: {exc}") from exc
    finally:
        _close(client)
    return report


def _take(runtime: Runtime, principal: Principal, client: imaplib.IMAP4, target: ImapTarget, uid: str,
          intake: Intake | None, move_to: str | None, can_move: bool) -> Outcome:
    name = f"{target.folder} UID {uid}"
    limit = message_limit(runtime.settings.max_upload_bytes)
    sizes = _check(client.uid("FETCH", uid, "(RFC822.SIZE)"), f"FETCH {uid}")
    found = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(i if isinstance(i, bytes) else i[0] for i in sizes if i))
    if found and int(found.group(1)) > limit:  # not even downloaded
        _check(client.uid("STORE", uid, "+FLAGS", f"(\\Flagged {REFUSED})"), f"STORE {uid}")
        return Outcome(name, "refused", reason=f"message larger than the limit of {limit} bytes")
    data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}")
    raw = next((item[1] for item in data if isinstance(item, tuple) and len(item) > 1), None)
    if raw is None:  # expunged by someone else meanwhile
        return Outcome(name, "skipped", reason="message gone")
    try:
        done = ingest_message(runtime, principal, raw, intake, source=target.label)
    except BackendUnavailable as exc:
        return Outcome(name, "retry", reason=exc.message)
    except Duplicate as exc:
        outcome = Outcome(name, "duplicate", reason=exc.message,
                          reference=str(exc.extra.get("duplicate_of", {}).get("reference") or "") or None)
    except DmsError as exc:
        _check(client.uid("STORE", uid, "+FLAGS", f"(\\Flagged {REFUSED})"), f"STORE {uid}")
        return Outcome(name, "refused", reason=exc.message)
    else:
        outcome = Outcome(name, "imported", reference=done.record.reference, record_id=done.record.id)
    # committed (or already there): now, and only now, acknowledge it in the mailbox
    _check(client.uid("STORE", uid, "+FLAGS", f"(\\Seen {REGISTERED})"), f"STORE {uid}")
    if move_to:
        if can_move:
            _check(client.uid("MOVE", uid, _quote(move_to)), f"MOVE {uid}")
        else:
            _check(client.uid("COPY", uid, _quote(move_to)), f"COPY {uid}")
            _check(client.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), f"STORE {uid}")
    return outcome


def _capabilities(client: imaplib.IMAP4) -> set[str]:
    """What the server offers once logged in (imaplib keeps only the list it got before the login)."""
    status, data = client.capability()
    text = _text(data[0]) if status == "OK" and data else ""
    return {word.upper() for word in text.split()}
