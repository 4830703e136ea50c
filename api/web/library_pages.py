"""The shared library's pages (docs/library.md): the federation-wide catalog with facets, item pages (versions,
labels, the communes that use them), the publish form, the adopt and submit-for-label buttons, and the
regional librarian's label review. Same service functions and permissions as ``api/routes/library.py``;
buttons are shown only to users the service would let act."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response, StreamingResponse

from api.deps import get_runtime, read_session
from api.web import i18n, nav
from api.web.deps import WebPrincipal, WebRoute
from api.web.i18n import N_
from api.web.templating import render
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import NotFound, TooLarge
from dms.library import MAX_ARTEFACT_BYTES, adoption, catalog, labels
from dms.models.library import ItemKind
from dms.permissions import Action, require, require_scope
from ingest.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=WebRoute)
Db = Annotated[Session, Depends(read_session)]
Rt = Annotated[Runtime, Depends(get_runtime)]
nav.add("/library", N_("Bibliothèque"), nav.may(Action.library_read, federation=True), order=55)
nav.add("/library/reviews", N_("Labels à examiner"), nav.may(Action.library_review, federation=True), order=56)

FACETS = (("kind", N_("Type")), ("licence", N_("Licence")), ("publisher", N_("Éditeur")), ("label", N_("Label")))
LABELS = {
    "letter_template": N_("modèle de lettre"), "code": N_("code"), "schema": N_("schéma XML ou XSLT"),
    "thesaurus_extension": N_("extension du thésaurus"), "process": N_("description de procédure"),
    "none": N_("sans label"), "submitted": N_("soumis"), "in_review": N_("en cours d'examen"),
    "labelled": N_("labellisé"), "rejected": N_("refusé"),
}
KINDS = [k.value for k in ItemKind]


def label(value: str | None) -> str:
    return i18n.gettext(LABELS[value]) if value in LABELS else (value or "")


def text_of(texts: dict | str | None) -> str:
    """A title or description in the page's language, else French, else any."""
    if not isinstance(texts, dict):
        return texts or ""
    return texts.get(i18n.current()) or texts.get("fr") or next(iter(texts.values()), "")


def allowed(principal: Principal, action: Action, *, federation: bool = False) -> bool:
    return nav.may(action, federation=federation)(principal)


def _page(request: Request, template: str, context: dict) -> Response:
    return render(request, template, {"label": label, "text_of": text_of, **context})


def _read(part: UploadFile, limit: int = MAX_ARTEFACT_BYTES) -> bytes:
    data = part.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"file larger than {limit} bytes")
    return data


# ---------------------------------------------------------------------------------------------- catalog


