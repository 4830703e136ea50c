"""PostgreSQL restarted under load, and /health naming whichever backend is down.

The restart test runs its own PostgreSQL (initdb into a temporary folder with the same server binaries as
scripts/services.sh, on a port of its own): the shared one is never touched. `dms serve` runs as a real
process over it while client threads upload; the database is shut down twice mid-load (once ``immediate``,
a crash that needs recovery, once ``fast``) and started again. Clients get 201 or 503, never anything else,
and afterwards every acknowledged record is complete and no half record exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import func, select

from api.app import create_app
from dms import audit, jobs
from dms.db import unit_of_work
from dms.fsck import fsck
from dms.migrate import upgrade
from dms.models import File, Job, JobStatus, Record
from dms.models.base import utcnow
from ingest import samples
from ingest.runtime import open_runtime
from tests.conftest import ES_URL, TIKA_URL, assert_all_metadata_valid, embedded_settings_for, make_tenant
from tests.processes import DmsProcess, env_for, free_port
from tests.tcp_proxy import TcpProxy


def _pg_bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not candidates:
        pytest.fail("no PostgreSQL server binaries under /usr/lib/postgresql (scripts/system-deps.sh)")
    return candidates[-1]


class PrivatePostgres:
    """A throw-away PostgreSQL server of our own, run as the ``postgres`` user when we are root."""

    def __init__(self) -> None:
        self.bin = _pg_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="dms-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*self.as_user, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/dms"

    def start(self) -> None:
        log = (self.root / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [*self.as_user, str(self.bin / "postgres"), "-D", str(self.data), "-c", "listen_addresses=127.0.0.1",
             "-c", f"port={self.port}", "-c", f"unix_socket_directories={self.root}", "-c", "max_connections=50"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                                connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"private PostgreSQL did not start: {(self.root / 'server.log').read_text()[-2000:]}")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` (SIGINT: sessions cut, clean shutdown) or ``immediate`` (SIGQUIT: like a crash)."""
        if self.proc is None:
            return
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGQUIT if mode == "immediate" else signal.SIGINT)
        self.proc.wait(timeout=60)
        self.proc = None

    def destroy(self) -> None:
        if self.proc is not None:
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_pg():
    server = PrivatePostgres()
    server.start()
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres", autocommit=True) as c:
        c.execute("CREATE DATABASE dms")
    yield server
    from dms.db import get_engine

    get_engine(server.url).dispose()
    server.destroy()


def test_postgresql_restarted_under_load_never_corrupts_a_record(private_pg, tmp_path):
    settings = embedded_settings_for(tmp_path, database_url=private_pg.url, extract_inline=False, job_lease_s=3.0)
    upgrade(settings.database_url)
    runtime = open_runtime(settings)
    runtime.backends.search.ensure()
    clerk = make_tenant(runtime)
    port = free_port()
    server = DmsProcess(["serve", "--port", str(port)], env_for(settings), tmp_path / "serve.log", port=port)
    server.start()
    assert server.wait_ready()

    acked: dict[str, str] = {}
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(timeout=60, headers=clerk.headers) as http:
            i = 0
            while not stop.is_set():
                i += 1
                path = samples.write_pdf(samples.letter_text(n * 10_000 + i), tmp_path / f"l-{n}-{i}.pdf")
                data = path.read_bytes()
                path.unlink()
                try:
                    response = http.post(f"{server.url}/api/v1/records", files={"file": (path.name, data)})
                    status = str(response.status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == "201":
                        acked[response.json()["id"]] = hashlib.sha256(data).hexdigest()
                    elif status != "503":
                        print(f"unexpected answer {status}: {getattr(response, 'text', '')[:300]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    health_when_down = []
    try:
        for mode in ("immediate", "fast"):
            time.sleep(4)
            private_pg.stop(mode)
            health = httpx.get(f"{server.url}/api/v1/health", timeout=30)
            health_when_down.append((health.status_code, health.json()["components"]["database"]))
            time.sleep(2)
            private_pg.start()
        time.sleep(4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        server.stop()
    print(f"\nanswers {statuses}, {len(acked)} acknowledged")
    assert health_when_down == [(503, "down"), (503, "down")]
    assert set(statuses) <= {"201", "503"}, statuses
    assert statuses.get("503", 0) > 0 and len(acked) >= 3

    engine = runtime.backends.engine
    engine.dispose()  # connections from before the restarts are dead
    with unit_of_work(engine) as session:
        session.execute(update(Job).where(Job.status == JobStatus.queued).values(run_after=utcnow()))
    jobs.run_pending(engine, runtime.handlers(), limit=10_000, lease=timedelta(0))
    with unit_of_work(engine, write=False) as session:
        records = session.exec(select(Record).where(Record.tenant_id == clerk.tenant_id)).all()
        with_files = set(session.exec(select(File.record_id).where(File.tenant_id == clerk.tenant_id)).all())
        left = session.exec(select(func.count()).select_from(Job).where(Job.status != JobStatus.done)).one()
        _, problems = audit.verify(session)
    assert left == 0 and problems == []
    assert {record.id for record in records} == with_files  # no record without its file
    assert sorted(r.number for r in records) == list(range(1, len(records) + 1))  # no gap, no duplicate
    assert set(acked) <= {record.id for record in records}
    assert_all_metadata_valid(runtime, "private PostgreSQL")
    client_app = TestClient(create_app(settings, runtime))
    for record_id, digest in acked.items():
        record = client_app.get(f"/api/v1/records/{record_id}", headers=clerk.headers).json()
        assert record["files"][0]["sha256"] == digest and record["files"][0]["text_status"] == "done"
        content = client_app.get(f"/api/v1/records/{record_id}/files/{record['files'][0]['id']}",
                                 headers=clerk.headers).content
        assert hashlib.sha256(content).hexdigest() == digest
    report = fsck(runtime.backends)
    assert report.healthy


def _proxied(url: str) -> tuple[TcpProxy, str]:
    parsed = urlparse(url)
    proxy = TcpProxy(parsed.hostname, parsed.port)
    proxy.start()
    return proxy, url.replace(parsed.netloc.split("@")[-1], proxy.address, 1)


def test_health_names_each_backend_that_is_down(production_settings, tmp_path):
    proxies, urls = {}, {}
    for name, url in (("database", production_settings.database_url), ("blobs", production_settings.blob_url),
                      ("search", ES_URL),
                      ("extraction", TIKA_URL)):
        proxies[name], urls[name] = _proxied(url)
    settings = production_settings.model_copy(update={
        "data_dir": tmp_path / "var", "database_url": urls["database"],
        "blob_url": urls["blobs"],
        "search_url": urls["search"], "tika_url": urls["extraction"],
    })
    client = TestClient(create_app(settings, open_runtime(settings)))
    try:
        assert client.get("/api/v1/health").json() == {
            "status": "ok", "components": dict.fromkeys(proxies, "up")}
        for name, proxy in proxies.items():
            proxy.stop()
            answer = client.get("/api/v1/health")
            vital = name in ("database", "blobs")
            assert answer.status_code == (503 if vital else 200)
            assert answer.json() == {"status": "down" if vital else "degraded",
                                     "components": {other: "down" if other == name else "up" for other in proxies}}
            proxy.start()
            assert client.get("/api/v1/health").json()["status"] == "ok"
    finally:
        for proxy in proxies.values():
            proxy.stop()
