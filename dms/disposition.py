"""Disposition batches (bordereaux): proposed by the sweep, approved by an archivist, sent to the State
Archives for authorisation, authorised with their reference, then executed (destroyed or transferred), or
given back (RESTORED) before they run.

Batch states and the state of its records::

    PROPOSED (IN_BATCH) -> APPROVED -> AWAITING_AUTHORIZATION -> AUTHORIZED -> EXECUTED
        (DESTROYED, or TRANSFERRED -> ACCESSIONED when the archives confirm)     \\-> RESTORED (REVIEW)

Holds win: every step takes the batch's held records out (back to ELIGIBLE, where the sweep leaves them
while the hold lasts) inside its own transaction, and execution checks again after locking the batch and
its records, so a hold placed at any moment before the commit keeps its records.

Destruction: blobs of the certificate first, then one transaction (tombstones, file rows removed, a
metadata version without files, the certificate filed as a record through ``dms.records.register``, audit
events, index and blob-deletion jobs), then the blob deletions run (a blob shared by another live file is
kept). A crash after the commit leaves deletion jobs that any worker finishes.
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from dms import holds, jobs, record_metadata, records, vocabulary
from dms.audit import record_event
from dms.backends import Backends
from dms.blobs import BlobLocked
from dms.db import unit_of_work
from dms.destruction_certificate import Certificate, Line, to_pdf, to_text, to_xml
from dms.errors import BadInput, Conflict, DmsError, NotFound
from dms.models import (
    BatchState,
    DispositionBatch,
    File,
    FinalAction,
    Record,
    RecordRetention,
    RegisterKind,
    RetentionState,
    Tenant,
    TextStatus,
    Tombstone,
)
from dms.models.base import utcnow
from metadata import MetadataError, Organization, build_authorization_request, build_destruction_notification

log = logging.getLogger(__name__)


def _bulk(table):
    """A set-based UPDATE the session does not mirror on loaded objects (no RETURNING of every id)."""
    return update(table).execution_options(synchronize_session=False)

DELETE_BLOB_JOB = "retention_delete_blob"
AUDIT_IDS = 5000  # record ids listed in one audit event (beyond: the count and the first ones)
CONTROL_AUTHORITY = Organization("AE", "Archives de l'État en Belgique")
NOT_RUN = (BatchState.proposed, BatchState.approved, BatchState.awaiting_authorization, BatchState.authorized)
MAX_ATTEMPTS = 5


def _ids_for_audit(ids: list[str]) -> dict[str, Any]:
    return {"records": ids[:AUDIT_IDS], "count": len(ids), "listed": min(len(ids), AUDIT_IDS)}


# -------------------------------------------------------------------------------------------- propose


def propose(session: Session, tenant_id: str, actor_id: str | None) -> list[tuple[DispositionBatch, int]]:
    """ELIGIBLE records that no hold covers go into one new batch per final action (set-based)."""
    made = []
    for action in (FinalAction.destroy, FinalAction.transfer):
        free = holds.not_held(session, tenant_id, RecordRetention.record_id, Record.classification)
        where = [RecordRetention.record_id == Record.id, RecordRetention.tenant_id == tenant_id,
                 RecordRetention.state == RetentionState.eligible, RecordRetention.action == action, free]
        waiting = session.exec(select(func.count()).select_from(RecordRetention).join(
            Record, Record.id == RecordRetention.record_id).where(*where[1:])).one()
        if not waiting:
            continue
        number = (session.exec(select(func.max(DispositionBatch.number))
                               .where(DispositionBatch.tenant_id == tenant_id)).one() or 0) + 1
        batch = DispositionBatch(tenant_id=tenant_id, number=number, action=action, state=BatchState.proposed)
        session.add(batch)
        session.flush()
        count = session.execute(_bulk(RecordRetention).where(*where)
                                .values(state=RetentionState.in_batch, batch_id=batch.id,
                                        updated_at=utcnow())).rowcount or 0
        ids = member_ids(session, batch.id, limit=AUDIT_IDS)
        record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.batch.proposed",
                     object_type="disposition_batch", object_id=batch.id,
                     data={"number": number, "action": action.value, "after": {"state": batch.state},
                           **_ids_for_audit(ids), "count": count})
        made.append((batch, count))
    return made


# ---------------------------------------------------------------------------------------------- reads


def get(session: Session, tenant_id: str, batch_id: str, *, lock: bool = False) -> DispositionBatch:
    query = select(DispositionBatch).where(DispositionBatch.id == batch_id)
    batch = session.exec(query.with_for_update() if lock else query).first()
    if batch is None or batch.tenant_id != tenant_id:
        raise NotFound("no such batch")
    return batch


def list_batches(session: Session, tenant_id: str, state: str | None = None) -> list[DispositionBatch]:
    query = select(DispositionBatch).where(DispositionBatch.tenant_id == tenant_id)
    if state:
        query = query.where(DispositionBatch.state == state.upper())
    return list(session.exec(query.order_by(DispositionBatch.number.desc())).all())


def member_ids(session: Session, batch_id: str, limit: int | None = None) -> list[str]:
    query = select(RecordRetention.record_id).where(RecordRetention.batch_id == batch_id) \
        .order_by(RecordRetention.record_id)
    return list(session.exec(query.limit(limit) if limit else query).all())


def to_dict(session: Session, batch: DispositionBatch, *, with_records: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": batch.id, "number": batch.number, "action": batch.action, "state": batch.state,
        "proposed_at": batch.proposed_at, "approved_by": batch.approved_by, "approved_at": batch.approved_at,
        "request_message_id": batch.request_message_id, "requested_at": batch.requested_at,
        "authorization_reference": batch.authorization_reference, "authorized_at": batch.authorized_at,
        "executed_by": batch.executed_by, "executed_at": batch.executed_at,
        "certificate_record_id": batch.certificate_record_id, "transfer_message_id": batch.transfer_message_id,
        "accession_reference": batch.accession_reference, "restored_reason": batch.restored_reason,
    }
    if with_records:
        rows = session.exec(
            select(Record.id, Record.reference, Record.subject, Record.classification, RecordRetention.state,
                   RecordRetention.due_date)
            .join(RecordRetention, RecordRetention.record_id == Record.id)
            .where(RecordRetention.batch_id == batch.id).order_by(Record.reference).limit(10_000)
        ).all()
        out["records"] = [{"id": i, "reference": ref, "title": title, "classification": cls, "state": state,
                           "due_date": due} for i, ref, title, cls, state, due in rows]
        out["count"] = session.exec(select(func.count()).select_from(RecordRetention)
                                    .where(RecordRetention.batch_id == batch.id)).one()
    return out


# ----------------------------------------------------------------------------------------------- steps


def _pull_out_held(session: Session, batch: DispositionBatch, actor_id: str | None) -> list[str]:
    """Take the batch's held records out (back to ELIGIBLE), in the caller's transaction."""
    ids = member_ids(session, batch.id)
    held = sorted(holds.held_among(session, batch.tenant_id, ids))
    if held:
        for start in range(0, len(held), 500):
            session.execute(_bulk(RecordRetention)
                            .where(RecordRetention.record_id.in_(held[start:start + 500]),
                                   RecordRetention.batch_id == batch.id)
                            .values(state=RetentionState.eligible, batch_id=None, updated_at=utcnow()))
        record_event(session, tenant_id=batch.tenant_id, actor_id=actor_id, action="retention.batch.held_removed",
                     object_type="disposition_batch", object_id=batch.id, data=_ids_for_audit(held))
    return held


def _advance(session: Session, tenant_id: str, actor_id: str | None, batch_id: str, allowed: tuple[str, ...],
             to: BatchState, record_state: RetentionState, **changes: Any) -> DispositionBatch:
    batch = get(session, tenant_id, batch_id, lock=True)
    if batch.state not in allowed:
        raise Conflict(f"the batch is {batch.state}: cannot go to {to.value}")
    held = _pull_out_held(session, batch, actor_id)
    remaining = session.exec(select(func.count()).select_from(RecordRetention)
                             .where(RecordRetention.batch_id == batch.id)).one()
    if not remaining:
        raise Conflict("every record of this batch is under a hold: restore the batch")
    before = {"state": batch.state}
    batch.state = to
    for name, value in changes.items():
        setattr(batch, name, value)
    session.add(batch)
    session.execute(_bulk(RecordRetention).where(RecordRetention.batch_id == batch.id)
                    .values(state=record_state, updated_at=utcnow()))
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action=f"retention.batch.{to.value.lower()}",
                 object_type="disposition_batch", object_id=batch.id,
                 data={"number": batch.number, "before": before, "after": {"state": batch.state, **{
                     k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in changes.items()}},
                       "held_removed": held, "count": remaining})
    return batch


def approve(session: Session, tenant_id: str, actor_id: str | None, batch_id: str) -> DispositionBatch:
    return _advance(session, tenant_id, actor_id, batch_id, (BatchState.proposed,), BatchState.approved,
                    RetentionState.approved, approved_by=actor_id, approved_at=utcnow())


def authorization_request_file(engine, tenant_id: str, actor_id: str | None, batch_id: str, *,
                               schema_dir: Path | None = None) -> tuple[str, bytes]:
    """``request_authorization`` in a transaction of its own, with the file name the archivist downloads (the
    API and the archivist's page both answer with it)."""
    with unit_of_work(engine) as session:
        batch, xml = request_authorization(session, tenant_id, actor_id, batch_id, schema_dir=schema_dir)
        return f"demande-autorisation-{batch.number}.xml", xml


def request_authorization(session: Session, tenant_id: str, actor_id: str | None, batch_id: str, *,
                          schema_dir: Path | None = None,
                          control_authority: Organization = CONTROL_AUTHORITY) -> tuple[DispositionBatch, bytes]:
    """The SEDA AuthorizationControlAuthorityRequest for the batch (its records described, no files),
    validated; the batch waits for the archives' answer. Asking again gives a new message."""
    message_id = str(uuid.uuid4())
    batch = _advance(session, tenant_id, actor_id, batch_id,
                     (BatchState.approved, BatchState.awaiting_authorization), BatchState.awaiting_authorization,
                     RetentionState.awaiting_authorization, request_message_id=message_id, requested_at=utcnow())
    tenant = session.get(Tenant, tenant_id)
    commune = record_metadata.organization_of(tenant)
    units = []
    for record_id in member_ids(session, batch.id):
        record = session.get(Record, record_id)
        units.append(record_metadata.parsed(record_metadata.get_version(session, record)))
    try:
        xml = build_authorization_request(
            message_id=message_id, date=datetime.now(UTC).replace(microsecond=0), requester=commune,
            archival_agency=commune, control_authority=control_authority, units=units,
            reason="Destruction" if batch.action == FinalAction.destroy else "Transfer",
            comment=f"Bordereau n° {batch.number} ({len(units)} document(s))",
        )
        from dms.settings import get_settings
        from metadata import validate

        validate(xml, schema_dir or get_settings().seda_schema_dir)
    except MetadataError as exc:
        raise BadInput(f"authorisation request not valid: {exc}") from exc
    return batch, xml


def authorize(session: Session, tenant_id: str, actor_id: str | None, batch_id: str,
              reference: str) -> DispositionBatch:
    """Record the State Archives' authorisation (their reference) for the batch."""
    reference = " ".join((reference or "").split())
    if not reference or len(reference) > 200:
        raise BadInput("the archives' reference is required (at most 200 characters)")
    return _advance(session, tenant_id, actor_id, batch_id, (BatchState.awaiting_authorization,),
                    BatchState.authorized, RetentionState.authorized, authorization_reference=reference,
                    authorized_at=utcnow())


def restore(session: Session, tenant_id: str, actor_id: str | None, batch_id: str,
            reason: str = "") -> DispositionBatch:
    """Give the batch back before it runs: its records go to REVIEW, where an archivist decides again."""
    batch = get(session, tenant_id, batch_id, lock=True)
    if batch.state not in NOT_RUN:
        raise Conflict(f"the batch is {batch.state}: only a batch that has not run can be restored")
    ids = member_ids(session, batch.id)
    before = {"state": batch.state}
    batch.state, batch.restored_reason = BatchState.restored, (reason or "")[:2000]
    session.add(batch)
    session.execute(_bulk(RecordRetention).where(RecordRetention.batch_id == batch.id)
                    .values(state=RetentionState.review, batch_id=None, updated_at=utcnow()))
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.batch.restored",
                 object_type="disposition_batch", object_id=batch.id,
                 data={"number": batch.number, "before": before, "after": {"state": batch.state}, "reason": reason,
                       **_ids_for_audit(ids)})
    return batch


