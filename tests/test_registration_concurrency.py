"""Registration under concurrency: the short locked section (records.prepare / records.allocate) and group
commit (dms/registrar.py) keep numbers gap-free and unique, audit chains intact and metadata exact."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from dms import audit, record_metadata, records, register_settings
from dms.db import unit_of_work
from dms.models import AuditEvent, Record, RecordMetadataVersion, RegisterKind
from dms.registrar import Registrar
from tests.conftest import make_tenant
from tests.test_records_api import LETTER, letter_pdf, upload


def _numbers(runtime, tenant_id: str, register: RegisterKind = RegisterKind.incoming) -> list[int]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return sorted(session.exec(select(Record.number).where(
            Record.tenant_id == tenant_id, Record.register_code == register.value)).all())


def _assert_chain_and_metadata(runtime, tenant_id: str) -> None:
    """Every audit chain verifies, and each record has exactly one registration event and metadata version 1
    naming its own reference."""
    with unit_of_work(runtime.backends.engine, write=False) as session:
        _, problems = audit.verify(session)
        assert problems == []
        rows = session.exec(select(Record).where(Record.tenant_id == tenant_id)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.tenant_id == tenant_id,
                                                       AuditEvent.action == "record.registered")).all()
        assert sorted(e.object_id for e in events) == sorted(r.id for r in rows)
        for row in rows:
            version = record_metadata.get_version(session, row)
            assert version.version == 1
            assert record_metadata.parsed(version).registration_number == row.reference


def _wait_for_queue(registrar: Registrar, tenant_id: str, size: int) -> None:
    deadline = time.monotonic() + 60
    while len(registrar._queues.get(tenant_id, [])) < size:
        assert time.monotonic() < deadline, "the registrations never queued"
        time.sleep(0.01)


def test_the_document_has_the_reference_the_number_gave(runtime):
    """The metadata is built around a placeholder before the number exists; once the number is in, the stored
    document is byte for byte the one built with the reference, even with characters XML escapes."""
    tenant = make_tenant(runtime)
    engine = runtime.backends.engine
    with unit_of_work(engine) as session:
        register_settings.set_format(session, tenant.tenant_id, None, RegisterKind.incoming,
                                     "É&<{register}> {year}/{number:04d}")
    with unit_of_work(engine) as session:
        done = records.register(session, tenant.tenant_id, None, records.NewRecord(subject="Réclamation"),
                                schema_dir=runtime.settings.seda_schema_dir)
    assert done.record.reference == f"É&<E> {done.record.year}/0001"
    with unit_of_work(engine, write=False) as session:
        stored = record_metadata.get_version(session, done.record)
        rebuilt = record_metadata.build_document(record_metadata.describe_record(session, done.record),
                                                 runtime.settings.seda_schema_dir)
    assert stored.xml.encode() == rebuilt
    assert "DMSREFERENCE" not in stored.xml


def test_concurrent_uploads_through_the_api_on_postgresql_are_numbered_without_gap(production_runtime, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(production_runtime.settings, production_runtime))
    clerk = make_tenant(production_runtime)
    paths = [letter_pdf(tmp_path, LETTER + f" Dossier numéro {i}.", name=f"l{i}.pdf") for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda p: upload(client, clerk, p), paths))
    assert [a.status_code for a in answers] == [201] * len(paths), [a.text for a in answers if a.status_code != 201]
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == list(range(1, len(paths) + 1))
    assert _numbers(production_runtime, clerk.tenant_id) == numbers
    _assert_chain_and_metadata(production_runtime, clerk.tenant_id)


def test_many_registrars_and_threads_number_one_register_without_gap(runtime):
    """Two registrars (two processes' worth) and direct registrations, all at once on one register."""
    tenant = make_tenant(runtime)
    engine = runtime.backends.engine
    registrars = [Registrar(engine), Registrar(engine)]

    def client(n: int) -> list[int]:
        got = []
        for i in range(4):
            new = records.NewRecord(subject=f"client {n} courrier {i}")
            if n % 3 == 2:
                with unit_of_work(engine) as session:
                    got.append(records.register(session, tenant.tenant_id, None, new).record.number)
            else:
                got.append(registrars[n % 3].register(tenant.tenant_id, None, new).record.number)
        return got

    with ThreadPoolExecutor(max_workers=12) as pool:
        got = sorted(n for batch in pool.map(client, range(12)) for n in batch)
    assert got == list(range(1, 49))
    assert _numbers(runtime, tenant.tenant_id) == got
    _assert_chain_and_metadata(runtime, tenant.tenant_id)


def _blocked_leader(registrar: Registrar, tenant_id: str, release: threading.Event, pool: ThreadPoolExecutor):
    """A registration whose transaction stays open until ``release``: the ones submitted meanwhile queue up."""
    def hold(_session, _registered) -> None:
        assert release.wait(60)

    first = pool.submit(registrar.register, tenant_id, None, records.NewRecord(subject="premier"), then=hold)
    _wait_for_leader(registrar, tenant_id)
    return first


def _wait_for_leader(registrar: Registrar, tenant_id: str) -> None:
    deadline = time.monotonic() + 60
    while tenant_id not in registrar._leading or registrar._queues.get(tenant_id):
        assert time.monotonic() < deadline, "no leader"
        time.sleep(0.01)


def test_the_registrations_that_queue_are_committed_together(runtime):
    tenant = make_tenant(runtime)
    registrar = Registrar(runtime.backends.engine)
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=12) as pool:
        first = _blocked_leader(registrar, tenant.tenant_id, release, pool)
        rest = [pool.submit(registrar.register, tenant.tenant_id, None,
                            records.NewRecord(subject=f"courrier {i}", register=RegisterKind(kind)))
                for i, kind in enumerate("EEESEEISEE")]
        _wait_for_queue(registrar, tenant.tenant_id, len(rest))
        release.set()
        done = [first.result(60)] + [f.result(60) for f in rest]
    assert registrar.batches == 2  # the first alone, then the ten queued behind it in one transaction
    assert _numbers(runtime, tenant.tenant_id) == list(range(1, 9))
    assert _numbers(runtime, tenant.tenant_id, RegisterKind.outgoing) == [1, 2]
    assert _numbers(runtime, tenant.tenant_id, RegisterKind.internal) == [1]
    assert sorted(d.record.number for d in done if d.record.register_code == "E") == list(range(1, 9))
    assert all(d.job_ids for d in done)
    _assert_chain_and_metadata(runtime, tenant.tenant_id)


