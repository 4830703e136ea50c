"""The job worker: `dms worker` processes on any machine, or a thread inside `dms serve` (embedded mode)."""

from __future__ import annotations

import logging
import threading

from dms import jobs
from ingest.runtime import Runtime

log = logging.getLogger(__name__)


def work(runtime: Runtime, stop: threading.Event, *, poll_seconds: float = 1.0, once: bool = False) -> int:
    """Claim and run due jobs until ``stop`` is set (or, with ``once``, until none is due); returns jobs done."""
    handlers = runtime.handlers()
    total = 0
    while not stop.is_set():
        try:
            done, failed = jobs.run_pending(runtime.backends.engine, handlers, limit=50,
                                            lease=runtime.job_lease)
        except Exception:  # the database may be restarting: wait and claim again
            log.exception("worker loop error")
            done = failed = 0
        total += done
        if once and done + failed == 0:
            break
        if done + failed == 0:
            stop.wait(poll_seconds)
    return total


def start_in_thread(runtime: Runtime) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(runtime, stop), name="dms-worker", daemon=True)
    thread.start()
    return thread, stop