def accession(session: Session, tenant_id: str, actor_id: str | None, batch_id: str,
              reference: str) -> DispositionBatch:
    """The archives confirm they took the transferred records in (their accession reference)."""
    reference = " ".join((reference or "").split())
    if not reference or len(reference) > 200:
        raise BadInput("the archives' accession reference is required (at most 200 characters)")
    batch = get(session, tenant_id, batch_id, lock=True)
    if batch.action != FinalAction.transfer or batch.state != BatchState.executed:
        raise Conflict("only an executed transfer batch can be accessioned")
    batch.state, batch.accession_reference = BatchState.accessioned, reference
    session.add(batch)
    count = session.execute(_bulk(RecordRetention).where(RecordRetention.batch_id == batch.id)
                            .values(state=RetentionState.accessioned, updated_at=utcnow())).rowcount
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.batch.accessioned",
                 object_type="disposition_batch", object_id=batch.id,
                 data={"number": batch.number, "before": {"state": BatchState.executed},
                       "after": {"state": batch.state}, "reference": reference, "count": count})
    return batch


# ------------------------------------------------------------------------------------------- execution


@dataclass
class Executed:
    batch: DispositionBatch
    records: int
    blobs_deleted: int = 0
    blobs_kept: int = 0
    certificate_record_id: str | None = None
    transfer_path: Path | None = None


