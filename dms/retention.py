"""Each record's retention state, and the sweep that moves records along it in a few set-based statements.

States (docs/retention.md)::

    OPEN -> CLOSED (cut-off) -> RETAINED (due date computed; an event trigger waits for its event)
         -> ELIGIBLE -> [REVIEW] -> IN_BATCH -> APPROVED -> AWAITING_AUTHORIZATION -> AUTHORIZED
         -> DESTROYED (tombstone) | TRANSFERRED -> ACCESSIONED

A record has no retention row until the sweep (or an archivist's action) creates one: it is OPEN. The sweep
(``sweep``) is a handful of ``INSERT … SELECT`` and ``UPDATE … WHERE`` statements per tenant and per
schedule, never a loop over records, so it is idempotent (a second run changes nothing) and runs over a
million records in seconds. The disposition steps from IN_BATCH on are in ``dms.disposition``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, exists, func, insert, literal, null, or_, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import INTERVAL
from sqlmodel import Session, select

from dms import holds, records, retention_schedules
from dms.audit import record_event
from dms.errors import BadInput, Conflict
from dms.models import (
    BatchState,
    DispositionBatch,
    FinalAction,
    Record,
    RecordRetention,
    RetentionEvent,
    RetentionSchedule,
    RetentionState,
    Tenant,
    Tombstone,
)
from dms.models.base import UTCDateTime, utcnow
from dms.retention_schedules import Period, parse_period

log = logging.getLogger(__name__)


def _bulk(table):
    """A set-based UPDATE the session does not mirror on loaded objects (no RETURNING of every id)."""
    return update(table).execution_options(synchronize_session=False)

SWEEP_JOB = "retention_sweep"
#: Record states a changed class or schedule recomputes (nothing has been decided about the record yet).
RECOMPUTED = (RetentionState.closed, RetentionState.retained, RetentionState.eligible, RetentionState.review)
#: States a record leaves only through a disposition batch.
IN_DISPOSITION = (RetentionState.in_batch, RetentionState.approved, RetentionState.awaiting_authorization,
                  RetentionState.authorized)
FINAL = (RetentionState.destroyed, RetentionState.transferred, RetentionState.accessioned)
MAX_EVENT_NAME = 100
RULES_MARGIN = timedelta(minutes=1)


def today_utc() -> date:
    return datetime.now(UTC).date()


# ------------------------------------------------------------------------------------------- one record


def row_of(session: Session, tenant_id: str, record_id: str, *, lock: bool = False) -> RecordRetention:
    """The record's retention row, created OPEN when it has none yet (NotFound for another tenant's id)."""
    records.get(session, tenant_id, record_id)
    query = select(RecordRetention).where(RecordRetention.record_id == record_id)
    row = session.exec(query.with_for_update() if lock else query).first()
    if row is None:
        row = RecordRetention(record_id=record_id, tenant_id=tenant_id, state=RetentionState.open)
        session.add(row)
        session.flush()
    return row


def describe(session: Session, tenant_id: str, record_id: str) -> dict[str, Any]:
    """What an archivist sees of one record: state, due date, the schedule that applies, holds, events."""
    record = records.get(session, tenant_id, record_id)
    row = session.get(RecordRetention, record_id)
    state = row.state if row else RetentionState.open
    schedule = session.get(RetentionSchedule, row.schedule_id) if row and row.schedule_id else None
    applicable = retention_schedules.schedule_for(session, tenant_id, record.classification)
    events = session.exec(select(RetentionEvent).where(RetentionEvent.record_id == record_id)
                          .order_by(RetentionEvent.occurred_on)).all()
    tombstone = session.get(Tombstone, record_id)
    return {
        "record_id": record.id,
        "reference": record.reference,
        "classification": record.classification,
        "state": state,
        "closed_at": row.closed_at.isoformat() if row and row.closed_at else None,
        "due_date": row.due_date.isoformat() if row and row.due_date else None,
        "action": row.action if row else None,
        "batch_id": row.batch_id if row else None,
        "schedule": retention_schedules.to_dict(schedule) if schedule else None,
        "applicable_schedule": retention_schedules.to_dict(applicable) if applicable else None,
        "holds": [holds.to_dict(h) for h in holds.active_holds_of(session, tenant_id, record)],
        "events": [{"name": e.name, "occurred_on": e.occurred_on.isoformat(), "recorded_by": e.recorded_by}
                   for e in events],
        "tombstone": tombstone_dict(tombstone) if tombstone else None,
    }


def tombstone_dict(row: Tombstone) -> dict[str, Any]:
    return {"record_id": row.record_id, "batch_id": row.batch_id, "reference": row.reference, "title": row.title,
            "classification": row.classification,
            "registered_at": row.registered_at.isoformat() if row.registered_at else None,
            "destroyed_at": row.destroyed_at.isoformat(), "destroyed_by": row.destroyed_by,
            "authorization_reference": row.authorization_reference, "metadata_sha256": row.metadata_sha256,
            "files": list(row.files or [])}


def _audit(session: Session, tenant_id: str, actor_id: str | None, action: str, record_id: str,
           before: dict, after: dict, **extra: Any) -> None:
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action=action, object_type="record",
                 object_id=record_id, data={"before": before, "after": after, **extra})


def _snapshot(row: RecordRetention) -> dict[str, Any]:
    return {"state": row.state, "due_date": row.due_date.isoformat() if row.due_date else None,
            "schedule_id": row.schedule_id, "action": row.action, "batch_id": row.batch_id}


def close(session: Session, tenant_id: str, actor_id: str | None, record_id: str,
          closed_on: date | None = None) -> RecordRetention:
    """Cut-off: the record is complete; its retention period can start (now, or from its trigger)."""
    row = row_of(session, tenant_id, record_id, lock=True)
    if row.state != RetentionState.open:
        raise Conflict(f"the record is {row.state}: only an OPEN record is cut off")
    before = _snapshot(row)
    row.state, row.closed_at, row.updated_at = RetentionState.closed, closed_on or today_utc(), utcnow()
    session.add(row)
    session.flush()
    recompute(session, tenant_id, [record_id])
    session.refresh(row)
    _audit(session, tenant_id, actor_id, "retention.closed", record_id, before, _snapshot(row))
    return row


def add_event(session: Session, tenant_id: str, actor_id: str | None, record_id: str, name: str,
              occurred_on: date | None = None) -> RetentionEvent:
    """Record a named event (the expiry of a permit, the end of a contract…) that starts a period."""
    name = (name or "").strip()
    if not name or len(name) > MAX_EVENT_NAME:
        raise BadInput(f"an event needs a name (at most {MAX_EVENT_NAME} characters)")
    row = row_of(session, tenant_id, record_id, lock=True)
    if row.state in FINAL or row.state in IN_DISPOSITION:
        raise Conflict(f"the record is {row.state}: its retention is decided")
    found = session.exec(select(RetentionEvent).where(RetentionEvent.record_id == record_id,
                                                      RetentionEvent.name == name)).first()
    if found is not None:
        raise Conflict(f"the event {name!r} is recorded already for this record ({found.occurred_on})")
    event = RetentionEvent(tenant_id=tenant_id, record_id=record_id, name=name,
                           occurred_on=occurred_on or today_utc(), recorded_by=actor_id)
    session.add(event)
    session.flush()
    before = _snapshot(row)
    recompute(session, tenant_id, [record_id])
    session.refresh(row)
    _audit(session, tenant_id, actor_id, "retention.event_recorded", record_id, before, _snapshot(row),
           event={"name": name, "occurred_on": event.occurred_on.isoformat()})
    return event


def review(session: Session, tenant_id: str, actor_id: str | None, record_id: str, decision: str,
           until: date | None = None, comment: str = "") -> RecordRetention:
    """An archivist's decision on a record in REVIEW: DESTROY or TRANSFER (it becomes ELIGIBLE for that),
    or RETAIN (RETAINED until ``until``, then reviewed again; without a date, permanently)."""
    decision = (decision or "").strip().upper()
    if decision not in ("DESTROY", "TRANSFER", "RETAIN"):
        raise BadInput("decision must be DESTROY, TRANSFER or RETAIN")
    row = row_of(session, tenant_id, record_id, lock=True)
    if row.state != RetentionState.review:
        raise Conflict(f"the record is {row.state}, not in REVIEW")
    if holds.held_among(session, tenant_id, [record_id]) and decision != "RETAIN":
        raise Conflict("the record is under an active hold")
    before = _snapshot(row)
    if decision == "RETAIN":
        if until is not None and until <= today_utc():
            raise BadInput("until must be a future date")
        row.state, row.due_date = RetentionState.retained, until
        row.action = FinalAction.review if until else None
    else:
        row.state, row.action = RetentionState.eligible, decision
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _audit(session, tenant_id, actor_id, "retention.reviewed", record_id, before, _snapshot(row),
           decision=decision, comment=comment[:2000])
    return row


def on_reclassified(session: Session, tenant_id: str, actor_id: str | None, record_id: str) -> None:
    """The record's class changed: a record not yet in a batch gets its schedule and due date again; one in
    a batch that has not run leaves it (the batch was built on the old class)."""
    row = session.exec(select(RecordRetention).where(RecordRetention.record_id == record_id)
                       .with_for_update()).first()
    if row is None or row.state == RetentionState.open or row.state in FINAL:
        return
    before = _snapshot(row)
    row.state, row.schedule_id, row.due_date, row.action, row.batch_id = (RetentionState.closed, None, None, None,
                                                                          None)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    recompute(session, tenant_id, [record_id])
    session.refresh(row)
    if _snapshot(row) != before:
        _audit(session, tenant_id, actor_id, "retention.recomputed", record_id, before, _snapshot(row),
               why="record.classified")


# ------------------------------------------------------------------------------------------- the sweep


def _shifted(session: Session, start, period: Period, *, is_date: bool):
    """SQL for ``start + period`` as a date, in the engine's own calendar arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(start, f"+{period.years} years", f"+{period.months} months", f"+{period.days} days")
    base = start if is_date else func.timezone("UTC", start)
    step = cast(literal(f"{period.years} years {period.months} months {period.days} days"), INTERVAL)
    return cast(base + step, Date)


