"""Which backend answers: the database and blob store are vital, search and extraction degrade gracefully."""

from __future__ import annotations

from sqlalchemy import text

from ingest.runtime import Runtime

VITAL = ("database", "blobs")


def _database_ok(runtime: Runtime) -> bool:
    try:
        with runtime.backends.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _safe(probe) -> bool:
    try:
        return bool(probe())
    except Exception:
        return False


def check_components(runtime: Runtime) -> dict:
    components = {
        "database": _database_ok(runtime),
        "blobs": _safe(runtime.backends.blobs.ping),
        "search": _safe(runtime.backends.search.ping),
        "extraction": _safe(runtime.extractor.ping),
    }
    if not all(components[name] for name in VITAL):
        status = "down"
    elif not all(components.values()):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "components": {name: "up" if ok else "down" for name, ok in components.items()}}