def _class_label(session: Session, tenant_id: str, uri: str | None) -> str:
    if not uri:
        return ""
    concept = vocabulary.view(session, tenant_id).thesaurus.get(uri)
    if concept is None:
        return uri
    return " ".join(p for p in (concept.notation, concept.pref_label("fr")) if p)


def _snapshot_members(backends: Backends, tenant_id: str, batch_id: str,
                      actor_id: str | None) -> tuple[DispositionBatch, list[str]]:
    """The batch (must be AUTHORIZED) and its members, once held records are out (committed)."""
    with unit_of_work(backends.engine) as session:
        batch = get(session, tenant_id, batch_id, lock=True)
        if batch.state != BatchState.authorized:
            raise Conflict(f"the batch is {batch.state}: only an AUTHORIZED batch is executed")
        _pull_out_held(session, batch, actor_id)
        ids = member_ids(session, batch.id)
    if not ids:
        raise Conflict("every record of this batch is under a hold: restore the batch")
    return batch, ids


def execute(backends: Backends, tenant_id: str, actor_id: str | None, batch_id: str, *,
            actor_name: str = "dms", schema_dir: Path | None = None) -> Executed:
    """Run an AUTHORIZED batch: destroy its records (certificate filed as a record) or transfer them."""
    for _attempt in range(MAX_ATTEMPTS):
        batch, ids = _snapshot_members(backends, tenant_id, batch_id, actor_id)
        if batch.action == FinalAction.destroy:
            done = _destroy(backends, tenant_id, actor_id, batch, ids, actor_name, schema_dir)
        else:
            done = _transfer(backends, tenant_id, actor_id, batch, ids, schema_dir)
        if done is not None:
            return done
    raise Conflict("the batch kept changing while it was executed (holds placed meanwhile): try again")


