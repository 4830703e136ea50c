"""Holds (gel, legal hold): a named reason to keep records whatever their schedule says.

A hold covers records listed one by one, every record of a class of the plan (and its narrower classes,
evaluated each time, so a record classified there later is covered too), or the records a search query
found when the hold was placed (kept as a list: a hold must not shrink because the index changed). Holds and
records are many to many. While a hold is active (placed, not lifted) its records are never proposed,
approved, authorised, destroyed or transferred: placing it takes them out of any batch not yet executed,
and every disposition step checks again inside its own transaction. With an S3 store created with object
lock, the records' blobs also get an S3 legal hold, so the store itself refuses to delete them.

A hold that covered a record at some point is evidence: it can be lifted (who, when, why) but not deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, false, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, func, select

from dms import records, vocabulary
from dms.audit import record_event
from dms.backends import Backends
from dms.errors import BadInput, Conflict, NotFound
from dms.models import File, Hold, HoldRecord, HoldScope, Record, RecordRetention, RetentionState
from dms.models.base import utcnow
from thesaurus.hierarchy import descendants

log = logging.getLogger(__name__)


def _bulk(table):
    """A set-based UPDATE the session does not mirror on loaded objects (no RETURNING of every id)."""
    return update(table).execution_options(synchronize_session=False)

#: Record states a hold pulls a record back from (to ELIGIBLE): the batch has not run yet.
PULLED_BACK = (RetentionState.in_batch, RetentionState.approved, RetentionState.awaiting_authorization,
               RetentionState.authorized)
MAX_RECORDS = 10_000


def get(session: Session, tenant_id: str, hold_id: str) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None or hold.tenant_id != tenant_id:
        raise NotFound("no such hold")
    return hold


def list_holds(session: Session, tenant_id: str, *, active: bool | None = None) -> list[Hold]:
    query = select(Hold).where(Hold.tenant_id == tenant_id)
    if active is True:
        query = query.where(Hold.lifted_at.is_(None))
    elif active is False:
        query = query.where(Hold.lifted_at.is_not(None))
    return list(session.exec(query.order_by(Hold.placed_at.desc())).all())


def held_classes(session: Session, tenant_id: str) -> set[str]:
    """Every class under an active classification hold (the class and its narrower classes)."""
    uris = set(session.exec(select(Hold.class_uri).where(Hold.tenant_id == tenant_id, Hold.lifted_at.is_(None),
                                                          Hold.scope == HoldScope.classification)).all())
    uris.discard(None)
    if not uris:
        return set()
    thesaurus = vocabulary.view(session, tenant_id).thesaurus
    found = set(uris)
    for uri in uris:
        if uri in thesaurus:
            found.update(descendants(thesaurus, uri))
    return found


def not_held(session: Session, tenant_id: str, record_id_column, class_column):
    """A SQL condition, for set-based statements: the record is covered by no active hold."""
    direct = exists(
        sa_select(HoldRecord.record_id)
        .join(Hold, Hold.id == HoldRecord.hold_id)
        .where(HoldRecord.record_id == record_id_column, Hold.lifted_at.is_(None))
    )
    classes = held_classes(session, tenant_id)
    by_class = and_(class_column.is_not(None), class_column.in_(sorted(classes))) if classes else false()
    return ~or_(direct, by_class)


def held_among(session: Session, tenant_id: str, record_ids: Iterable[str]) -> set[str]:
    """Which of these records an active hold covers, now, in the caller's transaction."""
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        return set()
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(session.exec(
            select(HoldRecord.record_id).join(Hold, Hold.id == HoldRecord.hold_id)
            .where(HoldRecord.record_id.in_(chunk), Hold.lifted_at.is_(None))
        ).all())
        classes = held_classes(session, tenant_id)
        if classes:
            found.update(session.exec(select(Record.id).where(Record.id.in_(chunk),
                                                              Record.classification.in_(sorted(classes)))).all())
    return found


def active_holds_of(session: Session, tenant_id: str, record: Record) -> list[Hold]:
    direct = list(session.exec(
        select(Hold).join(HoldRecord, HoldRecord.hold_id == Hold.id)
        .where(HoldRecord.record_id == record.id, Hold.lifted_at.is_(None))
    ).all())
    if record.classification and record.classification in held_classes(session, tenant_id):
        thesaurus = vocabulary.view(session, tenant_id).thesaurus
        for hold in list_holds(session, tenant_id, active=True):
            if hold.scope == HoldScope.classification and hold.class_uri and (
                    hold.class_uri == record.classification
                    or record.classification in descendants(thesaurus, hold.class_uri)):
                direct.append(hold)
    return direct


