"""`dms backup` / `dms restore`: a whole installation or one tenant, on both stacks and across them."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import func, select

from dms import audit, records
from dms.accounts import Principal
from dms.backup import backup, read_manifest, restore
from dms.db import unit_of_work
from dms.errors import BadInput, Conflict
from dms.fsck import collect_orphans, fsck
from dms.migrate import upgrade
from dms.models import Record, Role
from dms.searching import search_records
from ingest import samples
from ingest.pipeline import Intake, ingest_file
from ingest.runtime import open_runtime
from tests.conftest import ES_URL, PG_URL, TIKA_URL, _libpq, embedded_settings_for, make_tenant, s3_url_with_bucket


@pytest.fixture
def installations(tmp_path):
    """Makes empty installations on either stack; each production one has its own database, bucket, index."""
    with ExitStack() as cleanup:
        def make(stack: str):
            folder = tmp_path / f"{stack}-{uuid.uuid4().hex[:6]}"
            if stack == "embedded":
                settings = embedded_settings_for(folder)
            else:
                name = f"dms_backup_{uuid.uuid4().hex[:8]}"
                admin = psycopg.connect(_libpq(PG_URL), autocommit=True)
                admin.execute(f'CREATE DATABASE "{name}"')
                suffix = uuid.uuid4().hex[:8]
                settings = embedded_settings_for(
                    folder, database_url=make_url(PG_URL).set(database=name).render_as_string(hide_password=False),
                    blob_url=s3_url_with_bucket(f"dms-backup-{suffix}"), search_url=ES_URL,
                    search_index_name=f"dms-backup-{suffix}", tika_url=TIKA_URL)

                def drop(settings=settings, admin=admin, name=name):
                    from dms.db import get_engine

                    get_engine(settings.database_url).dispose()
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    admin.close()
                    runtime = open_runtime(settings)
                    runtime.backends.search.delete_index()
                    for key in runtime.backends.blobs.keys():
                        runtime.backends.blobs.delete(key)

                cleanup.callback(drop)
            upgrade(settings.resolved_database_url)
            runtime = open_runtime(settings)
            runtime.backends.search.ensure()
            return runtime

        yield make


def _letters(runtime, tenant, tmp_path, seeds):
    principal = Principal(user_id=None, email="cli", role=Role.admin, tenant_id=tenant.tenant_id)
    done = []
    for seed in seeds:
        letter = samples.letter_text(seed)
        path = samples.write_pdf(letter, tmp_path / f"lettre-{seed}.pdf")
        done.append((ingest_file(runtime, principal, path, Intake(original_name=path.name)), letter, path))
    return done


def _found(runtime, tenant_id: str, word: str) -> list[str]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return [hit["id"] for hit in search_records(session, runtime.backends.search, tenant_id, word)["hits"]]


def _record_count(runtime, tenant_id: str) -> int:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return session.exec(select(func.count()).select_from(Record).where(Record.tenant_id == tenant_id)).one()


@pytest.mark.parametrize("source_stack,target_stack", [("embedded", "embedded"), ("production", "production"),
                                                        ("embedded", "production")])
def test_installation_backup_restores_into_a_fresh_installation(installations, tmp_path, source_stack, target_stack):
    source = installations(source_stack)
    clerk = make_tenant(source)
    other = make_tenant(source)
    registered = _letters(source, clerk, tmp_path, [700, 701]) + _letters(source, other, tmp_path, [702])
    report = backup(source.backends, tmp_path / "backup")
    assert report.rows["records"] == 3 and report.blobs == 3 and report.missing_blobs == []
    manifest = read_manifest(tmp_path / "backup")
    assert manifest["scope"] == "installation" and manifest["rows"]["files"] == 3

    target = installations(target_stack)
    restored = restore(target.backends, tmp_path / "backup")
    assert restored.indexed == 3 and restored.blobs == 3
    with unit_of_work(target.backends.engine, write=False) as session:
        for done, _letter, path in registered:
            record = records.get(session, done.record.tenant_id, done.record.id)
            assert record.reference == done.record.reference
            [file] = records.files_of(session, record)
            assert b"".join(target.backends.blobs.open(file.blob_key)) == path.read_bytes()
        _, problems = audit.verify(session)
        assert problems == []
    for done, letter, _path in registered:
        assert _found(target, done.record.tenant_id, letter.surname) == [done.record.id]
    check = fsck(target.backends)
    assert check.healthy and check.unreferenced == [] and check.checked == 3
    # numbering continues where the backup stopped
    with unit_of_work(target.backends.engine) as session:
        nxt = records.register(session, clerk.tenant_id, None, records.NewRecord(subject="après restauration"),
                               schema_dir=target.settings.seda_schema_dir)
    assert nxt.record.number == 3

    with pytest.raises(Conflict):  # not into a non-empty installation…
        restore(target.backends, tmp_path / "backup")
    again = restore(target.backends, tmp_path / "backup", replace=True)  # …unless told to replace it
    assert again.rows["records"] == 3 and _record_count(target, clerk.tenant_id) == 2


def test_tenant_backup_and_restore_touch_only_that_tenant(runtime, installations, tmp_path):
    commune = make_tenant(runtime)
    neighbour = make_tenant(runtime)
    kept = _letters(runtime, commune, tmp_path, [710, 711])
    theirs = _letters(runtime, neighbour, tmp_path, [712])
    report = backup(runtime.backends, tmp_path / "backup", tenant_id=commune.tenant_id)
    assert report.rows["records"] == 2 and report.rows["tenants"] == 1 and report.blobs == 2
    assert report.rows["users"] == 1 and report.rows["api_tokens"] == 1
    assert read_manifest(tmp_path / "backup")["tenant"]["slug"] == commune.slug

    # the tenant changes after the backup: one more record
    [(late, late_letter, _path)] = _letters(runtime, commune, tmp_path, [713])
    with pytest.raises(Conflict):
        restore(runtime.backends, tmp_path / "backup", tenant=commune.slug)
    with pytest.raises(BadInput):
        restore(runtime.backends, tmp_path / "backup", tenant=neighbour.slug)
    restored = restore(runtime.backends, tmp_path / "backup", tenant=commune.slug, replace=True)
    assert restored.rows["records"] == 2 and restored.indexed == 2

    assert _record_count(runtime, commune.tenant_id) == 2
    assert _found(runtime, commune.tenant_id, late_letter.surname) == []
    for done, letter, _path in kept:
        assert done.record.id in _found(runtime, commune.tenant_id, letter.surname)
    # the neighbour is untouched: rows, search, audit chain
    assert _record_count(runtime, neighbour.tenant_id) == 1
    assert _found(runtime, neighbour.tenant_id, theirs[0][1].surname) == [theirs[0][0].record.id]
    with unit_of_work(runtime.backends.engine, write=False) as session:
        # these two chains only: the session's database also holds chains other tests tamper with on purpose
        problems = [p for t in (commune.tenant_id, neighbour.tenant_id) for p in audit.verify(session, t)[1]]
    assert problems == []
    # the late record's blob is now unreferenced, and collectable
    check = fsck(runtime.backends, tenant_id=commune.tenant_id)
    assert check.healthy and len(check.unreferenced) == 1
    assert collect_orphans(runtime.backends, grace=timedelta(0), tenant_id=commune.tenant_id).removed \
        == check.unreferenced

    # the same tenant backup into a fresh installation of the other kind
    fresh = installations("production" if runtime.settings.search_url == "embedded" else "embedded")
    restore(fresh.backends, tmp_path / "backup", tenant=commune.slug)
    for done, letter, _path in kept:
        assert _found(fresh, commune.tenant_id, letter.surname) == [done.record.id]
    assert fsck(fresh.backends).healthy and fsck(fresh.backends).unreferenced == []
    with unit_of_work(fresh.backends.engine, write=False) as session:
        _, problems = audit.verify(session)
    assert problems == []
