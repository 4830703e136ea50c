"""The access log: who read which record, metadata or file, and when (issue 11, GDPR accountability).

Reads are many and must not queue behind each other, so they are not links of the hash-chained audit trail
(whose head row every append locks): each read is one append-only row of ``access_events``, written in its
own short transaction before the data is sent. If the row cannot be written, the read fails: nobody reads
personal data unlogged. docs/decisions/0002-read-audit.md has the reasoning.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, select

from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.models import AccessEvent
from dms.models.base import utcnow

RECORD_READ = "record.read"
METADATA_READ = "metadata.read"
FILE_READ = "file.read"
SEARCH = "search"
SUBJECT_ACCESS = "subject_access"
MAX_LIST = 500
#: A search logs the ids of the hits it showed, up to this many.
MAX_LOGGED_HITS = 100


def _row(principal: Principal, tenant_id: str, action: str, record_id: str | None, file_id: str | None,
         detail: dict[str, Any] | None, at: datetime) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "at": at,
        "actor_id": principal.user_id,
        "actor_email": principal.email[:254],
        "action": action,
        "record_id": record_id,
        "file_id": file_id,
        "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
    }


def add(session: Session, principal: Principal, tenant_id: str, action: str, *, record_ids: Iterable[str] = (),
        file_id: str | None = None, detail: dict[str, Any] | None = None) -> int:
    """Log reads in the caller's transaction: one row per record (or one row without a record)."""
    at = utcnow()
    ids = list(dict.fromkeys(record_ids)) or [None]
    rows = [_row(principal, tenant_id, action, record_id, file_id, detail, at) for record_id in ids]
    session.execute(insert(AccessEvent), rows)
    return len(rows)


def log(engine: Engine, principal: Principal, tenant_id: str, action: str, *, record_id: str | None = None,
        file_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Log one read in its own transaction (the reads themselves run in read-only sessions)."""
    with unit_of_work(engine) as session:
        add(session, principal, tenant_id, action, record_ids=[record_id] if record_id else [], file_id=file_id,
            detail=detail)


def log_search(engine: Engine, principal: Principal, tenant_id: str, query: str, answer: dict) -> None:
    """A search shows the subject and highlights of each hit: one row per hit shown (so a record's log says
    who saw it in a result list), or one row without a record when nothing was found. One insert."""
    hits = [hit["id"] for hit in answer.get("hits", [])][:MAX_LOGGED_HITS]
    with unit_of_work(engine) as session:
        add(session, principal, tenant_id, SEARCH, record_ids=hits, detail={"q": query[:200]})


def for_record(session: Session, tenant_id: str, record_id: str, *, limit: int = 100,
               before: int | None = None) -> list[AccessEvent]:
    """The reads of one record, newest first (``before``: an event id, to page back)."""
    if not 1 <= limit <= MAX_LIST:
        raise BadInput(f"limit must be between 1 and {MAX_LIST}")
    query = select(AccessEvent).where(AccessEvent.tenant_id == tenant_id, AccessEvent.record_id == record_id)
    if before is not None:
        query = query.where(AccessEvent.id < before)
    return list(session.exec(query.order_by(AccessEvent.id.desc()).limit(limit)).all())


def to_dict(row: AccessEvent) -> dict:
    return {
        "id": row.id,
        "at": row.at,
        "actor_id": row.actor_id,
        "actor_email": row.actor_email,
        "action": row.action,
        "record_id": row.record_id,
        "file_id": row.file_id,
        "detail": json.loads(row.detail or "{}"),
    }