def _lock_members(session: Session, tenant_id: str, batch_id: str, expected: list[str],
                  actor_id: str | None) -> DispositionBatch | None:
    """Inside the executing transaction: lock the batch and its records, then check holds once more. None
    when anything moved since the snapshot (the caller commits the pull-out and starts again)."""
    batch = get(session, tenant_id, batch_id, lock=True)
    if batch.state != BatchState.authorized:
        raise Conflict(f"the batch is {batch.state}: only an AUTHORIZED batch is executed")
    rows = session.exec(select(RecordRetention).where(RecordRetention.batch_id == batch.id)
                        .with_for_update()).all()
    if sorted(r.record_id for r in rows) != sorted(expected):
        return None
    if _pull_out_held(session, batch, actor_id):
        return None
    return batch


def _destroy(backends: Backends, tenant_id: str, actor_id: str | None, snapshot: DispositionBatch,
             ids: list[str], actor_name: str, schema_dir: Path | None) -> Executed | None:
    now = utcnow()
    with unit_of_work(backends.engine, write=False) as session:
        tenant = session.get(Tenant, tenant_id)
        lines = []
        for record_id in ids:
            record = session.get(Record, record_id)
            row = session.get(RecordRetention, record_id)
            lines.append(Line(record.id, record.reference, record.subject,
                              _class_label(session, tenant_id, record.classification), record.registered_at,
                              record.received_at, row.closed_at, row.due_date,
                              [f.sha256 for f in records.files_of(session, record)]))
    cert = Certificate(tenant.name, snapshot.number, snapshot.id, snapshot.authorization_reference or "", now,
                       actor_name, sorted(lines, key=lambda x: x.reference))
    commune = record_metadata.organization_of(tenant)
    notification = build_destruction_notification(
        ids, message_id=str(uuid.uuid4()), date=now.replace(microsecond=0),
        authorization_reply_id=snapshot.authorization_reference or "", archival_agency=commune,
        originating_agency=commune, comment=cert.title)
    blobs = [(backends.blobs.put(tenant_id, io.BytesIO(data)), mime, name) for data, mime, name in (
        (to_pdf(cert), "application/pdf", f"certificat-destruction-{snapshot.number}.pdf"),
        (to_xml(cert), "application/xml", f"certificat-destruction-{snapshot.number}.xml"),
        (notification, "application/xml", f"notification-destruction-{snapshot.number}.xml"))]
    with unit_of_work(backends.engine) as session:
        batch = _lock_members(session, tenant_id, snapshot.id, ids, actor_id)
        if batch is None:
            return None
        keys: set[str] = set()
        for record_id in ids:
            keys |= _destroy_record(session, tenant_id, actor_id, batch, record_id, now, schema_dir)
        new = records.NewRecord(
            register=RegisterKind.internal, subject=cert.title,
            description=f"Autorisation {batch.authorization_reference} ; {len(ids)} document(s) détruit(s).",
            files=[records.NewFile(blob=blob, mime=mime, original_name=name, text=to_text(cert),
                                   text_status=TextStatus.done) for blob, mime, name in blobs])
        filed = records.register(session, tenant_id, actor_id, new, schema_dir=schema_dir)
        queued = [jobs.enqueue(session, DELETE_BLOB_JOB, {"key": key}, tenant_id=tenant_id) for key in sorted(keys)]
        before = {"state": batch.state}
        batch.state, batch.executed_at, batch.executed_by = BatchState.executed, now, actor_id
        batch.certificate_record_id = filed.record.id
        session.add(batch)
        session.flush()
        record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.batch.executed",
                     object_type="disposition_batch", object_id=batch.id,
                     data={"number": batch.number, "action": batch.action, "before": before,
                           "after": {"state": batch.state}, "certificate": filed.record.reference,
                           "certificate_record_id": filed.record.id, **_ids_for_audit(ids)})
        job_ids = [job.id for job in queued]
    done = Executed(batch=batch, records=len(ids), certificate_record_id=filed.record.id)
    if job_ids:
        deleted, kept = run_blob_deletions(backends, job_ids)
        done.blobs_deleted, done.blobs_kept = deleted, kept
    return done


