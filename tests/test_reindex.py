"""`dms reindex` rebuilds the index from the database in pages, and an interrupted rebuild resumes."""

from __future__ import annotations

import pytest

from dms import records
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.reindex import read_checkpoint, reindex
from dms.search import SearchQuery
from tests.conftest import make_tenant


class Interrupted(Exception):
    pass


def _indexed(runtime, tenant_id: str) -> int:
    return runtime.backends.search.search(SearchQuery(tenant_id=tenant_id, limit=1)).total


def test_reindex_interrupted_then_resumed_indexes_every_record_once(runtime):
    clerk = make_tenant(runtime)
    with unit_of_work(runtime.backends.engine) as session:
        for n in range(7):
            records.register(session, clerk.tenant_id, None, records.NewRecord(subject=f"Réclamation voirie {n}"),
                             schema_dir=runtime.settings.seda_schema_dir)
    seen: list[tuple[int, int]] = []

    def stop_after_first_page(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        reindex(runtime.backends, tenant_id=clerk.tenant_id, batch=3, progress=stop_after_first_page)
    assert seen == [(3, 7)]
    assert read_checkpoint(runtime.backends)["done"] == 3
    assert _indexed(runtime, clerk.tenant_id) == 3  # the index was cleared, then one page went in

    with pytest.raises(BadInput):  # a resume must name the same scope
        reindex(runtime.backends, resume=True)
    resumed = reindex(runtime.backends, tenant_id=clerk.tenant_id, batch=3, resume=True,
                      progress=lambda done, total: seen.append((done, total)))
    assert resumed == 4
    assert seen[1:] == [(6, 7), (7, 7)]
    assert _indexed(runtime, clerk.tenant_id) == 7
    assert read_checkpoint(runtime.backends) is None
    with pytest.raises(BadInput):  # nothing left to resume
        reindex(runtime.backends, tenant_id=clerk.tenant_id, resume=True)
    hits = runtime.backends.search.search(SearchQuery(tenant_id=clerk.tenant_id, limit=20))
    assert len({hit.id for hit in hits.hits}) == 7
