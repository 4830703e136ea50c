"""A record's history as people read it: the audit trail's events about the record, oldest first, with who
acted (the audit chain itself stays the proof; this is a view of it)."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from dms import records
from dms.accounts import Principal
from dms.models import AuditEvent, User

MAX_EVENTS = 500


def events(session: Session, principal: Principal, record_id: str) -> list[dict]:
    record = records.get(session, principal.tenant_id or "", record_id, viewer=principal)
    rows = session.exec(
        select(AuditEvent, User.email).join(User, User.id == AuditEvent.actor_id, isouter=True)
        .where(AuditEvent.tenant_id == record.tenant_id, AuditEvent.object_type == "record",
               AuditEvent.object_id == record.id)
        .order_by(AuditEvent.at, AuditEvent.seq).limit(MAX_EVENTS)
    ).all()
    out = []
    for event, email in rows:
        try:
            data = json.loads(event.data or "{}")
        except ValueError:
            data = {}
        out.append({"at": event.at, "action": event.action, "actor": email or data.get("actor") or "",
                    "from": data.get("from"), "to": data.get("to"), "comment": data.get("comment") or "",
                    "reason": data.get("reason") or "", "changes": sorted((data.get("changes") or {}).keys())})
    return out
