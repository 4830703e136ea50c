"""Group commit for registrations: the concurrent registrations of one tenant in one transaction.

Gap-free numbering keeps the register counter and the tenant's audit head locked from the allocation to the
commit, so registrations of one tenant are serial, and each one pays its own round trips under the lock and
its own WAL flush. The registrar lets them share: each caller prepares its registration in its own thread with
no lock (``records.prepare``: checks, rows, the SEDA document built and validated), then queues it; one of the
waiting callers (the leader) takes everything queued for that tenant and allocates it in one transaction
(``records.allocate``: one block of numbers per register, one flush, one commit). Every caller is answered
only after that commit returned, so what is acknowledged is on disk, exactly as with ``records.register``.

A batch fails as a whole (a row refused by a constraint, a ``then`` step raising): its transaction is rolled
back, which gives every number back, and each registration of the batch is then tried alone in its own
transaction, so one bad registration fails only its own caller. Bad input never gets this far: ``prepare``
refuses it before anything is queued.

One registrar per process and engine (``registrar_for``); several processes (uvicorn workers, the benchmark's
client processes) each batch their own callers and take the locks one after the other like any transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from dms import records
from dms.db import unit_of_work

#: Something to do in the registration's own transaction once it has its rows (e.g. queue a job for its files).
Then = Callable[[Session, records.Registered], None]

MAX_BATCH = 100


@dataclass(eq=False)
class _Pending:
    draft: records.Draft
    then: Then | None
    wake: threading.Event = field(default_factory=threading.Event)  # set once done, or handed the lead
    done: bool = False
    lead: bool = False  # handed the lead by the previous leader: commit the next batch
    result: records.Registered | None = None
    error: BaseException | None = None


class Registrar:
    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queues: dict[str, list[_Pending]] = {}
        self._leading: set[str] = set()
        self.batches = 0  # how many transactions committed registrations (seen by the tests and the benchmark)

    def register(
        self,
        tenant_id: str,
        actor_id: str | None,
        new: records.NewRecord,
        *,
        schema_dir: Path | None = None,
        then: Then | None = None,
    ) -> records.Registered:
        """``records.register`` in a transaction of its own, shared with the tenant's other registrations of
        the moment; returns once it is committed. Raises what ``records.register`` would (BadInput, ...).
        Call it holding no transaction of your own: the batch may wait for locks that yours holds."""
        with unit_of_work(self.engine, write=False) as session:
            draft = records.prepare(session, tenant_id, actor_id, new, schema_dir=schema_dir)
        item = _Pending(draft, then)
        with self._lock:
            self._queues.setdefault(tenant_id, []).append(item)
            lead = tenant_id not in self._leading
            if lead:
                self._leading.add(tenant_id)
        if lead:
            self._lead(tenant_id)
        while not item.done:
            if item.lead:
                item.lead = False
                self._lead(tenant_id)
                continue
            item.wake.wait()
            item.wake.clear()  # one signal per wait: the lead goes to a queued item, done to a batched one
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def _lead(self, tenant_id: str) -> None:
        """Commit one batch (the leader's own registration is in it), then hand the lead to a waiting caller."""
        with self._lock:
            queue = self._queues[tenant_id]
            batch, queue[:] = queue[: self.max_batch], queue[self.max_batch:]
        try:
            self._commit(batch)
        finally:
            for item in batch:
                if not item.done:  # only on an interruption (KeyboardInterrupt, ...)
                    _answer(item, error=RuntimeError("registration interrupted"))
            with self._lock:
                queue = self._queues[tenant_id]
                if queue:
                    queue[0].lead = True
                    queue[0].wake.set()
                else:
                    self._leading.discard(tenant_id)
                    del self._queues[tenant_id]

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            results = self._transaction(batch)
        except Exception as exc:  # noqa: BLE001 (each registration is tried alone below)
            if len(batch) == 1:
                _answer(batch[0], error=exc)
                return
            for item in batch:
                try:
                    _answer(item, result=self._transaction([item])[0])
                except Exception as alone:  # noqa: BLE001 (answered to its own caller)
                    _answer(item, error=alone)
            return
        for item, result in zip(batch, results, strict=True):
            _answer(item, result=result)

    def _transaction(self, batch: list[_Pending]) -> list[records.Registered]:
        with unit_of_work(self.engine) as session:
            results = records.allocate(session, [item.draft for item in batch])
            for item, result in zip(batch, results, strict=True):
                if item.then is not None:
                    item.then(session, result)
        with self._lock:
            self.batches += 1
        return results


def _answer(item: _Pending, *, result: records.Registered | None = None, error: BaseException | None = None) -> None:
    item.result, item.error, item.done = result, error, True
    item.wake.set()


_registrars: dict[int, Registrar] = {}
_registrars_lock = threading.Lock()


def registrar_for(engine: Engine) -> Registrar:
    """The process's registrar for this engine."""
    with _registrars_lock:
        registrar = _registrars.get(id(engine))
        if registrar is None or registrar.engine is not engine:
            registrar = _registrars[id(engine)] = Registrar(engine)
        return registrar
