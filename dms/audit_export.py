"""Export of a tenant's audit chain, for an auditor or the State Archives: every event in chain order with
its hash and the previous one, so whoever receives the file can re-walk the chain themselves
(``dms.audit._event_hash`` documents the canonical form: the JSON array of chain, seq, at, actor, action,
object type, object id, data, previous hash).

JSON Lines (one event per line, streamed) or CSV (UTF-8 with BOM, ``;``, what a spreadsheet opens).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from dms.db import unit_of_work
from dms.errors import BadInput
from dms.models import AuditEvent

FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
COLUMNS = ("chain", "seq", "at", "actor_id", "action", "object_type", "object_id", "data", "prev_hash", "hash")
PAGE = 1000


def _row(event: AuditEvent) -> dict[str, Any]:
    return {"chain": event.chain, "seq": event.seq, "at": event.at.isoformat(timespec="microseconds"),
            "actor_id": event.actor_id, "action": event.action, "object_type": event.object_type,
            "object_id": event.object_id, "data": event.data, "prev_hash": event.prev_hash, "hash": event.hash}


def events(engine: Engine, chain: str) -> Iterator[dict[str, Any]]:
    """The chain's events in order, read page by page (a long chain never sits in memory)."""
    after = 0
    while True:
        with unit_of_work(engine, write=False) as session:
            page = list(session.exec(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq > after)
                                     .order_by(AuditEvent.seq).limit(PAGE)).all())
        if not page:
            return
        for event in page:
            yield _row(event)
        after = page[-1].seq


def export(engine: Engine, tenant_id: str, fmt: str = "jsonl") -> Iterator[bytes]:
    """The tenant's chain as JSON Lines or CSV, chunk by chunk."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}: jsonl or csv")
    if fmt == "jsonl":
        for row in events(engine, tenant_id):
            yield (json.dumps(row, ensure_ascii=False) + "\n").encode()
        return
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield out.getvalue().encode("utf-8-sig")
    for row in events(engine, tenant_id):
        out.seek(0)
        out.truncate()
        writer.writerow([row[c] for c in COLUMNS])
        yield out.getvalue().encode()
