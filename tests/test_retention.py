"""Retention and disposition (issue 7), on both stacks: every state to DESTROYED and to ACCESSIONED, the
blob gone and the tombstone and certificate kept, the audit chain intact; holds win in any order."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from dms import audit, disposition, holds, records, retention, retention_schedules
from dms.classification import classify
from dms.db import unit_of_work
from dms.errors import BadInput, Conflict
from dms.models import File, HoldRecord, Record, RecordRetention, Tombstone
from dms.searching import search_records
from ingest.worker import work
from metadata import validate
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
    state,
)

LATER = date.today() + timedelta(days=3 * 366)


@pytest.fixture
def archive(runtime):
    """A commune with the test plan and its schedules (imported from CSV)."""
    with retention_plan(runtime):
        tenant = make_tenant(runtime, role="archivist")
        with unit_of_work(runtime.backends.engine) as session:
            assert retention_schedules.import_csv(session, tenant.tenant_id, None, SCHEDULES_CSV.encode()) == {
                "lines": 3}
        yield tenant


def _uow(runtime, write=True):
    return unit_of_work(runtime.backends.engine, write=write)


def _blob_keys(runtime, record_id):
    with _uow(runtime, write=False) as session:
        return [f.blob_key for f in session.exec(select(File).where(File.record_id == record_id)).all()]


def _sweep(runtime, tenant, today=LATER, propose=True):
    return retention.sweep(runtime.backends.engine, tenant.tenant_id, today=today, propose=propose)


def _batch_of(runtime, record_id):
    with _uow(runtime, write=False) as session:
        return session.get(RecordRetention, record_id).batch_id


def _found(runtime, tenant_id, q):
    with _uow(runtime, write=False) as session:
        return [h["id"] for h in search_records(session, runtime.backends.search, tenant_id, q)["hits"]]


def _walk_to_authorized(runtime, tenant, batch_id, reference="AE/2026/0042"):
    t = tenant.tenant_id
    with _uow(runtime) as session:
        disposition.approve(session, t, None, batch_id)
    with _uow(runtime) as session:
        _, xml = disposition.request_authorization(session, t, None, batch_id,
                                                   schema_dir=runtime.settings.seda_schema_dir)
    with _uow(runtime) as session:
        disposition.authorize(session, t, None, batch_id, reference)
    return xml


def test_every_state_to_destroyed_and_to_accessioned(runtime, archive):
    t = archive.tenant_id
    shared = b"Accuse de reception identique dans deux dossiers\n"
    doomed = register(runtime, t, "Accusé de réception zorglubretention", ARCHIVES_SUB, content=shared)
    twin = register(runtime, t, "Même contenu, autre dossier", KEEP, content=shared)
    permit = register(runtime, t, "Permis de bâtir rue Haute", PERMITS)
    doomed_keys = _blob_keys(runtime, doomed)
    own = register(runtime, t, "Accusé sans jumeau", ARCHIVES, content=b"Contenu zorglubcontenu a detruire\n")
    own_keys = _blob_keys(runtime, own)
    assert state(runtime, doomed) == "OPEN"

    # OPEN -> CLOSED -> RETAINED (inherited schedule of the broader class, P1Y after registration)
    with _uow(runtime) as session:
        row = retention.close(session, t, None, doomed)
        assert row.state == "RETAINED"
        registered = session.get(Record, doomed).registered_at.date()
        assert row.due_date == date(registered.year + 1, registered.month, min(registered.day, 28)) or \
            row.due_date.year == registered.year + 1
        for record_id in (own, permit, twin):
            retention.close(session, t, None, record_id)
    assert state(runtime, twin) == "CLOSED"  # its class has no schedule

    # RETAINED -> ELIGIBLE (not proposed yet), then proposed: IN_BATCH
    report = _sweep(runtime, archive, propose=False)
    assert state(runtime, doomed) == "ELIGIBLE" and report.eligible == 3
    again = _sweep(runtime, archive, propose=False)
    assert again.as_dict() | {"tenants": 0} == retention.SweepReport().as_dict()  # idempotent
    report = _sweep(runtime, archive)
    assert report.proposed == 3 and state(runtime, doomed) == "IN_BATCH"
    first = _batch_of(runtime, doomed)

    # a batch given back before it runs: its records go to REVIEW; an archivist decides DESTROY again
    with _uow(runtime) as session:
        disposition.restore(session, t, None, first, "à revoir")
    assert state(runtime, doomed) == "REVIEW"
    with _uow(runtime) as session:
        retention.review(session, t, None, doomed, "DESTROY")
        retention.review(session, t, None, own, "DESTROY")
    assert state(runtime, doomed) == "ELIGIBLE"
    _sweep(runtime, archive)
    batch_id = _batch_of(runtime, doomed)
    assert batch_id and batch_id != first and state(runtime, doomed) == "IN_BATCH"

    with _uow(runtime) as session:
        disposition.approve(session, t, None, batch_id)
    assert state(runtime, doomed) == "APPROVED"
    with _uow(runtime) as session:
        _, xml = disposition.request_authorization(session, t, None, batch_id,
                                                   schema_dir=runtime.settings.seda_schema_dir)
    validate(xml, runtime.settings.seda_schema_dir)
    assert b"AuthorizationControlAuthorityRequest" in xml and doomed.encode() in xml
    assert state(runtime, doomed) == "AWAITING_AUTHORIZATION"
    with _uow(runtime) as session:
        disposition.authorize(session, t, None, batch_id, "AE/2026/0042")
    assert state(runtime, doomed) == "AUTHORIZED"

    work(runtime, threading.Event(), once=True)
    assert _found(runtime, t, "zorglubcontenu") == [own]
    done = disposition.execute(runtime.backends, t, None, batch_id, schema_dir=runtime.settings.seda_schema_dir)
    assert done.records == 2 and state(runtime, doomed) == "DESTROYED"
    # the shared bytes stay (the twin still uses them); the other record's blob is gone
    assert all(runtime.backends.blobs.exists(key) for key in doomed_keys)
    assert not any(runtime.backends.blobs.exists(key) for key in own_keys)
    with _uow(runtime, write=False) as session:
        tomb = session.get(Tombstone, own)
        assert tomb.batch_id == batch_id and tomb.files[0]["sha256"] in own_keys[0]
        assert tomb.authorization_reference == "AE/2026/0042"
        assert session.exec(select(File).where(File.record_id == own)).all() == []
        certificate = session.get(Record, done.certificate_record_id)
        files = records.files_of(session, certificate)
        assert certificate.reference and len(files) == 3
        xml_file = next(f for f in files if f.original_name.endswith(f"{done.batch.number}.xml")
                        and f.original_name.startswith("certificat"))
        cert_xml = b"".join(runtime.backends.blobs.open(xml_file.blob_key))
        own_ref = session.get(Record, own).reference
        pdf = next(f for f in files if f.mime == "application/pdf")
        assert b"".join(runtime.backends.blobs.open(pdf.blob_key)).startswith(b"%PDF")
    assert own_ref.encode() in cert_xml and tomb.files[0]["sha256"].encode() in cert_xml
    assert b"R1 Correspondance courante" in cert_xml

    # the destroyed content leaves the search index; the tombstone's metadata (subject) stays findable
    work(runtime, threading.Event(), once=True)
    assert _found(runtime, t, "zorglubcontenu") == []
    assert doomed in _found(runtime, t, "zorglubretention")

    # TRANSFER: the permit, 6 months after its cut-off
    _sweep(runtime, archive)
    transfer_batch = _batch_of(runtime, permit)
    assert transfer_batch and state(runtime, permit) == "IN_BATCH"
    _walk_to_authorized(runtime, archive, transfer_batch, "AE/2026/0043")
    sent = disposition.execute(runtime.backends, t, None, transfer_batch,
                               schema_dir=runtime.settings.seda_schema_dir)
    assert state(runtime, permit) == "TRANSFERRED" and (sent.transfer_path / "bagit.txt").exists()
    with _uow(runtime) as session:
        disposition.accession(session, t, None, transfer_batch, "AE-NAMUR/2026/17")
    assert state(runtime, permit) == "ACCESSIONED"

    with _uow(runtime, write=False) as session:
        checked, problems = audit.verify(session, t)
    assert problems == [] and checked > 20


def test_event_trigger_and_reclassification_recompute_the_due_date(runtime, archive):
    t = archive.tenant_id
    contract = register(runtime, t, "Marché de fournitures", CONTRACTS)
    with _uow(runtime) as session:
        row = retention.close(session, t, None, contract)
        assert row.state == "RETAINED" and row.due_date is None  # waits for its event
    with _uow(runtime) as session:
        retention.add_event(session, t, None, contract, "contract_end", date(2030, 1, 31))
    with _uow(runtime, write=False) as session:
        assert session.get(RecordRetention, contract).due_date == date(2032, 1, 31)
    with _uow(runtime) as session:
        with pytest.raises(Conflict):
            retention.add_event(session, t, None, contract, "contract_end", date(2030, 1, 31))
    # reclassified into the plan's class "1" (P1Y after registration): a new due date
    with _uow(runtime) as session:
        classify(session, t, None, contract, ARCHIVES, [])
    with _uow(runtime, write=False) as session:
        row = session.get(RecordRetention, contract)
        assert row.state == "RETAINED" and row.due_date.year == date.today().year + 1
    with _uow(runtime) as session:
        with pytest.raises(BadInput):
            retention_schedules.put_schedule(session, t, None, class_uri=KEEP, trigger="registered",
                                             period="PT5H", final_action="DESTROY")
        with pytest.raises(BadInput):
            retention_schedules.put_schedule(session, t, None, class_uri=KEEP, trigger="registered",
                                             period="10 ans", final_action="DESTROY")
        exported = retention_schedules.export_csv(session, t).decode("utf-8-sig")
    assert "contract_end;P2Y;DESTROY" in exported and "R2;closed;;P6M;TRANSFER" in exported


def test_a_held_record_is_never_proposed_approved_or_destroyed(runtime, archive):
    t = archive.tenant_id
    early, late, sneaky, free, by_class = (
        register(runtime, t, f"Accusé {name}", ARCHIVES) for name in ("early", "late", "sneaky", "free", "class"))
    with _uow(runtime) as session:
        for record_id in (early, late, sneaky, free, by_class):
            retention.close(session, t, None, record_id)
        # held before anything: never proposed
        first = holds.place(session, t, None, name="Litige Dupont", reason="recours au Conseil d'État",
                            mandate="avocat", owner="service juridique", record_ids=[early])
    _sweep(runtime, archive)
    assert state(runtime, early) == "RETAINED"
    batch_id = _batch_of(runtime, free)
    assert state(runtime, late) == "IN_BATCH" and _batch_of(runtime, late) == batch_id

    with _uow(runtime) as session:
        disposition.approve(session, t, None, batch_id)
        # a hold between approval and execution: the record leaves the batch at once
        holds.place(session, t, None, name="Enquête", reason="demande du parquet", record_ids=[late])
    assert state(runtime, late) == "ELIGIBLE" and _batch_of(runtime, late) is None
    with _uow(runtime) as session:
        disposition.request_authorization(session, t, None, batch_id, schema_dir=runtime.settings.seda_schema_dir)
        disposition.authorize(session, t, None, batch_id, "AE/2026/0099")
    # a hold written by a concurrent transaction that did not take the record out of the batch: execution
    # checks again and leaves it
    with _uow(runtime) as session:
        sneaky_hold = holds.place(session, t, None, name="Plainte", reason="x", record_ids=[free])
        session.add(HoldRecord(hold_id=sneaky_hold.id, record_id=sneaky, tenant_id=t))
    assert state(runtime, sneaky) == "AUTHORIZED"
    keys = {rid: _blob_keys(runtime, rid) for rid in (early, late, sneaky, free, by_class)}
    done = disposition.execute(runtime.backends, t, None, batch_id, schema_dir=runtime.settings.seda_schema_dir)
    assert done.records == 1 and state(runtime, by_class) == "DESTROYED"
    for record_id in (early, late, sneaky, free):
        assert state(runtime, record_id) in ("RETAINED", "ELIGIBLE"), record_id
        assert all(runtime.backends.blobs.exists(k) for k in keys[record_id])

    # lifting the holds, with a hold on the whole class placed meanwhile: still nothing proposed
    with _uow(runtime) as session:
        class_hold = holds.place(session, t, None, name="Archives du contentieux", reason="y", class_uri=ARCHIVES)
    with _uow(runtime, write=False) as session:
        active = [h for h in holds.list_holds(session, t, active=True) if h.id != class_hold.id]
    for hold in active:
        with _uow(runtime) as session:
            holds.lift(session, t, None, hold.id, "affaire close")
    _sweep(runtime, archive)
    assert {state(runtime, r) for r in (early, late, sneaky, free)} <= {"RETAINED", "ELIGIBLE"}
    # a used hold is lifted, never deleted; an unused one may be deleted
    with _uow(runtime) as session:
        holds.lift(session, t, None, class_hold.id, "fin du contentieux")
        with pytest.raises(Conflict):
            holds.delete(session, t, None, first.id)
        unused = holds.place(session, t, None, name="Sans objet", query="rien", query_ids=[]).id
    with _uow(runtime) as session:
        holds.delete(session, t, None, unused)
    _sweep(runtime, archive)
    assert {state(runtime, r) for r in (early, late, sneaky, free)} == {"IN_BATCH"}
    new_batch = _batch_of(runtime, early)  # the lifted holds still list it: a lifted hold does not count
    assert {_batch_of(runtime, r) for r in (late, sneaky, free)} == {new_batch}
    _walk_to_authorized(runtime, archive, new_batch)
    done = disposition.execute(runtime.backends, t, None, new_batch, schema_dir=runtime.settings.seda_schema_dir)
    assert done.records == 4


def test_execution_checks_holds_again_inside_its_transaction(runtime, archive):
    """A hold committed after execution took its list of records, before it locks them: the destroying
    transaction finds it, destroys nothing, and the next attempt goes ahead without the held record."""
    t = archive.tenant_id
    kept, gone = (register(runtime, t, f"Accusé {n}", ARCHIVES) for n in ("kept", "gone"))
    with _uow(runtime) as session:
        for record_id in (kept, gone):
            retention.close(session, t, None, record_id)
    _sweep(runtime, archive)
    batch_id = _batch_of(runtime, kept)
    _walk_to_authorized(runtime, archive, batch_id)
    snapshot, ids = disposition._snapshot_members(runtime.backends, t, batch_id, None)
    assert sorted(ids) == sorted([kept, gone])
    with _uow(runtime) as session:  # the concurrent hold, as another process commits it
        session.add(HoldRecord(hold_id=_a_hold(session, t), record_id=kept, tenant_id=t))
    assert disposition._destroy(runtime.backends, t, None, snapshot, ids, "test",
                                runtime.settings.seda_schema_dir) is None
    assert state(runtime, kept) == "ELIGIBLE" and state(runtime, gone) == "AUTHORIZED"
    done = disposition.execute(runtime.backends, t, None, batch_id, schema_dir=runtime.settings.seda_schema_dir)
    assert done.records == 1 and state(runtime, gone) == "DESTROYED" and state(runtime, kept) == "ELIGIBLE"


def _a_hold(session, tenant_id) -> str:
    """An active hold row without records, as a concurrent writer would have created it."""
    from dms.models import Hold

    row = Hold(tenant_id=tenant_id, name="Recours", used=True)
    session.add(row)
    session.flush()
    return row.id


def test_object_lock_legal_hold_refuses_deletion_in_the_store(production_runtime):
    """With an S3 bucket created with object lock, a hold is an S3 legal hold: the store itself refuses."""
    import uuid

    from dms.blobs import BlobLocked
    from dms.blobs.s3 import S3BlobStore
    from tests.conftest import s3_url_with_bucket

    store = S3BlobStore.from_url(s3_url_with_bucket(f"dms-lock-{uuid.uuid4().hex[:8]}") + "&object_lock=true")
    backends = production_runtime.backends
    locked = type(backends)(settings=backends.settings, engine=backends.engine, blobs=store, search=backends.search)
    tenant = make_tenant(production_runtime, role="archivist")
    blob = store.put(tenant.tenant_id, io.BytesIO(b"piece du dossier en litige\n"))
    with _uow(production_runtime) as session:
        record = records.register(session, tenant.tenant_id, None, records.NewRecord(
            subject="Pièce en litige", files=[records.NewFile(blob=blob, mime="text/plain", original_name="p.txt",
                                                              text="x", text_status=records.TextStatus.done)]))
        hold = holds.place(session, tenant.tenant_id, None, name="Litige", record_ids=[record.record.id])
    assert holds.sync_store(locked, tenant.tenant_id) == 1
    with pytest.raises(BlobLocked):
        store.delete(blob.key)
    with _uow(production_runtime) as session:
        holds.lift(session, tenant.tenant_id, None, hold.id)
    holds.sync_store(locked, tenant.tenant_id)
    store.delete(blob.key)
    assert not store.exists(blob.key)


def test_the_sweep_runs_as_a_scheduled_job_and_queues_the_next(embedded_runtime):
    from dms import jobs
    from dms.models import Job

    runtime = embedded_runtime
    with retention_plan(runtime):
        tenant = make_tenant(runtime, role="archivist")
        record_id = register(runtime, tenant.tenant_id, "Accusé planifié", ARCHIVES)
        with _uow(runtime) as session:
            retention_schedules.put_schedule(session, tenant.tenant_id, None, class_uri=ARCHIVES,
                                             trigger="closed", period="P1Y", final_action="DESTROY")
            retention.close(session, tenant.tenant_id, None, record_id, date(2001, 1, 1))
            job = retention.schedule_sweep(session, tenant.tenant_id, every_hours=24)
        assert state(runtime, record_id) == "ELIGIBLE"
        assert jobs.run_pending(runtime.backends.engine, runtime.handlers(), ids=[job.id]) == (1, 0)
        assert state(runtime, record_id) == "IN_BATCH"
        with _uow(runtime, write=False) as session:
            following = session.exec(select(Job).where(Job.kind == retention.SWEEP_JOB, Job.id != job.id)).one()
        assert following.status == "queued" and following.run_after > job.run_after


def test_a_changed_schedule_reaches_retained_records_at_the_next_sweep(embedded_runtime):
    runtime = embedded_runtime
    with retention_plan(runtime):
        tenant = make_tenant(runtime, role="archivist")
        t = tenant.tenant_id
        with _uow(runtime) as session:
            retention_schedules.import_csv(session, t, None, SCHEDULES_CSV.encode())
        kept, other = (register(runtime, t, f"Accusé {n}", ARCHIVES_SUB) for n in ("kept", "other"))
        with _uow(runtime) as session:
            registered = session.get(Record, kept).registered_at.date()
            retention.close(session, t, None, kept)
        assert _sweep(runtime, tenant, today=date.today()).created == 1  # the other record's row: recorded
        assert not _sweep(runtime, tenant, today=date.today()).retained  # nothing to redo
        with _uow(runtime) as session:
            retention_schedules.put_schedule(session, t, None, class_uri=ARCHIVES, trigger="registered",
                                             period="P5Y", final_action="TRANSFER")
        assert _sweep(runtime, tenant, today=date.today()).retained == 1
        with _uow(runtime, write=False) as session:
            row = session.get(RecordRetention, kept)
        assert row.due_date.year == registered.year + 5 and row.action == "TRANSFER"
        assert state(runtime, other) == "OPEN"