def _pull_back(session: Session, record_ids: list[str] | None = None, classes: set[str] | None = None) -> int:
    """Held records leave the batches that have not run: back to ELIGIBLE, out of the batch."""
    condition = RecordRetention.state.in_([s.value for s in PULLED_BACK])
    if record_ids is not None:
        condition = and_(condition, RecordRetention.record_id.in_(record_ids))
    if classes is not None:
        condition = and_(condition, RecordRetention.record_id.in_(
            sa_select(Record.id).where(Record.classification.in_(sorted(classes)))))
    result = session.execute(_bulk(RecordRetention).where(condition)
                             .values(state=RetentionState.eligible, batch_id=None, updated_at=utcnow()))
    return result.rowcount or 0


def place(
    session: Session,
    tenant_id: str,
    actor_id: str | None,
    *,
    name: str,
    reason: str = "",
    mandate: str = "",
    owner: str = "",
    review_date: date | None = None,
    record_ids: list[str] | None = None,
    class_uri: str | None = None,
    query_ids: list[str] | None = None,
    query: str | None = None,
) -> Hold:
    """Place a hold on records (``record_ids``), on a class (``class_uri``) or on the records a query found
    (``query`` with ``query_ids``, resolved by the caller through search). Exactly one scope."""
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise BadInput("a hold needs a name (at most 200 characters)")
    scopes = [s for s, v in ((HoldScope.records, record_ids), (HoldScope.classification, class_uri),
                             (HoldScope.query, query)) if v]
    if len(scopes) != 1:
        raise BadInput("place a hold on exactly one of: record ids, a class, a search query")
    scope = scopes[0]
    hold = Hold(tenant_id=tenant_id, name=name, reason=reason or "", mandate=(mandate or "")[:500],
                owner=(owner or "")[:200], scope=scope, review_date=review_date, placed_by=actor_id,
                placed_at=utcnow())
    covered: list[str] = []
    if scope == HoldScope.classification:
        vocab = vocabulary.view(session, tenant_id)
        if not vocab.is_plan_concept(class_uri or "") or vocab.thesaurus.get(class_uri or "") is None:
            raise BadInput(f"<{class_uri}> is not a class of the classification plan")
        hold.class_uri = class_uri
        classes = {class_uri} | set(descendants(vocab.thesaurus, class_uri))
        count = session.exec(select(func.count()).select_from(Record).where(
            Record.tenant_id == tenant_id, Record.classification.in_(sorted(classes)))).one()
        hold.used = count > 0
    else:
        ids = record_ids if scope == HoldScope.records else (query_ids or [])
        if scope == HoldScope.query:
            hold.query = query[:1000] if query else None
        covered = _check_records(session, tenant_id, ids)
        hold.used = bool(covered)
    session.add(hold)
    session.flush()
    for record_id in covered:
        session.add(HoldRecord(hold_id=hold.id, record_id=record_id, tenant_id=tenant_id))
    session.flush()
    pulled = _pull_back(session, classes=held_classes(session, tenant_id)) if scope == HoldScope.classification \
        else _pull_back(session, covered)
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="hold.placed", object_type="hold",
                 object_id=hold.id, data={"after": to_dict(hold), "records": covered,
                                          "pulled_out_of_batches": pulled})
    return hold


def _check_records(session: Session, tenant_id: str, ids: list[str]) -> list[str]:
    ids = list(dict.fromkeys(i for i in ids if i))
    if len(ids) > MAX_RECORDS:
        raise BadInput(f"at most {MAX_RECORDS} records per request")
    for record_id in ids:
        records.get(session, tenant_id, record_id)
    return ids


