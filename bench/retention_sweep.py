"""Benchmark of the retention sweep (dms/retention.py) over many records, on SQLite and PostgreSQL.

Why: the sweep must stay a handful of set-based statements (no Python loop per record), so that a commune
with a million registered records is swept in seconds. This builds a fresh database, a four-class plan with
schedules (DESTROY one year after registration, TRANSFER six months after cut-off, DESTROY two years after a
named event, one class without schedule), generates the records in SQL (``generate_series`` / a recursive CTE:
ten years of registration dates, half of them closed in the workflow), then times the first sweep (creates
every retention row, cuts off, computes due dates, marks due records eligible, proposes the batches) and a
second one (nothing left to do: idempotent), then the sweep of a month later (the records that fell due
in those 30 days move on and form new batches: the daily work in steady state). Prints one JSON object
on stdout; progress goes to stderr.

    .venv/bin/python bench/retention_sweep.py --engine sqlite --records 1000000
    .venv/bin/python bench/retention_sweep.py --engine postgresql --records 1000000 \\
        --pg-url postgresql+psycopg://dms:dms@127.0.0.1:5432/dms
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
from machine_info import describe  # bench/ (this script's folder) is on sys.path when run as a script
from sqlalchemy import Boolean, DateTime, Integer, func, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from dms import accounts, retention, retention_schedules, vocabulary
from dms.db import get_engine, unit_of_work
from dms.migrate import upgrade
from dms.models import Record, RecordRetention
from dms.models.base import utcnow

PLAN = "https://bench.example/plan/"
PLAN_TTL = f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@base <{PLAN}> .
<> a skos:ConceptScheme ; skos:prefLabel "Plan"@fr ; skos:hasTopConcept <a> , <b> , <c> , <d> .
<a> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "A" ; skos:prefLabel "A"@fr .
<b> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "B" ; skos:prefLabel "B"@fr .
<c> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "C" ; skos:prefLabel "C"@fr .
<d> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "D" ; skos:prefLabel "D"@fr .
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _filler(column) -> str | None:
    """A SQL literal for a NOT NULL column the generator does not set itself (columns other changes add)."""
    if column.nullable or column.server_default is not None:
        return None
    kind = column.type
    if isinstance(kind, Boolean):
        return "false"
    if isinstance(kind, Integer):
        return "0"
    if isinstance(kind, DateTime) or "DateTime" in type(kind).__name__:
        return "CURRENT_TIMESTAMP"
    if "JSON" in type(kind).__name__:
        return "'[]'"
    return "''"


def generate(engine, tenant_id: str, count: int) -> None:
    sqlite = engine.dialect.name == "sqlite"
    days = "datetime('now', '-' || (n % 3650) || ' days')" if sqlite else "now() - (n % 3650) * interval '1 day'"
    classes = f"'{PLAN}' || (CASE n % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'b' WHEN 2 THEN 'c' ELSE 'd' END)"
    chosen = {
        "id": "'bench-' || n", "tenant_id": f"'{tenant_id}'", "register_code": "'E'", "year": "2026", "number": "n",
        "reference": "'E/2026/' || n", "subject": "'Courrier ' || n", "description": "''", "language": "'fr'",
        "status": "CASE WHEN (n / 4) % 2 = 0 THEN 'closed' ELSE 'created' END", "registered_at": days,
        "updated_at": days, "cancelled": "false", "classification": classes, "keywords": "'[]'",
    }
    for column in Record.__table__.columns:
        if column.name not in chosen:
            value = _filler(column)
            if value is not None:
                chosen[column.name] = value
    names = ", ".join(chosen)
    values = ", ".join(chosen.values())
    if sqlite:
        sql = (f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) "  # noqa: S608
               f"INSERT INTO records ({names}) SELECT {values} FROM seq")  # our own column names and an int
    else:
        sql = f"INSERT INTO records ({names}) SELECT {values} FROM generate_series(1, {count}) AS n"  # noqa: S608
    with engine.begin() as conn:
        conn.execute(text(sql))
        # a third of the event-triggered records have had their event
        event_day = "date('now', '-3 years')" if sqlite else "(now() - interval '3 years')::date"
        conn.execute(text(
            "INSERT INTO retention_events (id, tenant_id, record_id, name, occurred_on, recorded_at) "  # noqa: S608
            f"SELECT 'ev-' || id, tenant_id, id, 'contract_end', {event_day}, CURRENT_TIMESTAMP FROM records "
            f"WHERE tenant_id = :t AND classification = '{PLAN}c' AND number % 3 = 0"), {"t": tenant_id})
    if not sqlite:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def run(url: str, count: int) -> dict:
    upgrade(url)
    engine = get_engine(url)
    with unit_of_work(engine) as session:
        tenant = accounts.create_tenant(session, f"bench-{uuid.uuid4().hex[:6]}", "Bench")
        vocabulary.import_skos(session, PLAN_TTL.encode(), filename="plan.ttl", kind="plan")
    with unit_of_work(engine) as session:
        for cls, trigger, event, period, action in (("a", "registered", None, "P1Y", "DESTROY"),
                                                    ("b", "closed", None, "P6M", "TRANSFER"),
                                                    ("c", "event", "contract_end", "P2Y", "DESTROY")):
            retention_schedules.put_schedule(session, tenant.id, None, class_uri=PLAN + cls, trigger=trigger,
                                             event=event, period=period, final_action=action)
        # set long before the sweeps, as in a commune (a rule changed since the last sweep re-examines every
        # RETAINED record once: dms.retention.rules_changed_since_last_sweep)
        long_ago = utcnow().replace(tzinfo=None) - timedelta(days=30)
        session.execute(text("UPDATE retention_schedules SET updated_at = :t"), {"t": long_ago})
        session.execute(text("UPDATE thesaurus_schemes SET released_at = :t"), {"t": long_ago})
    started = time.perf_counter()
    generate(engine, tenant.id, count)
    generated = time.perf_counter() - started
    log(f"{count} records generated in {generated:.1f} s")
    started = time.perf_counter()
    first = retention.sweep(engine, tenant.id, today=utcnow().date())
    first_s = time.perf_counter() - started
    log(f"first sweep {first_s:.1f} s: {first.as_dict()}")
    started = time.perf_counter()
    second = retention.sweep(engine, tenant.id, today=utcnow().date())
    second_s = time.perf_counter() - started
    log(f"second sweep {second_s:.1f} s: {second.as_dict()}")
    started = time.perf_counter()
    daily = retention.sweep(engine, tenant.id, today=utcnow().date() + timedelta(days=30))
    daily_s = time.perf_counter() - started
    log(f"sweep 30 days later {daily_s:.1f} s: {daily.as_dict()}")
    with unit_of_work(engine, write=False) as session:
        states = dict(session.exec(select(RecordRetention.state, func.count())
                                   .group_by(RecordRetention.state)).all())
    report = first.as_dict()
    report.pop("batches")
    return {"records": count, "generate_s": round(generated, 2), "first_sweep_s": round(first_s, 2),
            "second_sweep_s": round(second_s, 2), "month_later_sweep_s": round(daily_s, 2),
            "month_later_sweep": {k: v for k, v in daily.as_dict().items() if k != "batches"},
            "first_sweep": report,
            "second_sweep_changes": sum(v for k, v in second.as_dict().items() if k not in ("tenants", "batches")),
            "states": states}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("DMS_DATABASE_URL",
                                                           "postgresql+psycopg://dms:dms@127.0.0.1:5432/dms"))
    args = parser.parse_args()
    machine = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    if args.engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-retention-") as tmp:
            result = run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.records)
    else:
        name = f"dms_bench_{uuid.uuid4().hex[:8]}"
        admin_url = make_url(args.pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
        admin = psycopg.connect(admin_url, autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
            result = run(url, args.records)
            get_engine(url).dispose()
            _print(args.engine, machine, result)
        finally:
            for _attempt in range(10):  # autovacuum may still be working on the fresh tables
                try:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                    break
                except psycopg.errors.ObjectInUse:
                    time.sleep(3)
            admin.close()
        return
    _print(args.engine, machine, result)


def _print(engine: str, machine: dict, result: dict) -> None:
    machine = {**machine, **describe()}  # with the load average at the end of the run: the machine is shared
    print(json.dumps({"benchmark": "retention_sweep", "engine": engine, "machine": machine, **result}, indent=2),
          flush=True)


if __name__ == "__main__":
    main()
