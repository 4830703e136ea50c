"""Shared fixtures: the embedded stack in a temporary folder, and the production stack on the real services
started by scripts/services.sh (PostgreSQL, MinIO, Elasticsearch, Tika). A missing service fails the tests."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from dms import accounts
from dms.db import unit_of_work
from dms.migrate import upgrade
from dms.settings import Settings
from ingest.runtime import Runtime, open_runtime

PG_URL = os.environ.get("DMS_TEST_PG_URL", "postgresql+psycopg://dms:dms@127.0.0.1:5432/dms")
S3_URL = os.environ.get("DMS_TEST_S3_URL", "s3://minioadmin:minioadmin@127.0.0.1:9000/dms?secure=false")
ES_URL = os.environ.get("DMS_TEST_ES_URL", "http://127.0.0.1:9200")
TIKA_URL = os.environ.get("DMS_TEST_TIKA_URL", "http://127.0.0.1:9998")
# Debian's dovecot (scripts/services.sh); tests/intake_helpers.py gives each test its own folder
IMAP_URL = os.environ.get("DMS_TEST_IMAP_URL", "imap://dms:dms@127.0.0.1:1143/INBOX")
SEDA_DIR = Path(__file__).resolve().parents[2] / "shared/standards/seda-2.3"

STACKS = ["embedded", "production"]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head, dropped at the end."""
    name = f"dms_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(_libpq(PG_URL), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    from dms.db import get_engine

    get_engine(url).dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


#: The ``dms`` command installed beside this interpreter (the venv's).
DMS = str(Path(sys.executable).with_name("dms"))


