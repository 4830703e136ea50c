"""The two stacks a benchmark runs on, each fresh: the embedded one in a temporary folder, the production one
on the shared services (scripts/services.sh) in a database, bucket and index of its own, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from dms.migrate import upgrade
from dms.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEDA = ROOT.parent / "shared/standards/seda-2.3"


def service_urls() -> dict[str, str]:
    """From `eval "$(scripts/services.sh env)"` (DMS_*) or the test variables (DMS_TEST_*), else the defaults."""
    def pick(name: str, default: str) -> str:
        return os.environ.get(f"DMS_TEST_{name}_URL") or os.environ.get(f"DMS_{name}_URL_PROD") or default

    return {
        "database": pick("PG", os.environ.get("DMS_DATABASE_URL") or "postgresql+psycopg://dms:dms@127.0.0.1:5432/dms"),
        "blobs": pick("S3", os.environ.get("DMS_BLOB_URL") or "s3://minioadmin:minioadmin@127.0.0.1:9000/dms?secure=false"),
        "search": pick("ES", os.environ.get("DMS_SEARCH_URL", "").startswith("http") and os.environ["DMS_SEARCH_URL"]
                       or "http://127.0.0.1:9200"),
        "tika": pick("TIKA", os.environ.get("DMS_TIKA_URL", "").startswith("http") and os.environ["DMS_TIKA_URL"]
                     or "http://127.0.0.1:9998"),
    }


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_stack(kind: str, work: Path, **overrides) -> Iterator[Settings]:
    """Settings for an empty, migrated installation of ``kind`` (embedded or production)."""
    if kind == "embedded":
        settings = Settings(data_dir=work / "var", database_url="", blob_url="", search_url="embedded",
                            tika_url="embedded", seda_schema_dir=SEDA, **overrides)
        upgrade(settings.resolved_database_url)
        yield settings
        return
    urls = service_urls()
    suffix = uuid.uuid4().hex[:8]
    name = f"dms_bench_{suffix}"
    admin = psycopg.connect(_libpq(urls["database"]), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base, _, query = urls["blobs"].partition("?")
    settings = Settings(
        data_dir=work / "var",
        database_url=make_url(urls["database"]).set(database=name).render_as_string(hide_password=False),
        blob_url=f"{base.rsplit('/', 1)[0]}/dms-bench-{suffix}" + (f"?{query}" if query else ""),
        search_url=urls["search"], search_index_name=f"dms-bench-{suffix}", tika_url=urls["tika"],
        seda_schema_dir=SEDA, **overrides)
    upgrade(settings.database_url)
    try:
        yield settings
    finally:
        from dms.backends import open_backends
        from dms.db import get_engine

        backends = open_backends(settings)
        try:
            backends.search.delete_index()
            for key in backends.blobs.keys():
                backends.blobs.delete(key)
        except Exception:  # noqa: BLE001, S110 (cleanup is best effort)
            pass
        get_engine(settings.database_url).dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
