"""Search: one box, facets to narrow, highlights, the thesaurus expansion shown ("also searched"), and the
user's saved searches. Runs ``dms.searching.search_records`` exactly as the API does (an agent sees the mail
of their services only)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlmodel import Session, select
from starlette.responses import RedirectResponse, Response

from api.deps import get_runtime, read_session
from api.web import i18n, nav
from api.web.deps import WebPrincipal, WebRoute
from api.web.i18n import N_
from api.web.templating import STATE_LABELS, render
from dms import access_log, saved_searches, tenant_services
from dms.db import unit_of_work
from dms.models import MailType
from dms.permissions import Action, require
from dms.searching import parse_filters, search_records
from ingest.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=WebRoute)
nav.add("/search", N_("Recherche"), nav.may(Action.search), order=40)
Db = Annotated[Session, Depends(read_session)]
Rt = Annotated[Runtime, Depends(get_runtime)]

FACET_TITLES = {"classification": N_("Classement"), "keywords": N_("Mots-clés"), "service": N_("Service"),
                "mail_type": N_("Type de courrier"), "status": N_("État"), "register": N_("Registre"),
                "year": N_("Année"), "mime": N_("Type de fichier")}
FACET_ORDER = ["classification", "keywords", "service", "mail_type", "status", "register", "year", "mime"]
REGISTERS = {"incoming": N_("Entrant"), "outgoing": N_("Sortant"), "internal": N_("Interne")}


def search_url(q: str, filters: list[str]) -> str:
    return "/search?" + urlencode([("q", q)] + [("filter", f) for f in filters])


@router.get("/search")
def search_page(request: Request, principal: WebPrincipal, session: Db, runtime: Rt,
                q: Annotated[str, Query(max_length=1000)] = "",
                filter: Annotated[list[str], Query()] = [],  # noqa: B006
                after: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    tenant_id = require(principal, Action.search)
    language = i18n.choose(request)
    parsed = parse_filters(filter)
    result = None
    if q.strip() or filter:
        result = search_records(session, runtime.backends.search, tenant_id, q, filters=parsed, limit=20,
                                after=after, language=language,
                                services=tenant_services.restricted_to(session, principal))
        access_log.log_search(runtime.backends.engine, principal, tenant_id, q, result)
    services = {s.id: s.name for s in tenant_services.list_services(session, tenant_id)}
    # read directly: list_types seeds the defaults (a write), which would hold SQLite's lock while the access
    # log below writes from its own transaction
    types = dict(session.exec(select(MailType.code, MailType.label).where(MailType.tenant_id == tenant_id)).all())

    def value_label(name: str, entry: dict) -> str:
        value = entry["value"]
        if "label" in entry and entry["label"]:
            return entry["label"]
        if name == "service":
            return services.get(value, value)
        if name == "mail_type":
            return types.get(value, value)
        if name == "status":
            return i18n.gettext(STATE_LABELS.get(value, value))
        if name == "register":
            return i18n.gettext(REGISTERS.get(value, value))
        return value

    facets = []
    if result:
        for name in FACET_ORDER:
            values = result["facets"].get(name) or []
            if values:
                facets.append({"name": name, "title": FACET_TITLES[name], "values": [
                    {"value": v["value"], "label": value_label(name, v), "count": v["count"],
                     "checked": f"{name}:{v['value']}" in filter} for v in values[:15]]})
    return render(request, "search.html", {
        "q": q, "filters": filter, "result": result, "facets": facets,
        "saved": saved_searches.list_saved(session, principal),
        "next_url": search_url(q, filter) + "&" + urlencode({"after": result["next"]})
        if result and result.get("next") else None,
        "search_url": search_url,
    })


@router.post("/search/saved")
def save_search(principal: WebPrincipal, runtime: Rt, name: Annotated[str, Form(max_length=200)],
                q: Annotated[str, Form(max_length=1000)] = "",
                filter: Annotated[list[str], Form()] = []) -> Response:  # noqa: B006
    with unit_of_work(runtime.backends.engine) as session:
        saved_searches.save(session, principal, name, q, filter)
    return RedirectResponse(search_url(q, filter), status_code=303)


@router.get("/search/saved/{saved_id}")
def run_saved(saved_id: str, principal: WebPrincipal, session: Db) -> Response:
    row = saved_searches.get(session, principal, saved_id)
    return RedirectResponse(search_url(row.query, list(row.filters or [])), status_code=303)


@router.post("/search/saved/{saved_id}/delete")
def delete_saved(saved_id: str, principal: WebPrincipal, runtime: Rt) -> Response:
    with unit_of_work(runtime.backends.engine) as session:
        saved_searches.delete(session, principal, saved_id)
    return RedirectResponse("/search", status_code=303)