@pytest.fixture
def cli(tmp_path):
    """``dms`` in a subprocess, as a user types it, on the embedded defaults in a fresh data folder (no DMS_
    setting of the test run leaks in), migrated. ``cli(*args)`` asserts success unless ``ok=False``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([DMS, *args], env=env, capture_output=True, text=True, timeout=180)
        if ok:
            assert done.returncode == 0, f"dms {' '.join(args)}: {done.stderr}"
        return done

    run("migrate")
    return run


def s3_url_with_bucket(bucket: str) -> str:
    base, _, query = S3_URL.partition("?")
    scheme_host = base.rsplit("/", 1)[0]
    return f"{scheme_host}/{bucket}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def production_settings(pg_database, tmp_path_factory) -> Settings:
    suffix = uuid.uuid4().hex[:10]
    return Settings(
        data_dir=tmp_path_factory.mktemp("prod-var"),
        database_url=pg_database,
        blob_url=s3_url_with_bucket(f"dms-test-{suffix}"),
        search_url=ES_URL,
        search_index_name=f"dms-test-{suffix}",
        tika_url=TIKA_URL,
        seda_schema_dir=SEDA_DIR,
    )


@pytest.fixture(scope="session")
def production_runtime(production_settings) -> Iterator[Runtime]:
    runtime = open_runtime(production_settings)
    runtime.backends.search.ensure()
    _PRODUCTION.append(runtime)
    yield runtime
    _PRODUCTION.remove(runtime)
    # every record the whole session created on PostgreSQL: current metadata present and valid SEDA 2.3
    assert_all_metadata_valid(runtime, "production database")


def embedded_settings_for(tmp_path: Path, **overrides) -> Settings:
    values = dict(data_dir=tmp_path / "var", search_url="embedded", tika_url="embedded", seda_schema_dir=SEDA_DIR)
    values.update(overrides)
    return Settings(**values)


def embedded_runtime_for(settings: Settings) -> Runtime:
    upgrade(settings.resolved_database_url)
    runtime = open_runtime(settings)
    runtime.backends.search.ensure()
    _EMBEDDED_THIS_TEST.append(runtime)
    return runtime


_EMBEDDED_THIS_TEST: list[Runtime] = []
_PRODUCTION: list[Runtime] = []
#: Records planted below the records service by tests marked ``raw_records`` (database contract tests):
#: they have no metadata by construction and are the only ones the walk leaves out.
_RAW_RECORD_IDS: set[str] = set()


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "raw_records: the test writes Record rows directly (below the records service); the "
        "metadata walk leaves out the records it creates")


def _records_without_metadata(runtime: Runtime) -> set[str]:
    from sqlmodel import select

    from dms.models import Record, RecordMetadataVersion

    with unit_of_work(runtime.backends.engine, write=False) as session:
        return set(session.exec(
            select(Record.id)
            .join(RecordMetadataVersion, RecordMetadataVersion.record_id == Record.id, isouter=True)
            .where(RecordMetadataVersion.id.is_(None))
        ).all())


def assert_all_metadata_valid(runtime: Runtime, where: str) -> None:
    """Walk every record of a database: its current metadata version must exist and validate against the
    official SEDA 2.3 XSD. Fails the run naming the first records that do not."""
    from sqlmodel import func, select

    from dms.models import Record, RecordMetadataVersion
    from metadata import MetadataError, validate

    engine = runtime.backends.engine
    with unit_of_work(engine, write=False) as session:
        latest = (
            select(RecordMetadataVersion.record_id, func.max(RecordMetadataVersion.version).label("version"))
            .group_by(RecordMetadataVersion.record_id)
            .subquery()
        )
        rows = session.exec(
            select(Record.id, Record.reference, RecordMetadataVersion.xml)
            .join(latest, latest.c.record_id == Record.id, isouter=True)
            .join(RecordMetadataVersion, (RecordMetadataVersion.record_id == latest.c.record_id)
                  & (RecordMetadataVersion.version == latest.c.version), isouter=True)
        ).all()
    rows = [row for row in rows if row[0] not in _RAW_RECORD_IDS]
    problems = []
    for record_id, reference, xml in rows:
        if xml is None:
            problems.append(f"{reference} ({record_id}): no metadata")
            continue
        try:
            validate(xml.encode("utf-8"), runtime.settings.seda_schema_dir)
        except MetadataError as exc:
            problems.append(f"{reference} ({record_id}): {exc}")
    if problems:
        pytest.fail(f"{len(problems)} of {len(rows)} record(s) in the {where} lack valid SEDA 2.3 metadata: "
                    + "; ".join(problems[:5]), pytrace=False)


@pytest.fixture(autouse=True)
def _every_record_has_valid_metadata(request) -> Iterator[None]:
    """After each test, walk the embedded databases it opened (the production one is walked at the end)."""
    raw = request.node.get_closest_marker("raw_records") is not None
    before = {id(rt): _records_without_metadata(rt) for rt in _PRODUCTION} if raw else {}
    _EMBEDDED_THIS_TEST.clear()
    yield
    opened, _EMBEDDED_THIS_TEST[:] = list(_EMBEDDED_THIS_TEST), []
    if raw:
        for runtime in [*opened, *_PRODUCTION]:
            _RAW_RECORD_IDS.update(_records_without_metadata(runtime) - before.get(id(runtime), set()))
    for runtime in opened:
        assert_all_metadata_valid(runtime, f"embedded database {runtime.settings.resolved_data_dir}")


@pytest.fixture
def embedded_runtime(tmp_path) -> Runtime:
    return embedded_runtime_for(embedded_settings_for(tmp_path))


@pytest.fixture(params=STACKS)
def runtime(request) -> Runtime:
    """The same test on both stacks: the embedded defaults and the real production services."""
    if request.param == "embedded":
        return request.getfixturevalue("embedded_runtime")
    return request.getfixturevalue("production_runtime")


@dataclass
class TenantUser:
    slug: str
    tenant_id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_tenant(runtime: Runtime, role: str = "clerk", slug: str | None = None) -> TenantUser:
    slug = slug or f"commune-{uuid.uuid4().hex[:8]}"
    email = f"{role}-{uuid.uuid4().hex[:8]}@{slug}.example"
    with unit_of_work(runtime.backends.engine) as session:
        try:
            tenant = accounts.get_tenant(session, slug)
        except Exception:
            tenant = accounts.create_tenant(session, slug, slug.title())
        accounts.create_user(session, email, role=role, tenant_slug=slug)
        token = accounts.create_token(session, email)
    return TenantUser(slug=slug, tenant_id=tenant.id, email=email, token=token)


@pytest.fixture
def client(runtime) -> TestClient:
    from api.app import create_app

    return TestClient(create_app(runtime.settings, runtime))