def _due(session: Session, schedule: RetentionSchedule, closed_at, record_id, outer):
    """The SQL expression of a record's due date under ``schedule`` (NULL while its event has not come), in a
    statement over ``outer`` (records or record_retention) whose ``record_id`` and ``closed_at`` are given."""
    period = parse_period(schedule.period)
    if schedule.trigger == "event":
        event_day = (sa_select(RetentionEvent.occurred_on)
                     .where(RetentionEvent.record_id == record_id, RetentionEvent.name == schedule.trigger_event)
                     .correlate(outer).scalar_subquery())
        return _shifted(session, event_day, period, is_date=True)
    if schedule.trigger == "closed":
        return _shifted(session, closed_at, period, is_date=True)
    if schedule.trigger == "received":
        return _shifted(session, func.coalesce(Record.received_at, Record.registered_at), period, is_date=False)
    return _shifted(session, Record.registered_at, period, is_date=False)


def _assign(session: Session, tenant_id: str, schedule: RetentionSchedule, classes: list[str],
            only: list[str] | None, *, stale: bool = True) -> int:
    """CLOSED records of these classes (and, with ``stale``, RETAINED ones computed under another or an older
    rule; and event-triggered ones whose event came) get the schedule, its due date and its action. Up to
    three UPDATE … FROM records per schedule, each on its own state so the state index finds the rows."""
    permanent = schedule.final_action == FinalAction.retain_permanently
    due = _due(session, schedule, RecordRetention.closed_at, RecordRetention.record_id, RecordRetention)
    which = [RecordRetention.state == RetentionState.closed]
    if stale:
        which.append(and_(RecordRetention.state == RetentionState.retained,
                          or_(RecordRetention.schedule_id.is_(None), RecordRetention.schedule_id != schedule.id,
                              RecordRetention.updated_at < schedule.updated_at)))
    if schedule.trigger == "event" and not permanent:
        which.append(and_(RecordRetention.state == RetentionState.retained, RecordRetention.due_date.is_(None),
                          RecordRetention.schedule_id == schedule.id,
                          exists(sa_select(RetentionEvent.id).where(
                              RetentionEvent.record_id == RecordRetention.record_id,
                              RetentionEvent.name == schedule.trigger_event))))
    values: dict[str, Any] = {
        "state": RetentionState.retained, "schedule_id": schedule.id, "updated_at": utcnow(),
        "action": None if permanent else schedule.final_action,
        "due_date": None if permanent else due,
    }
    moved = 0
    for condition in which:
        conditions = [RecordRetention.record_id == Record.id, RecordRetention.tenant_id == tenant_id,
                      Record.classification.in_(classes), condition]
        if only is not None:
            conditions.append(RecordRetention.record_id.in_(only))
        moved += session.execute(_bulk(RecordRetention).where(*conditions).values(**values)).rowcount or 0
    return moved


