"""Registration numbers are unique and gap-free under concurrency, on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from dms import records
from dms.db import get_engine, unit_of_work
from dms.migrate import upgrade
from dms.models import Record, RegisterKind
from tests.conftest import make_tenant

CLIENTS = 24
PER_CLIENT = 5


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_runtime(request, tmp_path):
    if request.param == "sqlite":
        return request.getfixturevalue("embedded_runtime")
    return request.getfixturevalue("production_runtime")


def test_concurrent_registrations_have_no_gap_and_no_duplicate(engine_runtime):
    runtime = engine_runtime
    tenant = make_tenant(runtime)
    engine = runtime.backends.engine

    def register_many(client: int) -> list[str]:
        refs = []
        for i in range(PER_CLIENT):
            with unit_of_work(engine) as session:
                done = records.register(
                    session, tenant.tenant_id, None,
                    records.NewRecord(register=RegisterKind.incoming, subject=f"client {client} courrier {i}"),
                )
            refs.append(done.record.reference)
        return refs

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        refs = [ref for batch in pool.map(register_many, range(CLIENTS)) for ref in batch]
    numbers = sorted(int(r.rsplit("/", 1)[1]) for r in refs)
    assert numbers == list(range(1, CLIENTS * PER_CLIENT + 1))
    with unit_of_work(engine, write=False) as session:
        stored = session.exec(select(Record.number).where(Record.tenant_id == tenant.tenant_id)).all()
    assert sorted(stored) == numbers


def test_a_failed_transaction_gives_its_number_back(embedded_runtime):
    tenant = make_tenant(embedded_runtime)
    engine = embedded_runtime.backends.engine
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        records.register(session, tenant.tenant_id, None, records.NewRecord(subject="perdu"))
        raise RuntimeError("crash before commit")
    with unit_of_work(engine) as session:
        done = records.register(session, tenant.tenant_id, None, records.NewRecord(subject="gardé"))
    assert done.record.number == 1


def test_schema_migrates_on_an_empty_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    upgrade(url)  # idempotent
    with get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() is not None