def _destroy_record(session: Session, tenant_id: str, actor_id: str | None, batch: DispositionBatch,
                    record_id: str, now: datetime, schema_dir: Path | None) -> set[str]:
    """Tombstone, file rows gone, a metadata version without files, audit event; returns the blob keys."""
    record = session.get(Record, record_id)
    row = session.get(RecordRetention, record_id)
    files = records.files_of(session, record)
    meta = record_metadata.write_version(session, record, actor_id=actor_id, reason="record.destroyed",
                                         files=[], schema_dir=schema_dir)
    session.add(Tombstone(
        record_id=record.id, tenant_id=tenant_id, batch_id=batch.id, reference=record.reference,
        title=record.subject, classification=record.classification, registered_at=record.registered_at,
        received_at=record.received_at, closed_at=row.closed_at, due_date=row.due_date, destroyed_at=now,
        destroyed_by=actor_id, authorization_reference=batch.authorization_reference, metadata_sha256=meta.sha256,
        files=[{"id": f.id, "name": f.original_name, "mime": f.mime, "size": f.size, "sha256": f.sha256}
               for f in files]))
    before = {"state": row.state}
    row.state, row.updated_at = RetentionState.destroyed, now
    session.add(row)
    if files:
        session.execute(delete(File).where(File.record_id == record.id))
    record.updated_at = now
    session.add(record)
    jobs.enqueue(session, records.INDEX_JOB, {"record_id": record.id}, tenant_id=tenant_id)
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="record.destroyed", object_type="record",
                 object_id=record.id,
                 data={"reference": record.reference, "batch": batch.number, "batch_id": batch.id,
                       "before": before, "after": {"state": row.state},
                       "authorization_reference": batch.authorization_reference,
                       "files": [{"id": f.id, "sha256": f.sha256, "size": f.size} for f in files],
                       "metadata": {"version": meta.version, "sha256": meta.sha256}})
    session.flush()
    return {f.blob_key for f in files}


