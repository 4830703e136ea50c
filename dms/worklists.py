"""The lists people work from: an agent's "my mail" (open mail assigned to them or routed to their services,
soonest due first) and the day's register a clerk checks before leaving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from dms import tenant_services
from dms.accounts import Principal
from dms.models import Record
from dms.permissions import Action, require

MAX_ROWS = 500


def my_mail(session: Session, principal: Principal, *, include_closed: bool = False) -> list[Record]:
    """Mail assigned to the principal or treated (or copied) by one of their services; due dates first."""
    tenant_id = require(principal, Action.record_read)
    services = tenant_services.service_ids_of(session, principal.user_id)
    wanted = [Record.assignee_id == principal.user_id]
    if services:
        wanted.append(Record.treating_service_id.in_(services))
    query = select(Record).where(Record.tenant_id == tenant_id, Record.cancelled == False, or_(*wanted))  # noqa: E712
    if not include_closed:
        query = query.where(Record.status != "closed")
    rows = list(session.exec(query.order_by(Record.registered_at.desc()).limit(MAX_ROWS)).all())
    if services:  # services in copy: JSON lists, filtered here rather than in SQL (portable)
        seen = {r.id for r in rows}
        copied = session.exec(
            select(Record).where(Record.tenant_id == tenant_id, Record.cancelled == False)  # noqa: E712
            .where(Record.status != "closed" if not include_closed else True)
            .order_by(Record.registered_at.desc()).limit(MAX_ROWS)
        ).all()
        rows += [r for r in copied if r.id not in seen and set(services) & set(r.copy_service_ids or [])]
    far = date.max
    return sorted(rows, key=lambda r: (r.due_date or far, r.registered_at))


def day_register(session: Session, principal: Principal, day: date) -> list[Record]:
    """Every record the tenant registered that UTC day, in register and number order (cancelled ones too)."""
    tenant_id = require(principal, Action.record_create)
    low = datetime.combine(day, time.min, tzinfo=UTC)
    return list(session.exec(
        select(Record).where(Record.tenant_id == tenant_id, Record.registered_at >= low,
                             Record.registered_at < low + timedelta(days=1))
        .order_by(Record.register_code, Record.number).limit(MAX_ROWS)
    ).all())
