"""The audit chain proves itself, and names the event that was tampered with."""

from __future__ import annotations

from sqlalchemy import text

from dms import audit, records
from dms.db import unit_of_work
from tests.conftest import make_tenant


def test_chain_verifies_then_breaks_on_an_edited_row(runtime):
    tenant = make_tenant(runtime)
    engine = runtime.backends.engine
    for i in range(3):
        with unit_of_work(engine) as session:
            records.register(session, tenant.tenant_id, None, records.NewRecord(subject=f"courrier {i}"))
    with unit_of_work(engine, write=False) as session:
        checked, problems = audit.verify(session, tenant.tenant_id)
    assert problems == [] and checked >= 5

    with unit_of_work(engine) as session:
        target = session.execute(
            text("SELECT id, seq FROM audit_events WHERE chain = :c AND action = 'record.registered' ORDER BY seq"),
            {"c": tenant.tenant_id},
        ).first()
        session.execute(text("UPDATE audit_events SET data = '{\"subject\": \"falsifié\"}' WHERE id = :id"),
                        {"id": target.id})
    with unit_of_work(engine, write=False) as session:
        _, problems = audit.verify(session, tenant.tenant_id)
    assert len(problems) == 1
    assert problems[0].event_id == target.id and problems[0].seq == target.seq
    assert problems[0].reason == "altered event"


def test_deleted_event_is_found(embedded_runtime):
    tenant = make_tenant(embedded_runtime)
    engine = embedded_runtime.backends.engine
    for i in range(3):
        with unit_of_work(engine) as session:
            records.register(session, tenant.tenant_id, None, records.NewRecord(subject=f"courrier {i}"))
    with unit_of_work(engine) as session:
        session.execute(text("DELETE FROM audit_events WHERE chain = :c AND seq = 2"), {"c": tenant.tenant_id})
    with unit_of_work(engine, write=False) as session:
        _, problems = audit.verify(session, tenant.tenant_id)
    assert problems and problems[0].seq == 2 and problems[0].reason == "missing or reordered event"
