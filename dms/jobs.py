"""The durable job queue on the database: enqueue inside a business transaction, claim, finish or retry.

On PostgreSQL workers on many machines claim with ``FOR UPDATE SKIP LOCKED``; on SQLite the write lock
serialises claims. A claimed job carries a lease: a worker killed mid-job leaves it ``running`` with an old
``locked_at``, and the next claim takes it back once the lease has expired. While a handler runs, a heartbeat
renews the lease, so a short lease (``DMS_JOB_LEASE_S``) brings a killed worker's jobs back quickly without a
long job (OCR) ever being taken by a second worker while the first is alive.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, select

from dms.db import is_sqlite, unit_of_work
from dms.models import Job, JobStatus
from dms.models.base import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
Handler = Callable[[Job], None]


class RetryLater(Exception):
    """A handler's dependency is down (an engine, a server): try again after a backoff."""


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, tenant_id: str | None = None,
            max_attempts: int = 8) -> Job:
    job = Job(kind=kind, tenant_id=tenant_id, payload=json.dumps(payload, sort_keys=True),
              max_attempts=max_attempts)
    session.add(job)
    return job


def payload(job: Job) -> dict[str, Any]:
    return json.loads(job.payload)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(engine: Engine, *, kinds: list[str] | None = None, limit: int = 1, ids: list[int] | None = None,
          worker: str | None = None, tenant_id: str | None = None, lease: timedelta = LEASE) -> list[Job]:
    now = utcnow()
    with unit_of_work(engine, durable=False) as session:  # a lost claim only means the job runs again
        query = select(Job).where(
            or_(
                (Job.status == JobStatus.queued) & (Job.run_after <= now),
                (Job.status == JobStatus.running) & (Job.locked_at < now - lease),
            )
        )
        if kinds:
            query = query.where(Job.kind.in_(kinds))
        if ids is not None:
            query = query.where(Job.id.in_(ids))
        if tenant_id is not None:
            query = query.where(Job.tenant_id == tenant_id)
        query = query.order_by(Job.run_after, Job.id).limit(limit)
        if not is_sqlite(engine):
            query = query.with_for_update(skip_locked=True)
        jobs = list(session.exec(query).all())
        for job in jobs:
            job.status = JobStatus.running
            job.locked_by = worker or worker_name()
            job.locked_at = now
            job.attempts += 1
            session.add(job)
        return jobs


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, 600))


def finish(engine: Engine, job: Job, *, only_if_queued: bool = False) -> None:
    query = update(Job).where(Job.id == job.id)
    if only_if_queued:  # run unclaimed: a worker that claimed it meanwhile finishes it itself
        query = query.where(Job.status == JobStatus.queued)
    with unit_of_work(engine, durable=False) as session:  # a lost done mark only means the job runs again
        session.execute(query.values(status=JobStatus.done, finished_at=utcnow(), last_error=None, locked_by=None))


def fail(engine: Engine, job: Job, error: str, *, permanent: bool = False) -> None:
    dead = permanent or job.attempts >= job.max_attempts
    with unit_of_work(engine, durable=False) as session:
        session.execute(
            update(Job).where(Job.id == job.id).values(
                status=JobStatus.dead if dead else JobStatus.queued,
                run_after=utcnow() + _backoff(job.attempts),
                last_error=error[-4000:],
                locked_by=None,
                finished_at=utcnow() if dead else None,
            )
        )


class _Heartbeat:
    """Renews the lease of claimed jobs every third of it until they are finished (or the block ends)."""

    def __init__(self, engine: Engine, job_ids: list[int], lease: timedelta):
        self.engine, self.job_ids, self.every = engine, job_ids, lease.total_seconds() / 3
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="job-lease", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.every):
            try:
                with unit_of_work(self.engine, durable=False) as session:
                    session.execute(update(Job).where(Job.id.in_(self.job_ids), Job.status == JobStatus.running)
                                    .values(locked_at=utcnow()))
            except Exception:  # the database may be restarting: the next beat tries again
                log.warning("could not renew the lease of jobs %s", self.job_ids, exc_info=True)


