"""A user's saved searches: a name, the query and its facet filters, private to that user in their tenant."""

from __future__ import annotations

from sqlmodel import Session, select

from dms.accounts import Principal
from dms.audit import record_event
from dms.errors import BadInput, NotFound
from dms.models import SavedSearch
from dms.permissions import Action, require
from dms.searching import MAX_QUERY, parse_filters

MAX_NAME = 200
MAX_PER_USER = 100


def list_saved(session: Session, principal: Principal) -> list[SavedSearch]:
    tenant_id = require(principal, Action.search)
    return list(session.exec(select(SavedSearch).where(SavedSearch.tenant_id == tenant_id,
                                                       SavedSearch.user_id == principal.user_id)
                             .order_by(SavedSearch.name, SavedSearch.id)).all())


def save(session: Session, principal: Principal, name: str, query: str, filters: list[str]) -> SavedSearch:
    tenant_id = require(principal, Action.search)
    name = " ".join((name or "").split())
    if not name:
        raise BadInput("a saved search needs a name")
    if len(name) > MAX_NAME:
        raise BadInput(f"name longer than {MAX_NAME} characters")
    if len(query) > MAX_QUERY:
        raise BadInput(f"query longer than {MAX_QUERY} characters")
    parse_filters(filters)  # refuses unknown fields
    if len(list_saved(session, principal)) >= MAX_PER_USER:
        raise BadInput(f"at most {MAX_PER_USER} saved searches")
    row = SavedSearch(tenant_id=tenant_id, user_id=principal.user_id or "", name=name, query=query,
                      filters=list(filters))
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=principal.user_id, action="search.saved",
                 object_type="saved_search", object_id=row.id, data={"name": name, "query": query})
    return row


def get(session: Session, principal: Principal, saved_id: str) -> SavedSearch:
    tenant_id = require(principal, Action.search)
    row = session.get(SavedSearch, saved_id)
    if row is None or row.tenant_id != tenant_id or row.user_id != principal.user_id:
        raise NotFound("no such saved search")
    return row


def delete(session: Session, principal: Principal, saved_id: str) -> None:
    row = get(session, principal, saved_id)
    session.delete(row)
    record_event(session, tenant_id=row.tenant_id, actor_id=principal.user_id, action="search.unsaved",
                 object_type="saved_search", object_id=row.id, data={"name": row.name})
