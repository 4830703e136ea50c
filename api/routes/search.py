from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import access_log
from dms.accounts import Principal
from dms.permissions import Action, require
from dms.searching import parse_filters, search_records
from dms.tenant_services import restricted_to
from ingest.runtime import Runtime

router = APIRouter(tags=["search"])


@router.get("/search", summary="Full-text search in the caller's records, with facets and highlights")
def search(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    q: Annotated[str, Query(max_length=1000)] = "",
    filter: Annotated[list[str], Query(description="facet filter field:value, repeatable")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=500)] = None,
) -> dict:
    tenant_id = require(principal, Action.search)
    answer = search_records(
        session, runtime.backends.search, tenant_id, q, filters=parse_filters(filter), limit=limit, after=after,
        services=restricted_to(session, principal),  # an agent finds the mail of their services only
    )
    access_log.log_search(runtime.backends.engine, principal, tenant_id, q, answer)
    return answer