def rules_changed_since_last_sweep(session: Session, tenant_id: str) -> bool:
    """Whether a schedule or a scheme of the plan changed since the start of the last sweep that moved
    records (less a minute, for a change whose transaction committed after that sweep began): only then are
    the RETAINED records re-examined, the one pass of the sweep that reads them all."""
    from dms.models import AuditEvent, ThesaurusScheme

    last = session.exec(select(AuditEvent.data).where(AuditEvent.chain == tenant_id,
                                                      AuditEvent.action == "retention.swept")
                        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    started = json.loads(last).get("started") if last else None
    if not started:
        return True
    since = datetime.fromisoformat(started) - RULES_MARGIN
    schedules = session.exec(select(func.max(RetentionSchedule.updated_at))
                             .where(RetentionSchedule.tenant_id == tenant_id)).one()
    schemes = session.exec(select(func.max(ThesaurusScheme.released_at)).where(
        or_(ThesaurusScheme.tenant_id.is_(None), ThesaurusScheme.tenant_id == tenant_id))).one()
    return any(moment is not None and _aware(moment) >= since for moment in (schedules, schemes))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def recompute(session: Session, tenant_id: str, only: list[str] | None = None,
              today: date | None = None, *, stale: bool = True) -> dict[str, int]:
    """Schedules and due dates (CLOSED -> RETAINED), then due records (RETAINED -> ELIGIBLE or REVIEW),
    for the whole tenant or ``only`` these records. Held records stay RETAINED."""
    today = today or today_utc()
    governed = retention_schedules.effective(session, tenant_id)
    by_schedule: dict[str, tuple[RetentionSchedule, list[str]]] = {}
    for uri, schedule in governed.items():
        by_schedule.setdefault(schedule.id, (schedule, []))[1].append(uri)
    retained = 0
    for schedule, classes in by_schedule.values():
        for start in range(0, len(classes), 500):
            retained += _assign(session, tenant_id, schedule, sorted(classes)[start:start + 500], only,
                                stale=stale)
    free = holds.not_held(session, tenant_id, RecordRetention.record_id, Record.classification)
    moved = {"retained": retained}
    for target, actions in ((RetentionState.eligible, [FinalAction.destroy, FinalAction.transfer]),
                            (RetentionState.review, [FinalAction.review])):
        conditions = [
            RecordRetention.record_id == Record.id,
            RecordRetention.tenant_id == tenant_id,
            RecordRetention.state == RetentionState.retained,
            RecordRetention.due_date.is_not(None),
            RecordRetention.due_date <= today,
            RecordRetention.action.in_([a.value for a in actions]),
            free,
        ]
        if only is not None:
            conditions.append(RecordRetention.record_id.in_(only))
        moved[target.value.lower()] = session.execute(
            _bulk(RecordRetention).where(*conditions).values(state=target, updated_at=utcnow())).rowcount or 0
    return moved


def _ended():
    """The records the sweep cuts off: mail whose workflow is closed, and cancelled registrations."""
    return or_(Record.status == "closed", Record.cancelled == True)  # noqa: E712


def _create_rows(session: Session, tenant_id: str, today: date, now: datetime, *,
                 batches: dict[str, DispositionBatch] | None = None) -> dict[str, int]:
    """The retention rows of the records that have none yet (registered since the last sweep), in one
    ``INSERT … SELECT`` that writes each row once in the state the sweep's steps would leave it in: OPEN;
    CLOSED (cut off today); RETAINED with its schedule, due date and action; ELIGIBLE or REVIEW when that date
    has passed and no hold covers it — or straight IN_BATCH in ``batches`` (final action -> the batch just
    proposed for it), when the caller proposes. The per-step path (create OPEN, cut off, ``recompute``,
    ``disposition.propose``) rewrote half a million rows three times over on the first sweep of a million
    records; tests/test_retention_bulk.py checks that both paths leave the same rows."""
    ended = _ended()
    free = holds.not_held(session, tenant_id, Record.id, Record.classification)
    cut_off = literal(today, type_=Date())  # closed today, and the day a due date must have passed
    states: list = [(~ended, literal(RetentionState.open.value))]
    schedule_ids: list = []
    due_dates: list = []
    actions: list = []
    batch_ids: list = []
    governed = retention_schedules.effective(session, tenant_id)
    by_schedule: dict[str, tuple[RetentionSchedule, list[str]]] = {}
    for uri, schedule in governed.items():
        by_schedule.setdefault(schedule.id, (schedule, []))[1].append(uri)
    for schedule, classes in by_schedule.values():
        ordered = sorted(classes)
        for start in range(0, len(ordered), 500):
            chosen = and_(ended, Record.classification.in_(ordered[start:start + 500]))
            schedule_ids.append((chosen, literal(schedule.id)))
            if schedule.final_action == FinalAction.retain_permanently:
                states.append((chosen, literal(RetentionState.retained.value)))
                continue
            due = _due(session, schedule, cut_off, Record.id, Record)
            action = str(schedule.final_action)
            batch = (batches or {}).get(action)
            passed = (RetentionState.review if action == FinalAction.review
                      else RetentionState.in_batch if batch is not None else RetentionState.eligible)
            has_passed = and_(due <= cut_off, free)
            states.append((chosen, case((has_passed, literal(passed.value)),
                                        else_=literal(RetentionState.retained.value))))
            due_dates.append((chosen, due))
            actions.append((chosen, literal(action)))
            if batch is not None:
                batch_ids.append((and_(chosen, has_passed), literal(batch.id)))

    def when(branches: list):
        return case(*branches, else_=null()) if branches else null()

    stamp = literal(now, type_=UTCDateTime())
    query = sa_select(
        Record.id, Record.tenant_id, case(*states, else_=literal(RetentionState.closed.value)),
        case((ended, cut_off), else_=null()), when(schedule_ids), when(due_dates), when(actions), when(batch_ids),
        stamp,
    ).where(Record.tenant_id == tenant_id,
            ~exists(sa_select(RecordRetention.record_id).where(RecordRetention.record_id == Record.id)))
    columns = ["record_id", "tenant_id", "state", "closed_at", "schedule_id", "due_date", "action", "batch_id",
               "updated_at"]
    session.execute(insert(RecordRetention).execution_options(synchronize_session=False)
                    .from_select(columns, query))
    made = dict.fromkeys(("closed", "retained", "eligible", "review", "in_batch"), 0)
    rows = session.execute(sa_select(RecordRetention.state, func.count()).where(
        RecordRetention.tenant_id == tenant_id, RecordRetention.state != RetentionState.open.value,
        RecordRetention.updated_at == stamp).group_by(RecordRetention.state)).all()
    for state, count in rows:
        made["closed"] += count
        if state != RetentionState.closed:
            made["retained"] += count
        key = str(state).lower()
        if key in ("eligible", "review", "in_batch"):
            made[key] += count
    return made


def _propose_ahead(session: Session, tenant_id: str) -> dict[str, DispositionBatch]:
    """Empty batches (DESTROY, TRANSFER) for ``_create_rows`` to fill, numbered by ``_proposed``."""
    batches = {}
    for n, action in enumerate((FinalAction.destroy, FinalAction.transfer), start=1):
        batch = DispositionBatch(tenant_id=tenant_id, number=-n, action=action, state=BatchState.proposed)
        session.add(batch)
        batches[action.value] = batch
    session.flush()
    return batches


def _proposed(session: Session, tenant_id: str, actor_id: str | None,
              batches: dict[str, DispositionBatch]) -> list[tuple[DispositionBatch, int]]:
    """The batches ``_create_rows`` filled get their number and the audit event of ``disposition.propose``;
    empty ones go (in the same transaction: nobody saw them)."""
    from dms.disposition import AUDIT_IDS, _ids_for_audit, member_ids

    made = []
    for action, batch in batches.items():
        count = session.exec(select(func.count()).select_from(RecordRetention)
                             .where(RecordRetention.batch_id == batch.id)).one()
        if not count:
            session.delete(batch)
            session.flush()
            continue
        batch.number = (session.exec(select(func.max(DispositionBatch.number))
                                     .where(DispositionBatch.tenant_id == tenant_id)).one() or 0) + 1
        batch.number = max(batch.number, 1)
        session.add(batch)
        session.flush()
        ids = member_ids(session, batch.id, limit=AUDIT_IDS)
        record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.batch.proposed",
                     object_type="disposition_batch", object_id=batch.id,
                     data={"number": batch.number, "action": action, "after": {"state": batch.state},
                           **_ids_for_audit(ids), "count": count})
        made.append((batch, count))
    return made


