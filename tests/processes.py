"""`dms serve` and `dms worker` as real child processes, killed with SIGKILL and restarted by the crash tests.

A process is killed with its descendants (the OCR children a worker starts in their own process groups), as a
machine losing power would. Each process writes its output to a log file beside the test's data so a failure
can be read afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dms.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DMS = str(Path(sys.executable).with_name("dms"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a child `dms` needs to run on exactly these backends (nothing inherited from DMS_*)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DMS_")}
    env.update({
        "DMS_DATA_DIR": str(settings.resolved_data_dir),
        "DMS_DATABASE_URL": settings.resolved_database_url,
        "DMS_BLOB_URL": settings.resolved_blob_url,
        "DMS_SEARCH_URL": settings.search_url,
        "DMS_SEARCH_INDEX_NAME": settings.search_index_name,
        "DMS_TIKA_URL": settings.tika_url,
        "DMS_SEDA_SCHEMA_DIR": str(settings.seda_schema_dir),
        "DMS_JOB_LEASE_S": str(settings.job_lease_s),
        "DMS_EXTRACT_INLINE": "true" if settings.extract_inline else "false",
        "DMS_LOG_LEVEL": "warning",
    })
    env.update(extra)
    return env


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                for child in task.read_text().split():
                    found.append(int(child))
                    todo.append(int(child))
    return found


class DmsProcess:
    """One `dms` command run again and again: start, wait until it answers, kill -9, start again."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path, *, port: int | None = None):
        self.args, self.env, self.log_path, self.port = args, env, log_path, port
        self.proc: subprocess.Popen | None = None
        self.kills = 0
        self.starts = 0
        self.answered = 0  # uploads this incarnation acknowledged (counted by the test's clients)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([DMS, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=ROOT, start_new_session=True)
        log.close()
        self.starts += 1
        self.answered = 0
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """A server is ready when /health answers at all (200 or 503); a worker when its process is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.args[0]} exited with {self.proc.returncode}: see {self.log_path}")
            if self.port is None:
                return True
            try:
                httpx.get(f"{self.url}/api/v1/health", timeout=2)
                return True
            except httpx.HTTPError:
                time.sleep(0.1)
        return False

    def kill9(self) -> None:
        if self.proc is None:
            return
        children = descendants(self.proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        for child in children:  # OCR (ocrmypdf, tesseract) run in process groups of their own
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.alive():
            self.kill9()
            self.kills -= 1  # the final stop is not one of the counted crashes
