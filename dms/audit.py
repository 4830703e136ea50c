"""Append-only, hash-chained audit events: each event's hash covers its content and the previous hash.

Appending locks the chain's head row, so concurrent writers of one tenant line up and every event gets the
next sequence number; editing, deleting or reordering a stored event breaks the chain, which ``verify`` finds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from dms.models import AuditEvent, AuditHead
from dms.models.base import utcnow

FEDERATION_CHAIN = "federation"
GENESIS = "0" * 64


def _event_hash(
    chain: str,
    seq: int,
    at: datetime,
    actor_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    data: str,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [chain, seq, at.isoformat(timespec="microseconds"), actor_id, action, object_type, object_id, data,
         prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_head(session: Session, tenant_id: str | None) -> AuditHead:
    """The chain's head row, locked until the transaction ends (created at the first event of a chain).

    ``records.register`` takes it before the register counter, so that every transaction that needs both
    takes them in the same order (head, then counter) whatever it did before, and hands it to ``record_event``.
    """
    chain = tenant_id or FEDERATION_CHAIN
    head = session.exec(select(AuditHead).where(AuditHead.chain == chain).with_for_update()).first()
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def record_event(
    session: Session,
    *,
    tenant_id: str | None,
    actor_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any] | None = None,
    head: AuditHead | None = None,
) -> AuditEvent:
    """Append an event to the tenant's chain (the federation's when ``tenant_id`` is None). ``head``: the
    chain's head already locked by ``lock_head`` in this transaction, which saves the statement."""
    chain = tenant_id or FEDERATION_CHAIN
    if head is None or head.chain != chain:
        head = lock_head(session, tenant_id)
    payload = json.dumps(data or {}, ensure_ascii=False, sort_keys=True, default=str)
    at = utcnow()
    seq = head.seq + 1
    digest = _event_hash(chain, seq, at, actor_id, action, object_type, object_id, payload, head.hash)
    event = AuditEvent(
        chain=chain,
        seq=seq,
        tenant_id=tenant_id,
        at=at,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=payload,
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq = seq
    head.hash = digest
    session.add(event)
    session.add(head)
    return event


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int
    event_id: int | None
    reason: str


def verify(session: Session, chain: str | None = None) -> tuple[int, list[ChainProblem]]:
    """Walk every chain (or one) and report the first break of each: altered, missing or reordered events."""
    chains = [chain] if chain else list(session.exec(select(AuditHead.chain)).all())
    checked = 0
    problems: list[ChainProblem] = []
    for name in chains:
        head = session.get(AuditHead, name)
        prev = GENESIS
        expected_seq = 1
        events = session.exec(select(AuditEvent).where(AuditEvent.chain == name).order_by(AuditEvent.seq))
        for event in events:
            checked += 1
            if event.seq != expected_seq:
                problems.append(ChainProblem(name, expected_seq, event.id, "missing or reordered event"))
                break
            recomputed = _event_hash(
                event.chain, event.seq, event.at, event.actor_id, event.action, event.object_type,
                event.object_id, event.data, event.prev_hash,
            )
            if event.prev_hash != prev or recomputed != event.hash:
                problems.append(ChainProblem(name, event.seq, event.id, "altered event"))
                break
            prev = event.hash
            expected_seq += 1
        else:
            if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
                problems.append(ChainProblem(name, expected_seq, None, "events missing at the end of the chain"))
    return checked, problems
