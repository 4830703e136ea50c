"""One contract for the database port, run unchanged on SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from dms import jobs
from dms.db import unit_of_work
from dms.models import Job, JobStatus, Record
from tests.conftest import make_tenant


@pytest.fixture(params=["sqlite", "postgresql"])
def db_runtime(request):
    if request.param == "sqlite":
        return request.getfixturevalue("embedded_runtime")
    return request.getfixturevalue("production_runtime")


def test_migrations_match_the_models(db_runtime):
    with db_runtime.backends.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []


def test_each_job_is_claimed_by_exactly_one_worker(db_runtime):
    engine = db_runtime.backends.engine
    kind = f"contract-{id(db_runtime)}-{datetime.now().timestamp()}"
    with unit_of_work(engine) as session:
        for i in range(120):
            jobs.enqueue(session, kind, {"n": i})
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while batch := jobs.claim(engine, kinds=[kind], limit=7, worker=name):
            with lock:
                claimed.extend(job.id for job in batch)
            for job in batch:
                jobs.finish(engine, job)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(worker, [f"w{i}" for i in range(6)]))
    assert len(claimed) == 120 and len(set(claimed)) == 120
    with unit_of_work(engine, write=False) as session:
        states = session.exec(select(Job.status).where(Job.kind == kind)).all()
    assert set(states) == {JobStatus.done}


def test_a_crashed_workers_job_is_taken_back_after_its_lease(db_runtime):
    engine = db_runtime.backends.engine
    kind = f"lease-{datetime.now().timestamp()}"
    with unit_of_work(engine) as session:
        jobs.enqueue(session, kind, {})
    [job] = jobs.claim(engine, kinds=[kind], worker="dead-worker")
    assert jobs.claim(engine, kinds=[kind]) == []
    with unit_of_work(engine) as session:
        session.execute(update(Job).where(Job.id == job.id).values(locked_at=datetime.now(UTC) - timedelta(hours=1)))
    [again] = jobs.claim(engine, kinds=[kind], worker="new-worker")
    assert again.id == job.id and again.attempts == 2 and again.locked_by == "new-worker"


def test_failing_jobs_back_off_then_land_in_the_dead_letter_state(db_runtime):
    engine = db_runtime.backends.engine
    kind = f"dead-{datetime.now().timestamp()}"
    with unit_of_work(engine) as session:
        jobs.enqueue(session, kind, {}, max_attempts=2)

    def broken(_job):
        raise ValueError("document illisible")

    [job] = jobs.claim(engine, kinds=[kind])
    assert not jobs.run_job(engine, job, {kind: broken})
    assert jobs.claim(engine, kinds=[kind]) == []  # backing off
    with unit_of_work(engine) as session:
        session.execute(update(Job).where(Job.id == job.id).values(run_after=datetime.now(UTC)))
    [job] = jobs.claim(engine, kinds=[kind])
    assert not jobs.run_job(engine, job, {kind: broken})
    with unit_of_work(engine, write=False) as session:
        dead = [j for j in jobs.dead_jobs(session) if j.kind == kind]
    assert len(dead) == 1 and "document illisible" in dead[0].last_error
    with unit_of_work(engine) as session:
        jobs.retry(session, dead[0].id)
    [job] = jobs.claim(engine, kinds=[kind])
    assert jobs.run_job(engine, job, {kind: lambda _job: None})


@pytest.mark.raw_records  # Record rows written directly: no metadata by construction
def test_the_database_refuses_a_second_record_with_the_same_number(db_runtime):
    tenant = make_tenant(db_runtime)
    engine = db_runtime.backends.engine
    row = dict(tenant_id=tenant.tenant_id, register_code="E", year=2026, number=7, reference="E/2026/00007")
    with unit_of_work(engine) as session:
        session.add(Record(**row))
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        session.add(Record(**row))


@pytest.mark.raw_records  # Record rows written directly: no metadata by construction
def test_timestamps_come_back_in_utc(db_runtime):
    tenant = make_tenant(db_runtime)
    engine = db_runtime.backends.engine
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with unit_of_work(engine) as session:
        record = Record(tenant_id=tenant.tenant_id, register_code="I", year=2026, number=1,
                        reference="I/2026/00001", received_at=moment)
        session.add(record)
    with unit_of_work(engine, write=False) as session:
        stored = session.get(Record, record.id)
    assert stored.received_at == moment and stored.received_at.tzinfo is not None
