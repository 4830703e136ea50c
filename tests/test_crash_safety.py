"""kill -9 of the API server and of the workers at random moments while clients upload, on both stacks.

`dms serve` and `dms worker` run as real processes on a private port over their own backends (a temporary
folder for the embedded stack; a fresh database, bucket and index on the shared PostgreSQL, MinIO and
Elasticsearch for the production stack): two API servers and a worker. Three client threads upload born-digital
letters while three killers
SIGKILL the servers and the worker at random moments and start them again. The servers answer before
extraction (``DMS_EXTRACT_INLINE=false``: on this loaded machine an inline extraction makes a freshly started
server too slow to acknowledge anything before its next kill; the commit point, blob then one transaction,
is the same either way), and the workers extract and index: on the embedded stack each server runs a worker
thread besides `dms worker`, on the production stack the servers run ``--no-worker``. Afterwards, with every
process stopped:

* every upload that was acknowledged (201) is there: record, subject, file bytes with the right SHA-256,
  metadata; and it is found by search once the queue has been drained;
* no half record is visible: each record has its file rows, each file row its blob, each record its metadata
  and an unbroken registration number (no gap, no duplicate);
* after the workers have drained the queue, fsck finds no missing or corrupt blob; the blobs that killed
  uploads left behind before their commit are unreferenced by design, and ``collect_orphans`` removes them
  (with a zero grace period here, since nothing runs any more), after which fsck finds none.

The number of kills per stack is ``DMS_CRASH_KILLS`` (default 27: 9 of each server, 9 of the worker).
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlmodel import func, select

from api.app import create_app
from dms import audit, jobs
from dms.db import unit_of_work
from dms.fsck import collect_orphans, fsck
from dms.migrate import upgrade
from dms.models import File, Job, JobStatus, Record
from dms.models.base import utcnow
from ingest import samples
from ingest.runtime import open_runtime
from tests.conftest import (
    ES_URL,
    PG_URL,
    TIKA_URL,
    _libpq,
    assert_all_metadata_valid,
    embedded_settings_for,
    make_tenant,
    s3_url_with_bucket,
)
from tests.processes import DmsProcess, env_for, free_port

KILLS = int(os.environ.get("DMS_CRASH_KILLS", "27"))
CLIENTS = 3


@pytest.fixture(params=["embedded", "production"])
def crash_settings(request, tmp_path):
    if request.param == "embedded":
        settings = embedded_settings_for(tmp_path, job_lease_s=3.0, extract_inline=False)
        upgrade(settings.resolved_database_url)
        yield request.param, settings
        return
    name = f"dms_crash_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(_libpq(PG_URL), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    suffix = uuid.uuid4().hex[:8]
    settings = embedded_settings_for(
        tmp_path,
        database_url=make_url(PG_URL).set(database=name).render_as_string(hide_password=False),
        blob_url=s3_url_with_bucket(f"dms-crash-{suffix}"),
        search_url=ES_URL,
        search_index_name=f"dms-crash-{suffix}",
        tika_url=TIKA_URL,
        job_lease_s=3.0,
        extract_inline=False,
    )
    upgrade(settings.database_url)
    yield request.param, settings
    from dms.db import get_engine

    get_engine(settings.database_url).dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
    runtime = open_runtime(settings)
    runtime.backends.search.delete_index()
    for key in runtime.backends.blobs.keys():
        runtime.backends.blobs.delete(key)


@dataclass
class Tally:
    acked: dict[str, dict] = field(default_factory=dict)  # record id -> what the client knows
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str) -> None:
        with self.lock:
            self.statuses[what] = self.statuses.get(what, 0) + 1


def _client(servers: list[DmsProcess], token: str, work: Path, worker_no: int, tally: Tally,
            stop: threading.Event) -> None:
    rng = random.Random(worker_no)  # noqa: S311 (test timing, not secrets)
    n = 0
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:
        while not stop.is_set():
            n += 1
            seed = worker_no * 100_000 + n
            letter = samples.letter_text(seed)
            word = f"crashmot{uuid.uuid4().hex[:10]}"  # one word the search must find
            path = samples.write_pdf(letter, work / f"lettre-{seed}.pdf", pages=1 + rng.randrange(2))
            data = path.read_bytes()
            path.unlink()
            subject = f"Courrier {word} {seed}"
            server = servers[n % len(servers)]
            try:
                response = http.post(f"{server.url}/api/v1/records", files={"file": (path.name, data)},
                                     data={"subject": subject})
            except httpx.ConnectError:  # this server is down (being restarted): the next upload tries another
                tally.count("refused")
                time.sleep(0.1)
                continue
            except httpx.HTTPError:  # the server died under us: this upload is not acknowledged
                tally.count("cut")
                continue
            tally.count(str(response.status_code))
            server.answered += 1
            if response.status_code == 201:
                record = response.json()
                with tally.lock:
                    tally.acked[record["id"]] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                                 "subject": subject, "word": word, "file_id": record["files"][0]["id"]}


def _killer(target: DmsProcess, kills: int, stop: threading.Event, rng: random.Random, uptime: tuple[float, float],
            server: bool) -> None:
    while target.kills < kills and not stop.is_set():
        if server:  # a server starts slowly on a loaded machine: kill it once it has answered an upload
            target.wait_ready()
            deadline = time.monotonic() + 10
            while target.answered == 0 and time.monotonic() < deadline and not stop.is_set():
                time.sleep(0.05)
            time.sleep(rng.uniform(*uptime))
        else:  # a worker does its imports first: kill it while it starts and while it works
            time.sleep(rng.uniform(0.5, 3.0))
        target.kill9()
        target.start()


def _drain(runtime) -> None:
    """What the workers do once they are back: every job, including those a killed worker held, runs."""
    engine = runtime.backends.engine
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with unit_of_work(engine) as session:  # no waiting out backoffs in a test
            session.execute(update(Job).where(Job.status == JobStatus.queued).values(run_after=utcnow()))
        jobs.run_pending(engine, runtime.handlers(), limit=10_000, lease=timedelta(0))
        with unit_of_work(engine, write=False) as session:
            left = session.exec(select(func.count()).select_from(Job).where(
                Job.status.in_([JobStatus.queued, JobStatus.running]))).one()
        if left == 0:
            return
        time.sleep(0.5)
    raise AssertionError("jobs still queued after two minutes")


def test_kill9_of_server_and_worker_loses_nothing_acknowledged(crash_settings, tmp_path):
    stack, settings = crash_settings
    runtime = open_runtime(settings)
    runtime.backends.search.ensure()
    clerk = make_tenant(runtime)
    env = env_for(settings)
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    # two API servers and a worker, as a region runs several; embedded: the servers run worker threads too
    servers = []
    for n in range(2):
        port = free_port()
        servers.append(DmsProcess(["serve", "--port", str(port), *([] if stack == "embedded" else ["--no-worker"])],
                                  env, logs / f"serve-{n}.log", port=port))
    worker = DmsProcess(["worker"], env, logs / "worker.log")
    for process in [*servers, worker]:
        process.start()
    for server in servers:
        assert server.wait_ready(), f"server did not start: {server.log_path.read_text()[-2000:]}"

    work = tmp_path / "uploads"
    work.mkdir()
    tally = Tally()
    stop = threading.Event()
    clients = [threading.Thread(target=_client, args=(servers, clerk.token, work, i + 1, tally, stop))
               for i in range(CLIENTS)]
    share = -(-KILLS // 3)
    uptime = (0.0, 1.5)  # after its first answer
    killers = [threading.Thread(target=_killer, args=(process, share, stop, random.Random(i), uptime,  # noqa: S311
                                                      process.port is not None))
               for i, process in enumerate([*servers, worker])]
    started = time.monotonic()
    try:
        for thread in clients + killers:
            thread.start()
        for thread in killers:
            thread.join(timeout=240)
        stop.set()
        for thread in clients:
            thread.join(timeout=120)
    finally:
        stop.set()
        for process in [*servers, worker]:
            process.stop()
    if os.environ.get("DMS_CRASH_SHOW_LOGS"):
        for path in sorted(logs.iterdir()):
            print(f"---- {path.name}\n{path.read_text(errors='replace')[-3000:]}")

    kills = sum(process.kills for process in [*servers, worker])
    print(f"\n{stack}: {time.monotonic() - started:.1f} s, {kills} kills ({servers[0].kills}+{servers[1].kills} "
          f"servers, {worker.kills} worker), answers {tally.statuses}, "
          f"{len(tally.acked)} acknowledged")
    assert kills >= KILLS
    assert len(tally.acked) >= 10, tally.statuses
    assert set(tally.statuses) <= {"201", "503", "refused", "cut"}, tally.statuses

    started = time.monotonic()
    _drain(runtime)
    print(f"{stack}: drained in {time.monotonic() - started:.1f} s")
    engine = runtime.backends.engine
    with unit_of_work(engine, write=False) as session:
        records = session.exec(select(Record).where(Record.tenant_id == clerk.tenant_id)).all()
        files = session.exec(select(File).where(File.tenant_id == clerk.tenant_id)).all()
        dead = session.exec(select(Job).where(Job.status == JobStatus.dead)).all()
        _checked, problems = audit.verify(session)
    assert dead == [], [(job.kind, job.last_error) for job in dead]
    assert problems == []

    # no half record: files for every record, numbers without gap or duplicate, metadata valid
    by_record: dict[str, list[File]] = {}
    for row in files:
        by_record.setdefault(row.record_id, []).append(row)
    assert all(by_record.get(record.id) for record in records)
    numbers = sorted(record.number for record in records)
    assert numbers == list(range(1, len(records) + 1))
    assert_all_metadata_valid(runtime, f"{stack} crash database")
    # the acknowledged ones, through the API
    started = time.monotonic()
    client = TestClient(create_app(settings, runtime))
    assert set(tally.acked) <= {record.id for record in records}
    for record_id, known in tally.acked.items():
        record = client.get(f"/api/v1/records/{record_id}", headers=clerk.headers).json()
        assert record["subject"] == known["subject"]
        original = next(f for f in record["files"] if f["id"] == known["file_id"])
        assert original["sha256"] == known["sha256"] and original["size"] == known["size"]
        content = client.get(f"/api/v1/records/{record_id}/files/{known['file_id']}", headers=clerk.headers).content
        assert hashlib.sha256(content).hexdigest() == known["sha256"]
        metadata = client.get(f"/api/v1/records/{record_id}/metadata.xml", headers=clerk.headers)
        assert metadata.status_code == 200 and known["word"] in metadata.text
        found = client.get("/api/v1/search", params={"q": known["word"]}, headers=clerk.headers).json()
        assert [hit["id"] for hit in found["hits"]] == [record_id]

    print(f"{stack}: {len(tally.acked)} acknowledged records checked in {time.monotonic() - started:.1f} s")
    # fixity: nothing missing or corrupt; the orphans of killed uploads are collected, then none is left
    report = fsck(runtime.backends)
    assert report.missing == [] and report.corrupt == []
    collected = collect_orphans(runtime.backends, grace=timedelta(0))
    assert sorted(collected.removed) == report.unreferenced
    after = fsck(runtime.backends)
    assert after.healthy and after.unreferenced == [] and after.checked == report.checked
    print(f"{stack}: {len(records)} records, {len(files)} files, {report.checked} blobs checked, "
          f"{len(collected.removed)} orphan blob(s) and {collected.temporary_files} temporary file(s) collected")