def test_a_failing_registration_in_a_batch_fails_alone(runtime):
    tenant = make_tenant(runtime)
    registrar = Registrar(runtime.backends.engine)
    release = threading.Event()

    def refuse(_session, _registered) -> None:
        raise RuntimeError("this one breaks its transaction")

    with ThreadPoolExecutor(max_workers=12) as pool:
        first = _blocked_leader(registrar, tenant.tenant_id, release, pool)
        rest = [pool.submit(registrar.register, tenant.tenant_id, None, records.NewRecord(subject=f"courrier {i}"),
                            then=refuse if i == 4 else None)
                for i in range(9)]
        _wait_for_queue(registrar, tenant.tenant_id, len(rest))
        release.set()
        assert first.result(60).record.number == 1
        outcomes = [f.exception(60) or f.result(60) for f in rest]
    assert isinstance(outcomes[4], RuntimeError)
    others = [o for i, o in enumerate(outcomes) if i != 4]
    assert sorted(o.record.number for o in others) == list(range(2, 10))  # the failed one's number was given back
    assert _numbers(runtime, tenant.tenant_id) == list(range(1, 10))
    _assert_chain_and_metadata(runtime, tenant.tenant_id)


def test_bad_input_is_refused_before_it_is_queued(runtime):
    tenant = make_tenant(runtime)
    registrar = Registrar(runtime.backends.engine)
    from dms.errors import BadInput

    with pytest.raises(BadInput):
        registrar.register(tenant.tenant_id, None, records.NewRecord(subject="x" * 501))
    with pytest.raises(BadInput):
        registrar.register(tenant.tenant_id, None, records.NewRecord(subject="ok", classification="urn:inconnu"))
    assert registrar.batches == 0
    assert registrar.register(tenant.tenant_id, None, records.NewRecord(subject="ok")).record.number == 1
    with unit_of_work(runtime.backends.engine, write=False) as session:
        assert len(session.exec(select(RecordMetadataVersion).where(
            RecordMetadataVersion.tenant_id == tenant.tenant_id)).all()) == 1
