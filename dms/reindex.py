"""Rebuild the search index from the database, the source of truth: streamed, in bulk, resumable.

Records are read in keyset pages (``id > last`` ordered by id, one short read transaction per page, so the
rebuild neither holds a long transaction nor loads the table), turned into index documents, and sent to the
engine in one bulk request per page. After each page a checkpoint (the last id indexed, in
``<data dir>/reindex-checkpoint.json``) is written atomically; an interrupted rebuild continues after it with
``resume=True`` (``dms reindex --resume``) instead of starting over. A rebuild that completes removes it.

The analysis of titles and bodies (``thesaurus.analysis``, pure Python) is the costly part of a page. With
``workers`` (``dms reindex --workers N``) pages are analysed in a pool of processes (spawned: no forked
database connections or native library state), a few pages ahead of the one being sent; pages still land in
order, one bulk request in flight, and the checkpoint moves exactly as without the pool. Memory stays flat: at
most ``workers + 2`` pages are held at once. The default is in-process: on a machine whose cores also run the
database and the search engine, the pool's extra processes and pickling cost more than they gain (measured in
docs/benchmarks.md); it pays off with spare cores.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import select as sa_select
from sqlmodel import func, select

from dms.backends import Backends
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.indexing import DocText, analysed_all, record_concepts, record_text
from dms.models import File, Record
from dms.vocabulary import view

BATCH = 500
CHECKPOINT = "reindex-checkpoint.json"

Progress = Callable[[int, int], None]  # (records indexed so far, records to index in all)


def checkpoint_path(backends: Backends) -> Path:
    return backends.settings.resolved_data_dir / CHECKPOINT


def read_checkpoint(backends: Backends) -> dict | None:
    path = checkpoint_path(backends)
    if not path.is_file():
        return None
    return json.loads(path.read_text("utf-8"))


def _write_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state), "utf-8")
    os.replace(tmp, path)


def reindex(backends: Backends, *, tenant_id: str | None = None, progress: Progress | None = None,
            resume: bool = False, batch: int = BATCH, workers: int = 0) -> int:
    """Index every record (of one tenant); returns how many this run indexed. ``workers``: analysis processes
    (0: analyse in this process)."""
    path = checkpoint_path(backends)
    backends.search.ensure()
    if resume:
        state = read_checkpoint(backends)
        if state is None:
            raise BadInput("no interrupted reindex to resume (no checkpoint)")
        if state.get("tenant_id") != tenant_id:
            raise BadInput(f"the interrupted reindex was for tenant {state.get('tenant_id') or 'all'}: "
                           "resume it with the same --tenant")
    else:
        backends.search.clear(tenant_id)
        state = {"tenant_id": tenant_id, "last_id": "", "done": 0}
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_checkpoint(path, state)
    with unit_of_work(backends.engine, write=False) as session:
        query = select(func.count()).select_from(Record)
        if tenant_id:
            query = query.where(Record.tenant_id == tenant_id)
        total = session.exec(query).one()
    if workers < 0 or workers > 64:
        raise BadInput("workers must be between 0 (analyse in this process) and 64")
    count = 0
    last_id = state["last_id"]
    pool = (ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            if workers else nullcontext(None))
    # Pages are analysed ahead (in the pool, or here) and land in order: one bulk request in flight while the
    # next pages are read and analysed (the engine works, we analyse); the checkpoint moves only once a page's
    # bulk request has succeeded.
    with pool as analysers, ThreadPoolExecutor(max_workers=1, thread_name_prefix="reindex-bulk") as sender:
        analysing: deque[tuple[Future | list, int, str]] = deque()
        in_flight: tuple[Future, int, str] | None = None
        exhausted = False
        try:
            while True:
                while not exhausted and len(analysing) <= max(workers, 1):
                    texts, page_last = _page(backends, tenant_id, last_id, batch)
                    if not texts:
                        exhausted = True
                        break
                    analysing.append((_analyse(analysers, texts), len(texts), page_last))
                    last_id = page_last
                if in_flight is not None:
                    state = _landed(path, state, tenant_id, in_flight, total, progress)
                    count += in_flight[1]
                    in_flight = None
                if not analysing:
                    break
                docs, size, page_last = analysing.popleft()
                docs = docs.result() if isinstance(docs, Future) else docs
                in_flight = (sender.submit(backends.search.index, docs), size, page_last)
        except BaseException:
            for pending, _size, _last in analysing:
                if isinstance(pending, Future):
                    pending.cancel()
            raise
    if tenant_id is None:  # the federation-wide library catalog lives in the same index (dms/library)
        from dms.library.catalog import reindex_all

        reindex_all(backends)
    path.unlink(missing_ok=True)
    return count


def _landed(path: Path, state: dict, tenant_id: str | None, sent: tuple[Future, int, str], total: int,
            progress: Progress | None) -> dict:
    future, size, page_last = sent
    future.result()  # an engine error stops the rebuild here, the checkpoint still at the page before
    state = {"tenant_id": tenant_id, "last_id": page_last, "done": state["done"] + size}
    _write_checkpoint(path, state)
    if progress:
        progress(state["done"], total)
    return state


def _analyse(analysers: Executor | None, texts: list[DocText]) -> Future | list:
    if analysers is None:
        return analysed_all(texts)
    return analysers.submit(analysed_all, texts)


def _page(backends: Backends, tenant_id: str | None, after: str, batch: int) -> tuple[list[DocText], str]:
    """The index documents (not yet analysed) of the next keyset page, and its last record id. Rows, not ORM
    objects: a page is read, turned into documents and forgotten."""
    records, files_table = Record.__table__, File.__table__
    with unit_of_work(backends.engine, write=False) as session:
        query = sa_select(records).where(records.c.id > after).order_by(records.c.id).limit(batch)
        if tenant_id:
            query = query.where(records.c.tenant_id == tenant_id)
        page = list(session.execute(query).all())
        if not page:
            return [], after
        files: dict[str, list] = {}
        for row in session.execute(sa_select(files_table).where(files_table.c.record_id.in_([r.id for r in page]))
                                   .order_by(files_table.c.created_at)):
            files.setdefault(row.record_id, []).append(row)
        vocabularies: dict[str, object] = {}  # one view of the thesaurus per tenant and page, not per record
        texts = []
        for record in page:
            vocabulary = None
            if record_concepts(record):
                if record.tenant_id not in vocabularies:
                    vocabularies[record.tenant_id] = view(session, record.tenant_id)
                vocabulary = vocabularies[record.tenant_id]
            texts.append(record_text(record, files.get(record.id, []), vocabulary))
    return texts, page[-1].id
