"""The life of a mail item after registration: workflow transitions, notes and cancellation.

Incoming (and internal) mail: created → proposed_to_manager → proposed_to_agent → in_treatment → closed, with
the way back at each step, and a closed mail reopened (closed → in_treatment) by an admin only. Outgoing
mail: created → to_be_signed → signed → sent → closed, and to_be_signed → created. Closing an incoming mail
needs a sender, a treating service and a mail type (400 naming what is missing).

Who may act: clerks and admins on all of their tenant's mail; agents on the mail of their services only
(another service's record is missing to them, 404); archivists read. Every change is one transaction: the
row, a history row, a metadata version, an audit event (who, when, the comment) and a reindex job.
See docs/mail-registry.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from dms import jobs, record_metadata, records, tenant_services
from dms.accounts import Principal
from dms.audit import record_event
from dms.errors import BadInput, Conflict, Forbidden, NotFound
from dms.models import Record, RecordNote, RecordTransition, RegisterKind, Role
from dms.models.base import utcnow

MAX_COMMENT = 2000
MAX_NOTE = 10000
MAX_REASON = 500

ACTORS = frozenset({Role.clerk, Role.agent, Role.admin})
ADMIN = frozenset({Role.admin})

#: (from, to) -> the roles that may take that step.
INCOMING: dict[tuple[str, str], frozenset[Role]] = {
    ("created", "proposed_to_manager"): ACTORS,
    ("proposed_to_manager", "created"): ACTORS,
    ("proposed_to_manager", "proposed_to_agent"): ACTORS,
    ("proposed_to_agent", "proposed_to_manager"): ACTORS,
    ("proposed_to_agent", "in_treatment"): ACTORS,
    ("in_treatment", "proposed_to_agent"): ACTORS,
    ("in_treatment", "closed"): ACTORS,
    ("closed", "in_treatment"): ADMIN,  # reopening
}
OUTGOING: dict[tuple[str, str], frozenset[Role]] = {
    ("created", "to_be_signed"): ACTORS,
    ("to_be_signed", "created"): ACTORS,
    ("to_be_signed", "signed"): ACTORS,
    ("signed", "sent"): ACTORS,
    ("sent", "closed"): ACTORS,
    ("closed", "sent"): ADMIN,  # reopening
}
#: What closing an incoming mail needs, in the words of the error.
CLOSING_NEEDS = (("sender_id", "sender"), ("treating_service_id", "treating service"), ("mail_type", "mail type"))


def graph(record: Record) -> dict[tuple[str, str], frozenset[Role]]:
    return OUTGOING if record.register_code == RegisterKind.outgoing.value else INCOMING


def next_states(record: Record, role: Role | None = None) -> list[str]:
    """The states the record can move to now (for this role when given), in declaration order."""
    if record.cancelled:
        return []
    return [to for (frm, to), roles in graph(record).items()
            if frm == record.status and (role is None or role in roles)]


@dataclass
class Changed:
    record: Record
    job_ids: list[int]


def _locked(session: Session, principal: Principal, record_id: str) -> Record:
    """The record, row-locked for the change, if the principal may see it (NotFound otherwise)."""
    record = session.exec(
        select(Record).where(Record.id == record_id, Record.tenant_id == principal.tenant_id).with_for_update()
    ).first()
    if record is None or principal.tenant_id is None or not tenant_services.may_see(session, principal, record):
        raise NotFound("no such record")
    return record


def _finish(session: Session, principal: Principal, record: Record, action: str, data: dict,
            schema_dir: Path | None) -> Changed:
    record.updated_at = utcnow()
    session.add(record)
    meta = record_metadata.write_version(session, record, actor_id=principal.user_id, reason=action,
                                         schema_dir=schema_dir)
    job = jobs.enqueue(session, records.INDEX_JOB, {"record_id": record.id}, tenant_id=record.tenant_id)
    record_event(session, tenant_id=record.tenant_id, actor_id=principal.user_id, action=action,
                 object_type="record", object_id=record.id,
                 data={"reference": record.reference, **data, "actor": principal.email,
                       "metadata": {"version": meta.version, "sha256": meta.sha256}})
    session.flush()
    return Changed(record=record, job_ids=[job.id])


def transition(session: Session, principal: Principal, record_id: str, to: str, comment: str = "", *,
               schema_dir: Path | None = None) -> Changed:
    """Move the record to ``to``: 409 when the step does not exist from its state, 403 when the role may not
    take it, 400 when closing an incoming mail that lacks a sender, a treating service or a mail type."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise BadInput(f"comment longer than {MAX_COMMENT} characters")
    record = _locked(session, principal, record_id)
    if record.cancelled:
        raise Conflict("a cancelled record has no workflow")
    steps = graph(record)
    step = (record.status, to)
    if step not in steps:
        allowed = ", ".join(next_states(record)) or "none"
        raise Conflict(f"cannot go from {record.status} to {to}: allowed next states are {allowed}",
                       current=record.status, allowed=next_states(record))
    if principal.role not in steps[step]:
        raise Forbidden(f"role {principal.role.value} may not move a record from {record.status} to {to}")
    if to == "closed" and record.register_code == RegisterKind.incoming.value:
        missing = [label for name, label in CLOSING_NEEDS if not getattr(record, name)]
        if missing:
            raise BadInput(f"cannot close: missing {', '.join(missing)}", missing=missing)
    before = record.status
    record.status = to
    session.add(RecordTransition(tenant_id=record.tenant_id, record_id=record.id, from_status=before, to_status=to,
                                 actor_id=principal.user_id, comment=comment, created_at=utcnow()))
    return _finish(session, principal, record, "record.transition",
                   {"from": before, "to": to, "comment": comment}, schema_dir)


