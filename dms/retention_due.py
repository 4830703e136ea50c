"""The archivist's due list: the commune's records whose retention period has run out or soon will (a read,
for the web pages and any other caller; the rules that move records along are in ``dms.retention``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from dms.models import Record, RecordRetention, RetentionState
from dms.retention import IN_DISPOSITION, today_utc

#: The states of a record whose period has run out: due (ELIGIBLE, REVIEW) or on its way in a batch.
DUE_STATES = (RetentionState.eligible, RetentionState.review, *IN_DISPOSITION)
MAX_ROWS = 500


@dataclass(frozen=True)
class DueRecord:
    record_id: str
    reference: str
    subject: str
    classification: str | None
    state: str
    due_date: date | None
    action: str | None
    batch_id: str | None


def due_list(session: Session, tenant_id: str, *, within_days: int = 90, today: date | None = None,
             limit: int = MAX_ROWS) -> list[DueRecord]:
    """Records of ``tenant_id`` that are due (ELIGIBLE, REVIEW, or in a batch not yet run), or RETAINED with a
    due date within ``within_days`` days, soonest first. Another commune's records are never listed."""
    horizon = (today or today_utc()) + timedelta(days=max(0, min(within_days, 3660)))
    due = RecordRetention.state.in_([s.value for s in DUE_STATES])
    soon = (RecordRetention.state == RetentionState.retained.value) & (RecordRetention.due_date <= horizon)
    rows = session.exec(
        select(Record.id, Record.reference, Record.subject, Record.classification, RecordRetention.state,
               RecordRetention.due_date, RecordRetention.action, RecordRetention.batch_id)
        .join(RecordRetention, RecordRetention.record_id == Record.id)
        .where(RecordRetention.tenant_id == tenant_id, Record.tenant_id == tenant_id, due | soon)
        .order_by(RecordRetention.due_date, Record.reference)
        .limit(max(1, min(limit, MAX_ROWS)))
    ).all()
    return [DueRecord(*row) for row in rows]
