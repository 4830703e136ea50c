"""The retention commands in a subprocess, as an archivist types them, and `dms audit verify` naming the event
someone edited directly in the database: on SQLite and on a PostgreSQL database of the test's own."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, _libpq
from tests.retention_data import PLAN_TTL, SCHEDULES_CSV, SCRAP

DMS = str(Path(sys.executable).with_name("dms"))


@pytest.fixture
def cli(request, tmp_path):
    """``dms`` on the embedded defaults; with the ``postgresql`` marker argument, on a fresh database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")
    admin = None
    if getattr(request, "param", "sqlite") == "postgresql":
        name = f"dms_cli_{uuid.uuid4().hex[:10]}"
        admin = psycopg.connect(_libpq(PG_URL), autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        env["DMS_DATABASE_URL"] = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([DMS, *args], env=env, capture_output=True, text=True, timeout=180)
        if ok:
            assert done.returncode == 0, f"dms {' '.join(args)}: {done.stderr}"
        return done

    run.env = env  # type: ignore[attr-defined]
    run("migrate")
    yield run
    if admin is not None:
        for _attempt in range(20):  # the subprocesses are gone; autovacuum may still be on the fresh tables
            try:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(1)
        admin.close()


def _tamper(cli, tmp_path: Path, action: str) -> tuple[int, int]:
    """Edit one audit row directly, as someone with database access would; returns its id and seq."""
    url = cli.env.get("DMS_DATABASE_URL")
    query = "SELECT id, seq FROM audit_events WHERE action = %s ORDER BY id LIMIT 1"
    edit = "UPDATE audit_events SET actor_id = 'quelqu-un' WHERE id = %s"
    if url:
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            row = conn.execute(query, (action,)).fetchone()
            conn.execute(edit, (row[0],))
    else:
        with sqlite3.connect(tmp_path / "var" / "dms.sqlite3") as conn:
            row = conn.execute(query.replace("%s", "?"), (action,)).fetchone()
            conn.execute(edit.replace("%s", "?"), (row[0],))
    return row[0], row[1]


def test_archivist_destroys_a_batch_from_the_command_line(cli, tmp_path):
    cli("tenant", "create", "ciney", "--name", "Ville de Ciney")
    plan = tmp_path / "plan.ttl"
    plan.write_text(PLAN_TTL)
    cli("thesaurus", "import", str(plan), "--kind", "plan")
    schedules = tmp_path / "tri.csv"
    schedules.write_text(SCHEDULES_CSV + f"{SCRAP};;closed;;P1Y;DESTROY;Tableau de tri, 9.9\r\n")
    imported = cli("retention", "schedules", "import", str(schedules), "--tenant", "ciney")
    assert "imported 4 schedule(s)" in imported.stderr
    letter = tmp_path / "prospectus.txt"
    letter.write_text("Prospectus publicitaire sans valeur archivistique.\n")
    line = cli("ingest", str(letter), "--tenant", "ciney", "--classification", SCRAP).stdout
    record_id = line.split("\t")[1]
    assert "ELIGIBLE" in cli("retention", "close", record_id, "--tenant", "ciney", "--date", "2001-05-02").stdout
    swept = cli("retention", "sweep", "--tenant", "ciney")
    assert "1 record(s) proposed in 1 batch(es)" in swept.stderr
    batch_id = swept.stdout.split("\t")[1]
    cli("retention", "batch", "approve", batch_id, "--tenant", "ciney")
    request = tmp_path / "demande.xml"
    cli("retention", "batch", "request", batch_id, "--tenant", "ciney", "--output", str(request))
    assert b"AuthorizationControlAuthorityRequest" in request.read_bytes()
    cli("retention", "batch", "authorize", batch_id, "AE/2026/0123", "--tenant", "ciney")
    done = cli("retention", "batch", "execute", batch_id, "--tenant", "ciney")
    assert "EXECUTED" in done.stdout and "destroyed 1 record(s): 1 blob(s) deleted" in done.stderr
    status = json.loads(cli("retention", "status", record_id, "--tenant", "ciney").stdout)
    assert status["state"] == "DESTROYED" and status["tombstone"]["authorization_reference"] == "AE/2026/0123"

    exported = cli("audit", "export", "--tenant", "ciney").stdout.splitlines()
    assert any(json.loads(x)["action"] == "record.destroyed" for x in exported)
    assert "intact" in cli("audit", "verify").stdout

    event_id, seq = _tamper(cli, tmp_path, "record.destroyed")
    broken = cli("audit", "verify", ok=False)
    assert broken.returncode == 1
    assert f"event seq {seq} (id {event_id}): altered event" in broken.stderr
    assert "dms: error: audit chain broken: 1 problem(s)" in broken.stderr


@pytest.mark.parametrize("cli", ["postgresql"], indirect=True)
def test_audit_verify_names_an_edited_row_on_postgresql(cli, tmp_path):
    cli("tenant", "create", "andenne", "--name", "Ville d'Andenne")
    letter = tmp_path / "lettre.txt"
    letter.write_text("Demande de permis de bâtir.\n")
    cli("ingest", str(letter), "--tenant", "andenne")
    assert "intact" in cli("audit", "verify").stdout
    event_id, seq = _tamper(cli, tmp_path, "record.registered")
    broken = cli("audit", "verify", ok=False)
    assert broken.returncode == 1
    assert f"event seq {seq} (id {event_id}): altered event" in broken.stderr