@router.get("/library")
def catalog_page(request: Request, principal: WebPrincipal, session: Db, runtime: Rt,
                 q: Annotated[str, Query(max_length=1000)] = "",
                 filter: Annotated[list[str], Query()] = [],  # noqa: A002, B006
                 after: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    require_scope(principal, Action.library_read)
    i18n.use(i18n.choose(request))  # facet values in the page's language
    chosen = [f for f in filter if f.partition(":")[0] in dict(FACETS)]
    result = catalog.search(session, runtime.backends.search, q, filters=catalog.parse_filters(chosen), limit=20,
                            after=after)  # the catalog's French analysis, as the API's
    publishers = {h["publisher"]["slug"]: h["publisher"]["name"] for h in result["hits"] if h.get("publisher")}
    shown = {"kind": label, "label": label, "publisher": lambda slug: publishers.get(slug, slug)}
    facets = []
    for name, title in FACETS:
        values = [{"value": v["value"], "count": v["count"], "checked": f"{name}:{v['value']}" in chosen,
                   "label": shown.get(name, str)(v["value"])}
                  for v in result["facets"].get(name, [])]
        if values:
            facets.append({"name": name, "title": title, "values": values})
    next_url = "/library?" + urlencode([("q", q), *[("filter", f) for f in chosen], ("after", result["next"])]) \
        if result.get("next") else None
    return _page(request, "library/catalog.html", {
        "q": q, "filters": chosen, "result": result, "facets": facets, "next_url": next_url,
        "may_publish": allowed(principal, Action.library_publish)})


# ------------------------------------------------------------------------------------------------- item


@router.get("/library/items/{item_ref}")
def item_page(request: Request, item_ref: str, principal: WebPrincipal, session: Db) -> Response:
    require_scope(principal, Action.library_read)
    item = catalog.get_item(session, item_ref)
    page = catalog.item_page(session, item)
    adopted = None
    if principal.tenant_id:
        try:
            adopted = adoption.to_dict(session, adoption.find(session, principal.tenant_id, item.id))
        except NotFound:
            adopted = None
    own = principal.tenant_id is not None and item.publisher_id == principal.tenant_id
    return _page(request, "library/item.html", {
        "item": page, "adopted": adopted,
        "may_adopt": item.kind == ItemKind.letter_template and adopted is None
        and allowed(principal, Action.library_adopt),
        "may_submit": own and allowed(principal, Action.library_publish),
        "may_review": allowed(principal, Action.library_review, federation=True),
        "published": request.query_params.get("published")})


@router.get("/library/items/{item_ref}/versions/{version}/download")
def download(item_ref: str, version: str, principal: WebPrincipal, runtime: Rt) -> Response:
    require_scope(principal, Action.library_read)
    row, chunks = catalog.download(runtime.backends, principal, item_ref, version)
    return StreamingResponse(chunks, media_type=row.mime, headers={
        "Content-Length": str(row.size), "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
        "X-Content-Type-Options": "nosniff", "ETag": f'"{row.sha256}"', "Cache-Control": "private, no-store"})


@router.post("/library/items/{item_ref}/adopt")
def adopt(item_ref: str, principal: WebPrincipal, runtime: Rt) -> Response:
    require(principal, Action.library_adopt)
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = adoption.adopt(session, principal, item_ref)
    catalog.run_index_jobs(runtime.backends, [job_id])
    return RedirectResponse(f"/library/items/{answer['item']['slug']}", status_code=303)


@router.post("/library/items/{item_ref}/versions/{version}/submit")
def submit(item_ref: str, version: str, principal: WebPrincipal, runtime: Rt,
           comment: Annotated[str, Form(max_length=5000)] = "") -> Response:
    require(principal, Action.library_publish)
    with unit_of_work(runtime.backends.engine) as session:
        _answer, job_id = labels.submit(session, principal, item_ref, version, comment)
    catalog.run_index_jobs(runtime.backends, [job_id])
    return RedirectResponse(f"/library/items/{quote(item_ref)}", status_code=303)


# ---------------------------------------------------------------------------------------------- publish


@router.get("/library/publish")
def publish_form(request: Request, principal: WebPrincipal) -> Response:
    require(principal, Action.library_publish)
    return _page(request, "library/publish.html", {"kinds": KINDS})


@router.post("/library/publish")
def publish(principal: WebPrincipal, runtime: Rt, file: Annotated[UploadFile, File()],
            kind: Annotated[str, Form(max_length=32)], version: Annotated[str, Form(max_length=100)],
            title: Annotated[str, Form(max_length=300)], description: Annotated[str, Form(max_length=20000)] = "",
            slug: Annotated[str, Form(max_length=100)] = "", licence: Annotated[str, Form(max_length=500)] = "",
            maintainers: Annotated[str, Form(max_length=5000)] = "",
            changelog: Annotated[str, Form(max_length=50000)] = "",
            publiccode: Annotated[UploadFile | None, File()] = None) -> Response:
    require(principal, Action.library_publish)
    meta = catalog.ItemInput(kind=kind, title={"fr": title}, description={"fr": description} if description else "",
                             slug=slug or None, licence=licence or None,
                             maintainers=[m.strip() for m in maintainers.split(",") if m.strip()])
    extra = _read(publiccode, 256 * 1024 + 1) if publiccode is not None and publiccode.filename else None
    new = catalog.VersionInput(version=version, filename=file.filename or "artefact", changelog=changelog,
                               publiccode=extra)
    item, _version = catalog.publish(runtime.backends, principal, _read(file), meta, new)
    return RedirectResponse(f"/library/items/{item.slug}?published=1", status_code=303)


# ----------------------------------------------------------------------------------------------- review


@router.get("/library/reviews")
def reviews(request: Request, principal: WebPrincipal, session: Db) -> Response:
    require_scope(principal, Action.library_review)
    return _page(request, "library/reviews.html", {"queue": labels.queue(session)})


@router.post("/library/items/{item_ref}/versions/{version}/review")
def review(item_ref: str, version: str, principal: WebPrincipal, runtime: Rt,
           to: Annotated[str, Form(max_length=20)], comment: Annotated[str, Form(max_length=5000)] = "",
           back: Annotated[str, Form(max_length=20)] = "") -> Response:
    require_scope(principal, Action.library_review)
    with unit_of_work(runtime.backends.engine) as session:
        _answer, job_id = labels.review(session, principal, item_ref, version, to, comment)
    catalog.run_index_jobs(runtime.backends, [job_id])
    target = f"/library/items/{quote(item_ref)}" if back == "item" else "/library/reviews"
    return RedirectResponse(target, status_code=303)
