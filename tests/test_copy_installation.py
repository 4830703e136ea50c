"""Moving an embedded installation onto the production stack keeps every record, file, number and event."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from dms import audit, records
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import Conflict
from dms.installation_copy import copy_installation
from dms.models import Role
from dms.searching import search_records
from ingest import samples
from ingest.pipeline import Intake, ingest_file
from ingest.runtime import open_runtime
from tests.conftest import ES_URL, PG_URL, TIKA_URL, _libpq, make_tenant, s3_url_with_bucket


@pytest.fixture
def empty_production(tmp_path, embedded_runtime):
    name = f"dms_copy_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(_libpq(PG_URL), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    settings = embedded_runtime.settings.model_copy(update={
        "data_dir": tmp_path / "prod-var",
        "database_url": make_url(PG_URL).set(database=name).render_as_string(hide_password=False),
        "blob_url": s3_url_with_bucket(f"dms-copy-{uuid.uuid4().hex[:8]}"),
        "search_url": ES_URL,
        "search_index_name": f"dms-copy-{uuid.uuid4().hex[:8]}",
        "tika_url": TIKA_URL,
    })
    yield settings
    from dms.db import get_engine

    get_engine(settings.database_url).dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_embedded_installation_moves_to_production_whole(embedded_runtime, empty_production, tmp_path):
    source = embedded_runtime
    clerk = make_tenant(source)
    principal = Principal(user_id=None, email="cli", role=Role.admin, tenant_id=clerk.tenant_id)
    registered = []
    for seed in range(3):
        path = tmp_path / f"lettre-{seed}.pdf"
        letter = samples.letter_text(300 + seed)
        samples.write_pdf(letter, path)
        registered.append((ingest_file(source, principal, path, Intake(original_name=path.name)), letter, path))

    target = open_runtime(empty_production)
    report = copy_installation(source.backends, target.backends)
    assert report.rows["records"] == 3 and report.rows["files"] == 3 and report.blobs == 3 and report.indexed == 3

    with unit_of_work(target.backends.engine, write=False) as session:
        for done, letter, path in registered:
            record = records.get(session, clerk.tenant_id, done.record.id)
            assert record.reference == done.record.reference
            [file] = records.files_of(session, record)
            assert b"".join(target.backends.blobs.open(file.blob_key)) == path.read_bytes()
            found = search_records(session, target.backends.search, clerk.tenant_id, letter.surname)
            assert done.record.id in [hit["id"] for hit in found["hits"]]
        _, problems = audit.verify(session)
        assert problems == []

    # numbering goes on where it stopped, and a second copy into a non-empty target is refused
    with unit_of_work(target.backends.engine) as session:
        nxt = records.register(session, clerk.tenant_id, None, records.NewRecord(subject="après migration"))
    assert nxt.record.number == 4
    with pytest.raises(Conflict):
        copy_installation(source.backends, target.backends)
