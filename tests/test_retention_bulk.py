"""The first sweep of a commune writes every retention row once, in its final state (dms.retention._create_rows):
the rows, batches and report must be those of the per-step path (rows created OPEN, then cut off, given their
schedule and due date, made ELIGIBLE and proposed), which a commune whose rows already exist still takes."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from dms import audit, holds, retention, retention_schedules
from dms.db import unit_of_work
from dms.models import DispositionBatch, Record, RecordRetention, RetentionEvent
from tests.conftest import make_tenant
from tests.retention_data import (
    ARCHIVES,
    ARCHIVES_SUB,
    CONTRACTS,
    KEEP,
    PERMITS,
    SCHEDULES_CSV,
    register,
    retention_plan,
)

LATER = date.today() + timedelta(days=3 * 366)
# subject -> (class, workflow closed, cancelled, contract_end event, held)
MAIL = {
    "archivé clos": (ARCHIVES, True, False, False, False),
    "accusé ouvert": (ARCHIVES_SUB, False, False, False, False),
    "accusé clos": (ARCHIVES_SUB, True, False, False, False),
    "permis clos": (PERMITS, True, False, False, False),
    "marché échu": (CONTRACTS, True, False, True, False),
    "marché en cours": (CONTRACTS, True, False, False, False),
    "marché ouvert avec événement": (CONTRACTS, False, False, True, False),
    "délibération close": (KEEP, True, False, False, False),
    "sans classe close": (None, True, False, False, False),
    "archivé annulé": (ARCHIVES, False, True, False, False),
    "archivé clos sous blocage": (ARCHIVES, True, False, False, True),
}


def _commune(runtime) -> tuple[str, dict[str, str]]:
    tenant = make_tenant(runtime, role="archivist")
    t = tenant.tenant_id
    with unit_of_work(runtime.backends.engine) as session:
        retention_schedules.import_csv(session, t, None, SCHEDULES_CSV.encode())
    ids = {subject: register(runtime, t, subject, cls) for subject, (cls, *_rest) in MAIL.items()}
    with unit_of_work(runtime.backends.engine) as session:
        for subject, (_cls, closed, cancelled, event, _held) in MAIL.items():
            record = session.get(Record, ids[subject])
            record.status = "closed" if closed else record.status
            record.cancelled = cancelled
            session.add(record)
            if event:  # recorded as an import would: no retention row yet
                session.add(RetentionEvent(tenant_id=t, record_id=ids[subject], name="contract_end",
                                           occurred_on=date(2020, 1, 1)))
        held_ids = [ids[s] for s, spec in MAIL.items() if spec[4]]
        holds.place(session, t, None, name="Contentieux", record_ids=held_ids)
    return t, ids


def _rows(runtime, ids: dict[str, str]) -> dict[str, tuple]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        out = {}
        for subject, record_id in ids.items():
            row = session.get(RecordRetention, record_id)
            batch = session.get(DispositionBatch, row.batch_id) if row.batch_id else None
            out[subject] = (row.state, row.closed_at, row.due_date, row.action, row.schedule_id is not None,
                            (batch.number, batch.action, batch.state) if batch else None)
        return out


def test_first_sweep_in_bulk_leaves_the_rows_of_the_per_step_path(runtime):
    with retention_plan(runtime):
        bulk, bulk_ids = _commune(runtime)
        steps, step_ids = _commune(runtime)
        with unit_of_work(runtime.backends.engine) as session:  # rows OPEN already: the per-step path
            for record_id in step_ids.values():
                retention.row_of(session, steps, record_id)
        first = retention.sweep(runtime.backends.engine, bulk, today=LATER)
        reference = retention.sweep(runtime.backends.engine, steps, today=LATER)

        assert first.created == len(MAIL) and reference.created == 0
        for name in ("closed", "retained", "eligible", "review", "proposed"):
            assert getattr(first, name) == getattr(reference, name), name
        assert [(b["number"], b["action"], b["records"]) for b in first.batches] == \
            [(b["number"], b["action"], b["records"]) for b in reference.batches] == [(1, "DESTROY", 4)]
        got, expected = _rows(runtime, bulk_ids), _rows(runtime, step_ids)
        assert got == expected
        assert got["archivé clos"][0] == got["archivé annulé"][0] == got["marché échu"][0] == "IN_BATCH"
        assert got["accusé clos"][0] == "IN_BATCH"  # inherits its parent class's schedule
        assert got["archivé clos sous blocage"][0] == "RETAINED"  # a hold keeps it out of the batch
        assert got["marché en cours"][:3] == ("RETAINED", LATER, None)  # its event has not come
        permit = got["permis clos"]  # six months after its cut-off, today
        assert permit[0] == "RETAINED" and permit[1] == LATER and permit[2] > LATER and permit[3] == "TRANSFER"
        assert got["délibération close"][0] == got["sans classe close"][0] == "CLOSED"
        assert got["accusé ouvert"][0] == got["marché ouvert avec événement"][0] == "OPEN"

        # idempotent: the second sweep changes nothing; and the bulk commune's audit chain holds
        again = retention.sweep(runtime.backends.engine, bulk, today=LATER)
        assert not any((again.created, again.closed, again.retained, again.eligible, again.proposed))
        assert _rows(runtime, bulk_ids) == got
        with unit_of_work(runtime.backends.engine, write=False) as session:
            _checked, problems = audit.verify(session, bulk)
            assert problems == []
            proposed = session.exec(select(DispositionBatch).where(DispositionBatch.tenant_id == bulk)).all()
            assert [(b.number, b.action) for b in proposed] == [(1, "DESTROY")]  # the empty TRANSFER batch went


def test_first_sweep_without_proposal_leaves_due_records_eligible(runtime):
    with retention_plan(runtime):
        t, ids = _commune(runtime)
        report = retention.sweep(runtime.backends.engine, t, today=LATER, propose=False)
        assert report.eligible == 4 and report.proposed == 0
        rows = _rows(runtime, ids)
        assert rows["archivé clos"][0] == "ELIGIBLE" and rows["archivé clos"][5] is None
        assert retention.sweep(runtime.backends.engine, t, today=LATER).proposed == 4


def test_a_sweep_with_some_rows_already_counts_and_moves_as_the_per_step_path(runtime):
    with retention_plan(runtime):
        mixed, mixed_ids = _commune(runtime)
        steps, step_ids = _commune(runtime)
        with unit_of_work(runtime.backends.engine) as session:
            for subject in list(MAIL)[::2]:  # half the records have an OPEN row already (an archivist looked)
                retention.row_of(session, mixed, mixed_ids[subject])
            for record_id in step_ids.values():
                retention.row_of(session, steps, record_id)
        got = retention.sweep(runtime.backends.engine, mixed, today=LATER)
        expected = retention.sweep(runtime.backends.engine, steps, today=LATER)
        assert got.created == len(MAIL) - len(list(MAIL)[::2])
        for name in ("closed", "retained", "eligible", "review", "proposed"):
            assert getattr(got, name) == getattr(expected, name), name
        assert [(b["number"], b["records"]) for b in got.batches] == [(1, 4)]  # one batch, old and new rows
        assert _rows(runtime, mixed_ids) == _rows(runtime, step_ids)