@dataclass
class SweepReport:
    tenants: int = 0
    created: int = 0
    closed: int = 0
    retained: int = 0
    eligible: int = 0
    review: int = 0
    proposed: int = 0
    batches: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"tenants": self.tenants, "created": self.created, "closed": self.closed, "retained": self.retained,
                "eligible": self.eligible, "review": self.review, "proposed": self.proposed,
                "batches": self.batches}


def sweep_tenant(session: Session, tenant_id: str, actor_id: str | None = None, *, today: date | None = None,
                 propose: bool = True) -> SweepReport:
    """One tenant's sweep in the caller's transaction; one audit event when anything moved."""
    today = today or today_utc()
    report = SweepReport(tenants=1)
    now = started = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # every statement below joins whole tables: hash joins, never a nested loop chosen on the stale
        # statistics of a freshly filled record_retention (the first sweep of a million records)
        session.execute(text("SET LOCAL enable_nestloop = off"))
        # and no JIT: compiling the first sweep's one big INSERT … SELECT took longer than running it
        session.execute(text("SET LOCAL jit = off"))
    have = session.exec(select(func.count()).select_from(RecordRetention)
                        .where(RecordRetention.tenant_id == tenant_id)).one()
    total = session.exec(select(func.count()).select_from(Record).where(Record.tenant_id == tenant_id)).one()
    made: list[tuple[DispositionBatch, int]] = []
    # new rows first (each in its final state), then the cut-off of the rows that were OPEN already: the
    # counts of _create_rows read the rows stamped ``now`` before the cut-off stamps any other
    if total > have:  # rows are never deleted: equal counts mean every record has its row already
        # a tenant's first sweep (no row yet) proposes its due records as it creates their rows; later ones
        # leave that to disposition.propose, so that they join the records already ELIGIBLE in one batch
        ahead = _propose_ahead(session, tenant_id) if propose and not have else None
        created = _create_rows(session, tenant_id, today, now, batches=ahead)
        report.created = total - have
        report.closed = created["closed"]
        report.retained, report.review = created["retained"], created["review"]
        report.eligible = created["eligible"] + created["in_batch"]
        if ahead:
            made = _proposed(session, tenant_id, actor_id, ahead)
    if have:  # else every row was just written in its final state (_create_rows): nothing left to do below
        # cut-off: mail whose workflow is closed, and cancelled registrations
        report.closed += session.execute(
            _bulk(RecordRetention)
            .where(RecordRetention.record_id == Record.id, RecordRetention.tenant_id == tenant_id,
                   RecordRetention.state == RetentionState.open, _ended())
            .values(state=RetentionState.closed, closed_at=today, updated_at=now)
        ).rowcount or 0
        # the RETAINED records are re-examined only when the rules changed since the last sweep
        moved = recompute(session, tenant_id, today=today, stale=rules_changed_since_last_sweep(session, tenant_id))
        report.retained += moved["retained"]
        report.eligible += moved["eligible"]
        report.review += moved["review"]
    if propose:
        from dms import disposition

        for batch, count in made + disposition.propose(session, tenant_id, actor_id):
            report.proposed += count
            report.batches.append({"id": batch.id, "number": batch.number, "action": batch.action,
                                   "records": count})
    if any((report.created, report.closed, report.retained, report.eligible, report.review, report.proposed)):
        record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.swept",
                     object_type="tenant", object_id=tenant_id,
                     data={**report.as_dict(), "today": today.isoformat(), "started": started.isoformat()})
    return report