def add_records(session: Session, tenant_id: str, actor_id: str | None, hold_id: str, record_ids: list[str]) -> Hold:
    hold = get(session, tenant_id, hold_id)
    if hold.lifted_at is not None:
        raise Conflict("this hold was lifted: place a new one")
    if hold.scope == HoldScope.classification:
        raise BadInput("a hold on a class covers its records already")
    ids = _check_records(session, tenant_id, record_ids)
    have = set(session.exec(select(HoldRecord.record_id).where(HoldRecord.hold_id == hold.id)).all())
    new = [i for i in ids if i not in have]
    for record_id in new:
        session.add(HoldRecord(hold_id=hold.id, record_id=record_id, tenant_id=tenant_id))
    if new:
        hold.used = True
        session.add(hold)
        session.flush()
        pulled = _pull_back(session, new)
        record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="hold.records_added",
                     object_type="hold", object_id=hold.id, data={"records": new, "pulled_out_of_batches": pulled})
    return hold


def lift(session: Session, tenant_id: str, actor_id: str | None, hold_id: str, reason: str = "") -> Hold:
    hold = session.exec(select(Hold).where(Hold.id == hold_id).with_for_update()).first()
    if hold is None or hold.tenant_id != tenant_id:
        raise NotFound("no such hold")
    if hold.lifted_at is not None:
        raise Conflict("this hold was lifted already")
    before = to_dict(hold)
    hold.lifted_at, hold.lifted_by, hold.lift_reason = utcnow(), actor_id, (reason or "")[:2000]
    session.add(hold)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="hold.lifted", object_type="hold",
                 object_id=hold.id, data={"before": before, "after": to_dict(hold)})
    return hold


def delete(session: Session, tenant_id: str, actor_id: str | None, hold_id: str) -> None:
    hold = get(session, tenant_id, hold_id)
    covers = session.exec(select(func.count()).select_from(HoldRecord).where(HoldRecord.hold_id == hold.id)).one()
    if hold.used or covers:
        raise Conflict("this hold covered records: it can be lifted, not deleted")
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="hold.deleted", object_type="hold",
                 object_id=hold.id, data={"before": to_dict(hold)})
    session.delete(hold)
    session.flush()


def record_ids_of(session: Session, hold: Hold) -> list[str]:
    if hold.scope == HoldScope.classification:
        thesaurus = vocabulary.view(session, hold.tenant_id).thesaurus
        classes = {hold.class_uri} | (set(descendants(thesaurus, hold.class_uri)) if hold.class_uri in thesaurus
                                      else set())
        return list(session.exec(select(Record.id).where(Record.tenant_id == hold.tenant_id,
                                                         Record.classification.in_(sorted(classes)))).all())
    return list(session.exec(select(HoldRecord.record_id).where(HoldRecord.hold_id == hold.id)).all())


def to_dict(hold: Hold, record_ids: list[str] | None = None) -> dict[str, Any]:
    out = {
        "id": hold.id, "name": hold.name, "reason": hold.reason, "mandate": hold.mandate, "owner": hold.owner,
        "scope": hold.scope, "class": hold.class_uri, "query": hold.query,
        "review_date": hold.review_date.isoformat() if hold.review_date else None,
        "active": hold.lifted_at is None, "used": hold.used,
        "placed_by": hold.placed_by, "placed_at": hold.placed_at.isoformat() if hold.placed_at else None,
        "lifted_by": hold.lifted_by, "lifted_at": hold.lifted_at.isoformat() if hold.lifted_at else None,
        "lift_reason": hold.lift_reason,
    }
    if record_ids is not None:
        out["records"] = record_ids
    return out


# ------------------------------------------------------------------------------------------ the store


def sync_store(backends: Backends, tenant_id: str) -> int:
    """Make the store's legal holds match the active holds (S3 with object lock only): on for every blob of
    a held record, off for the blobs no held record uses any more. Runs after the database commit, and is
    safe to run again. Returns the number of blobs changed."""
    store = backends.blobs
    if not getattr(store, "object_lock", False) or not hasattr(store, "set_legal_hold"):
        return 0
    from dms.db import unit_of_work

    with unit_of_work(backends.engine, write=False) as session:
        rows = list(session.exec(select(File.record_id, File.blob_key).where(File.tenant_id == tenant_id)).all())
        held = held_among(session, tenant_id, {record_id for record_id, _ in rows})
        ever = set(session.exec(select(HoldRecord.record_id).where(HoldRecord.tenant_id == tenant_id)).all())
    on = {key for record_id, key in rows if record_id in held}
    candidates = {key for record_id, key in rows if record_id in ever or record_id in held}
    changed = 0
    for key in sorted(candidates):
        store.set_legal_hold(key, key in on)
        changed += 1
    return changed