def run_job(engine: Engine, job: Job, handlers: dict[str, Handler], *, claimed: bool = True) -> bool:
    """Run one claimed job (or, with ``claimed=False``, one of ``run_unclaimed``); True when it is done."""
    handler = handlers.get(job.kind)
    if handler is None:
        fail(engine, job, f"no handler for job kind {job.kind!r}", permanent=True)
        return False
    try:
        handler(job)
    except RetryLater as exc:
        log.warning("job %s (%s) will be retried: %s", job.id, job.kind, exc)
        fail(engine, job, f"retry: {exc}")
        return False
    except Exception as exc:  # a handler bug or bad data: keep the trace for the dead-letter view
        log.exception("job %s (%s) failed", job.id, job.kind)
        fail(engine, job, "".join(traceback.format_exception_only(exc)).strip() + "\n" + traceback.format_exc())
        return False
    finish(engine, job, only_if_queued=not claimed)
    return True


def run_unclaimed(engine: Engine, handlers: dict[str, Handler], ids: list[int]) -> list[int]:
    """Run jobs this process has just committed, without claiming them first: one write transaction less per
    job, which on an upload is a commit (and a disk flush) less. Only for idempotent kinds (an index job writes
    the same document again): a worker that claims one meanwhile runs it too, harmlessly, and marks it done
    itself. A failure is recorded as ``run_job`` does (backoff, dead letter); a crash leaves the job queued for
    the workers, as any job. Jobs already taken by a worker are left to it; returns the ids of the queued ones of
    other kinds (for ``run_pending``)."""
    with unit_of_work(engine, write=False) as session:
        queued = list(session.exec(select(Job).where(Job.id.in_(ids), Job.status == JobStatus.queued)).all())
    for job in queued:
        if job.kind in handlers:
            run_job(engine, job, handlers, claimed=False)
    return [job.id for job in queued if job.kind not in handlers]


def run_pending(engine: Engine, handlers: dict[str, Handler], *, ids: list[int] | None = None,
                limit: int = 100, tenant_id: str | None = None, lease: timedelta = LEASE,
                batch: int = 10) -> tuple[int, int]:
    """Run what is due now (or just the given jobs, or one tenant's); returns (done, not done)."""
    done = failed = 0
    while True:
        jobs = claim(engine, kinds=list(handlers), limit=batch, ids=ids, tenant_id=tenant_id, lease=lease)
        if not jobs:
            break
        with _Heartbeat(engine, [job.id for job in jobs], lease):
            for job in jobs:
                if run_job(engine, job, handlers):
                    done += 1
                else:
                    failed += 1
        if ids is not None or done + failed >= limit:
            break
    return done, failed


def list_jobs(session: Session, *, tenant_id: str | None = None, status: str | None = None,
              limit: int = 100) -> list[Job]:
    """Jobs for the operators' view, newest first; a tenant admin sees only the tenant's."""
    query = select(Job)
    if tenant_id is not None:
        query = query.where(Job.tenant_id == tenant_id)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.exec(query.order_by(Job.id.desc()).limit(limit)).all())


def dead_jobs(session: Session, tenant_id: str | None = None) -> list[Job]:
    return list(reversed(list_jobs(session, tenant_id=tenant_id, status=JobStatus.dead, limit=10_000)))


def retry(session: Session, job_id: int, *, tenant_id: str | None = None) -> bool:
    """Put a dead job back in the queue, attempts reset; False when there is no such dead job (in the tenant)."""
    query = update(Job).where(Job.id == job_id, Job.status == JobStatus.dead)
    if tenant_id is not None:
        query = query.where(Job.tenant_id == tenant_id)
    result = session.execute(
        query.values(status=JobStatus.queued, run_after=utcnow(), attempts=0, finished_at=None)
    )
    return result.rowcount == 1


def to_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_after": job.run_after,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "error": (job.last_error or "").split("\n", 1)[0] or None,
        "payload": payload(job),
    }