def sweep(engine, tenant_id: str | None = None, actor_id: str | None = None, *, today: date | None = None,
          propose: bool = True) -> SweepReport:
    """Every tenant (or one), each in its own transaction. Running it twice changes nothing the second time."""
    from dms.db import unit_of_work

    with unit_of_work(engine, write=False) as session:
        tenants = [tenant_id] if tenant_id else list(session.exec(select(Tenant.id).order_by(Tenant.id)).all())
    total = SweepReport()
    for tid in tenants:
        with unit_of_work(engine) as session:
            one = sweep_tenant(session, tid, actor_id, today=today, propose=propose)
        for name in ("tenants", "created", "closed", "retained", "eligible", "review", "proposed"):
            setattr(total, name, getattr(total, name) + getattr(one, name))
        total.batches.extend(one.batches)
    return total


def schedule_sweep(session: Session, tenant_id: str | None = None, *, every_hours: int = 24,
                   propose: bool = True):
    """Queue a sweep job (kind ``retention_sweep``) that queues the next one ``every_hours`` after it ran."""
    from dms import jobs

    if every_hours < 0 or every_hours > 24 * 366:
        raise BadInput("every_hours must be between 0 (once) and 8784")
    return jobs.enqueue(session, SWEEP_JOB, {"every_hours": every_hours, "propose": propose}, tenant_id=tenant_id,
                        max_attempts=3)