def delete_blob_job(backends: Backends, job) -> None:
    """Delete a destroyed record's blob, unless a live file (another record's) still uses the same bytes."""
    key = jobs.payload(job)["key"]
    with unit_of_work(backends.engine, write=False) as session:
        users = session.exec(select(func.count()).select_from(File).where(File.blob_key == key)).one()
    if users:
        log.info("blob %s kept: %d live file(s) share it", key, users)
        return
    try:
        backends.blobs.delete(key)
    except BlobLocked as exc:
        raise DmsError(f"{key}: the store refuses the deletion (S3 legal hold or retention): {exc}") from exc


def run_blob_deletions(backends: Backends, job_ids: list[int]) -> tuple[int, int]:
    """Run the deletion jobs now; returns (blobs gone, blobs kept because shared)."""
    keys = []
    with unit_of_work(backends.engine, write=False) as session:
        for job_id in job_ids:
            job = session.get(jobs.Job, job_id)
            if job is not None:
                keys.append(jobs.payload(job)["key"])
    handlers = {DELETE_BLOB_JOB: lambda job: delete_blob_job(backends, job)}
    jobs.run_pending(backends.engine, handlers, ids=job_ids, limit=len(job_ids) + 10)
    gone = sum(1 for key in keys if not backends.blobs.exists(key))
    return gone, len(keys) - gone


def _transfer(backends: Backends, tenant_id: str, actor_id: str | None, snapshot: DispositionBatch,
              ids: list[str], schema_dir: Path | None) -> Executed | None:
    from dms import transfers

    dest_root = backends.settings.resolved_data_dir / "transfers"
    dest_root.mkdir(parents=True, exist_ok=True)
    dest = dest_root / f"batch-{snapshot.number}-{uuid.uuid4().hex[:8]}"
    done = transfers.export_transfer(backends, tenant_id, actor_id, ids, dest, schema_dir=schema_dir,
                                     comment=f"Bordereau n° {snapshot.number}")
    with unit_of_work(backends.engine) as session:
        batch = _lock_members(session, tenant_id, snapshot.id, ids, actor_id)
        if batch is None:
            return None
        now = utcnow()
        session.execute(_bulk(RecordRetention).where(RecordRetention.batch_id == batch.id)
                        .values(state=RetentionState.transferred, updated_at=now))
        before = {"state": batch.state}
        batch.state, batch.executed_at, batch.executed_by = BatchState.executed, now, actor_id
        batch.transfer_message_id = done.message_identifier
        session.add(batch)
        record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.batch.executed",
                     object_type="disposition_batch", object_id=batch.id,
                     data={"number": batch.number, "action": batch.action, "before": before,
                           "after": {"state": batch.state}, "transfer": done.message_identifier,
                           "package": str(done.path), **_ids_for_audit(ids)})
    return Executed(batch=batch, records=len(ids), transfer_path=done.path)