def history(session: Session, principal: Principal, record_id: str) -> list[dict]:
    record = records.get(session, principal.tenant_id or "", record_id, viewer=principal)
    rows = session.exec(select(RecordTransition).where(RecordTransition.record_id == record.id)
                        .order_by(RecordTransition.created_at, RecordTransition.id)).all()
    return [{"from": r.from_status, "to": r.to_status, "actor_id": r.actor_id, "comment": r.comment,
             "at": r.created_at} for r in rows]


def add_note(session: Session, principal: Principal, record_id: str, text: str, *,
             schema_dir: Path | None = None) -> RecordNote:
    """Notes are append-only: there is no edit or delete, the audit trail holds each one too."""
    text = (text or "").strip()
    if not text:
        raise BadInput("a note needs text")
    if len(text) > MAX_NOTE:
        raise BadInput(f"note longer than {MAX_NOTE} characters")
    if principal.role not in ACTORS:
        raise Forbidden(f"role {principal.role.value} may not add notes")
    record = _locked(session, principal, record_id)
    note = RecordNote(tenant_id=record.tenant_id, record_id=record.id, author_id=principal.user_id, text=text,
                      created_at=utcnow())
    session.add(note)
    session.flush()
    _finish(session, principal, record, "record.note_added", {"note_id": note.id, "text": text}, schema_dir)
    return note


def notes(session: Session, principal: Principal, record_id: str) -> list[RecordNote]:
    record = records.get(session, principal.tenant_id or "", record_id, viewer=principal)
    return list(session.exec(select(RecordNote).where(RecordNote.record_id == record.id)
                             .order_by(RecordNote.created_at, RecordNote.id)).all())


def note_to_dict(note: RecordNote) -> dict:
    return {"id": note.id, "author_id": note.author_id, "text": note.text, "created_at": note.created_at}


def cancel(session: Session, principal: Principal, record_id: str, reason: str, *,
           schema_dir: Path | None = None) -> Changed:
    """Cancel a registration: the number stays taken (no gap, no reuse), the record is marked with the reason,
    leaves the workflow and cannot be changed. Clerks and admins cancel; only an admin undoes it."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("a cancellation needs a reason")
    if len(reason) > MAX_REASON:
        raise BadInput(f"reason longer than {MAX_REASON} characters")
    if principal.role not in (Role.clerk, Role.admin):
        raise Forbidden(f"role {principal.role.value} may not cancel a registration")
    record = _locked(session, principal, record_id)
    if record.cancelled:
        raise Conflict("the record is already cancelled")
    record.cancelled = True
    record.cancel_reason = reason
    return _finish(session, principal, record, "record.cancelled", {"reason": reason}, schema_dir)


def uncancel(session: Session, principal: Principal, record_id: str, reason: str, *,
             schema_dir: Path | None = None) -> Changed:
    """An admin's correction of a mistaken cancellation; the record comes back in the state it had."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("undoing a cancellation needs a reason")
    if len(reason) > MAX_REASON:
        raise BadInput(f"reason longer than {MAX_REASON} characters")
    if principal.role != Role.admin:
        raise Forbidden("only an admin may undo a cancellation")
    record = _locked(session, principal, record_id)
    if not record.cancelled:
        raise Conflict("the record is not cancelled")
    before = record.cancel_reason
    record.cancelled = False
    record.cancel_reason = None
    return _finish(session, principal, record, "record.uncancelled",
                   {"reason": reason, "cancel_reason": before}, schema_dir)
