"""100 records out of one commune as a SEDA 2.3 transfer bag, into another commune and another installation:
same metadata (but the identifiers that must change), byte-identical files."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import bagit
from sqlmodel import select

from dms import record_metadata, records, transfers
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.models import File, Record, RecordOrigin, Role
from ingest.runtime import Runtime
from ingest.transfers import import_bag
from metadata import RecordMetadata, parse_archive_transfer, validate
from tests.conftest import SEDA_DIR, embedded_runtime_for, embedded_settings_for, make_tenant
from tests.test_metadata_records import quick_record

REGISTERS = [records.RegisterKind.incoming, records.RegisterKind.outgoing, records.RegisterKind.internal]


def archivist(tenant_id: str) -> Principal:
    return Principal(user_id=None, email="archiviste@test", role=Role.archivist, tenant_id=tenant_id)


def make_hundred(runtime: Runtime, tenant_id: str) -> list[str]:
    ids = []
    for i in range(100):
        same_bytes = "Le même courrier envoyé deux fois.\n" if i in (10, 11) else None
        done = quick_record(runtime, tenant_id, i, register=REGISTERS[i % 3], text=same_bytes,
                            name=f"Lettre n° {i} (copie).txt" if i % 10 == 0 else None)
        ids.append(done.record.id)
    # a few records changed after registration: the export carries their current version
    with unit_of_work(runtime.backends.engine) as session:
        for record_id in ids[:5]:
            records.update(session, tenant_id, None, record_id, {"description": "Complété par le greffe"},
                           schema_dir=runtime.settings.seda_schema_dir)
    return ids


def current(runtime: Runtime, tenant_id: str, record_id: str) -> tuple[Record, RecordMetadata, dict[str, bytes]]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        record = records.get(session, tenant_id, record_id)
        meta = record_metadata.parsed(record_metadata.get_version(session, record))
        rows = session.exec(select(File).where(File.record_id == record_id)).all()
    contents = {row.sha256: b"".join(runtime.backends.blobs.open(row.blob_key)) for row in rows}
    return record, meta, contents


def comparable(meta: RecordMetadata, keep_agency: bool) -> RecordMetadata:
    """What must survive a transfer: everything but the identity the target gives the record."""
    return replace(
        meta,
        identifier=None,
        registration_number=None,
        registered=None,
        updated=None,
        custodial_history=(),
        related=(),
        originating_agency=meta.originating_agency if keep_agency else None,
        files=tuple(replace(f, id="file") for f in meta.files),
    )


def check_imported(source: Runtime, source_tenant, target: Runtime, target_tenant_id: str,
                   report: transfers.ImportReport, *, same_agency: bool) -> None:
    assert len(report.imported) == 100 and not report.failed and not report.skipped
    by_reference = {}
    with unit_of_work(source.backends.engine, write=False) as session:
        for record in session.exec(select(Record).where(Record.tenant_id == source_tenant.tenant_id)).all():
            by_reference[record.reference] = record.id
    for item in report.imported:
        src_record, src_meta, src_files = current(source, source_tenant.tenant_id, by_reference[item["source"]])
        new_record, new_meta, new_files = current(target, target_tenant_id, item["id"])
        assert comparable(new_meta, same_agency) == comparable(src_meta, same_agency)
        assert new_meta.identifier == new_record.id != src_record.id
        assert new_meta.registration_number == new_record.reference
        assert new_record.register_code == src_record.register_code
        assert new_meta.related == (src_record.reference,)
        assert src_record.reference in new_meta.custodial_history[-1]
        assert source_tenant.slug in new_meta.custodial_history[-1]
        assert {f.sha256 for f in new_meta.files} == {f.sha256 for f in src_meta.files}
        assert new_files == src_files  # byte for byte, keyed by SHA-256
        for digest, data in new_files.items():
            assert hashlib.sha256(data).hexdigest() == digest
    with unit_of_work(target.backends.engine, write=False) as session:
        origins = session.exec(select(RecordOrigin).where(RecordOrigin.tenant_id == target_tenant_id)).all()
    assert len(origins) == 100
    assert {o.source_agency_identifier for o in origins} == {source_tenant.slug}


def test_a_hundred_records_round_trip(runtime, tmp_path):
    source = make_tenant(runtime, role="archivist")
    ids = make_hundred(runtime, source.tenant_id)

    done = transfers.export_transfer(runtime.backends, source.tenant_id, None, ids, tmp_path / "bag")
    assert (done.records, done.files) == (100, 99)  # two records share the same bytes: stored once
    bag = done.path
    message = (bag / "data/manifest.xml").read_bytes()
    validate(message, SEDA_DIR)  # the official SEDA 2.3 XSD
    checked = bagit.Bag(str(bag))
    checked.validate(fast=False)  # every checksum recomputed
    assert set(checked.algorithms) == {"sha256", "sha512"}
    assert len(parse_archive_transfer(message)) == 100

    # another commune of the same installation
    target = make_tenant(runtime, role="archivist")
    report = import_bag(runtime, archivist(target.tenant_id), bag, run_jobs=False)
    check_imported(runtime, source, runtime, target.tenant_id, report, same_agency=False)
    numbers = sorted(item["reference"] for item in report.imported)
    assert numbers[0].endswith("/00001") and len(set(numbers)) == 100

    # run again (an interrupted import is resumed): nothing twice
    again = import_bag(runtime, archivist(target.tenant_id), bag, run_jobs=False)
    assert len(again.skipped) == 100 and not again.imported and not again.failed

    # a second installation, where the same commune continues: same slug, so even the agency is the same
    other = embedded_runtime_for(embedded_settings_for(tmp_path / "second"))
    moved = make_tenant(other, role="archivist", slug=source.slug)
    report = import_bag(other, archivist(moved.tenant_id), bag, run_jobs=False)
    check_imported(runtime, source, other, moved.tenant_id, report, same_agency=True)


def test_imported_records_can_be_transferred_again(embedded_runtime, tmp_path):
    """A -> B -> C: the custodial history grows, the description and the bytes do not change."""
    runtime = embedded_runtime
    a, b, c = (make_tenant(runtime, role="archivist") for _ in range(3))
    ids = [quick_record(runtime, a.tenant_id, i).record.id for i in range(3)]
    first = transfers.export_transfer(runtime.backends, a.tenant_id, None, ids, tmp_path / "ab")
    in_b = import_bag(runtime, archivist(b.tenant_id), first.path)
    second = transfers.export_transfer(runtime.backends, b.tenant_id, None, [i["id"] for i in in_b.imported],
                                       tmp_path / "bc")
    in_c = import_bag(runtime, archivist(c.tenant_id), second.path)
    assert len(in_c.imported) == 3
    _, meta_a, files_a = current(runtime, a.tenant_id, ids[0])
    first_c = next(i for i in in_c.imported if i["source"] == in_b.imported[0]["reference"])
    _, meta_c, files_c = current(runtime, c.tenant_id, first_c["id"])
    assert len(meta_c.custodial_history) == 2
    assert a.slug in meta_c.custodial_history[0] and b.slug in meta_c.custodial_history[1]
    assert comparable(meta_c, False) == comparable(meta_a, False)
    assert files_c == files_a


def test_bag_files_are_where_the_message_says(embedded_runtime, tmp_path):
    runtime = embedded_runtime
    tenant = make_tenant(runtime)
    ids = [quick_record(runtime, tenant.tenant_id, i).record.id for i in range(2)]
    bag = transfers.export_transfer(runtime.backends, tenant.tenant_id, None, ids, tmp_path / "bag").path
    names = sorted(str(p.relative_to(bag)) for p in bag.rglob("*") if p.is_file())
    assert names[:2] == ["bag-info.txt", "bagit.txt"]
    assert "data/manifest.xml" in names
    content = [n for n in names if n.startswith("data/content/")]
    assert len(content) == 2 and all(Path(n).suffix == ".txt" for n in content)
    assert {"manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt",
            "tagmanifest-sha512.txt"} <= set(names)
    info = (bag / "bag-info.txt").read_text()
    assert "External-Identifier:" in info and "Source-Organization:" in info
