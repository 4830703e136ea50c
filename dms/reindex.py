"""Rebuild the search index from the database, the source of truth, in streamed bulk batches."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from dms.backends import Backends
from dms.db import unit_of_work
from dms.indexing import record_doc, vocabulary_for
from dms.models import File, Record

BATCH = 500


def reindex(backends: Backends, *, tenant_id: str | None = None,
            progress: Callable[[int], None] | None = None) -> int:
    backends.search.ensure()
    backends.search.clear(tenant_id)
    count = 0
    last_id = ""
    while True:
        with unit_of_work(backends.engine, write=False) as session:
            query = select(Record).where(Record.id > last_id).order_by(Record.id).limit(BATCH)
            if tenant_id:
                query = query.where(Record.tenant_id == tenant_id)
            batch = list(session.exec(query).all())
            if not batch:
                break
            files: dict[str, list[File]] = {}
            for row in session.exec(select(File).where(File.record_id.in_([r.id for r in batch]))):
                files.setdefault(row.record_id, []).append(row)
            docs = [record_doc(r, files.get(r.id, []), vocabulary_for(session, r)) for r in batch]
        backends.search.index(docs)
        count += len(batch)
        last_id = batch[-1].id
        if progress:
            progress(count)
    return count
