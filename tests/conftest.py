"""Shared fixtures: the embedded stack in a temporary folder, and the production stack on the real services
started by scripts/services.sh (PostgreSQL, MinIO, Elasticsearch, Tika). A missing service fails the tests."""

from __future__ import annotations

import os
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
def production_runtime(production_settings) -> Runtime:
    runtime = open_runtime(production_settings)
    runtime.backends.search.ensure()
    return runtime


def embedded_settings_for(tmp_path: Path, **overrides) -> Settings:
    values = dict(data_dir=tmp_path / "var", search_url="embedded", tika_url="embedded", seda_schema_dir=SEDA_DIR)
    values.update(overrides)
    return Settings(**values)


def embedded_runtime_for(settings: Settings) -> Runtime:
    upgrade(settings.resolved_database_url)
    runtime = open_runtime(settings)
    runtime.backends.search.ensure()
    return runtime


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