def sweep_job(engine, job) -> None:
    """The scheduled sweep: sweeps, then queues the next run (the payload's ``every_hours``, 0: once)."""
    from datetime import timedelta

    from dms import jobs
    from dms.db import unit_of_work

    payload = jobs.payload(job)
    sweep(engine, job.tenant_id, propose=payload.get("propose", True))
    hours = int(payload.get("every_hours") or 0)
    if hours:
        with unit_of_work(engine) as session:
            following = schedule_sweep(session, job.tenant_id, every_hours=hours,
                                       propose=payload.get("propose", True))
            following.run_after = utcnow() + timedelta(hours=hours)


def counts(session: Session, tenant_id: str) -> dict[str, int]:
    rows = session.exec(select(RecordRetention.state, func.count()).where(RecordRetention.tenant_id == tenant_id)
                        .group_by(RecordRetention.state)).all()
    found = {state: n for state, n in rows}
    total = session.exec(select(func.count()).select_from(Record).where(Record.tenant_id == tenant_id)).one()
    found[RetentionState.open.value] = found.get(RetentionState.open.value, 0) + total - sum(found.values())
    return found


def open_batches(session: Session, tenant_id: str) -> int:
    return session.exec(select(func.count()).select_from(DispositionBatch).where(
        DispositionBatch.tenant_id == tenant_id,
        DispositionBatch.state.in_([BatchState.proposed, BatchState.approved, BatchState.awaiting_authorization,
                                    BatchState.authorized]))).one()
