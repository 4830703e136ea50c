"""The clerk's pages: the inbox where scans are dropped, the registration form with its suggestions, the
day's register, and the small htmx fragments the form uses (contact and concept pickers)."""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlmodel import Session
from starlette.responses import JSONResponse, RedirectResponse, Response

from api.deps import get_runtime, read_session
from api.web import i18n, nav
from api.web.deps import CSRF_HEADER, WebPrincipal, WebRoute
from api.web.files import stream_blob
from api.web.i18n import N_
from api.web.templating import render, utc_today
from dms import contacts, mail_types, tenant_services, vocabulary, worklists
from dms.errors import BadInput
from dms.models import RegisterKind
from dms.permissions import Action, require, require_scope
from ingest import inbox
from ingest.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=WebRoute)
log = logging.getLogger(__name__)
nav.add("/inbox", N_("Arrivée du courrier"), nav.may(Action.record_create), order=10)
nav.add("/register/today", N_("Registre du jour"), nav.may(Action.record_create), order=20)

Db = Annotated[Session, Depends(read_session)]
Rt = Annotated[Runtime, Depends(get_runtime)]


@router.get("/inbox")
def inbox_page(request: Request, principal: WebPrincipal, session: Db) -> Response:
    items = inbox.list_items(session, principal)
    return render(request, "inbox.html", {"items": items})


@router.get("/inbox/items")
def inbox_items(request: Request, principal: WebPrincipal, session: Db) -> Response:
    return render(request, "_inbox_items.html", {"items": inbox.list_items(session, principal)})


@router.post("/inbox/upload")
def inbox_upload(request: Request, principal: WebPrincipal, runtime: Rt,
                 file: Annotated[list[UploadFile], File()]) -> Response:
    """The page's script sends each dropped file on its own (one progress bar each) and reads the JSON
    answer; without JavaScript the form posts every chosen file at once and comes back to the inbox."""
    require(principal, Action.record_create)
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    added = []
    for part in file:
        with tempfile.NamedTemporaryFile(dir=spool, prefix="web-upload-") as tmp:
            shutil.copyfileobj(part.file, tmp, 1024 * 1024)
            tmp.flush()
            added.append(inbox.add(runtime, principal, Path(tmp.name), part.filename or "document"))
    if not request.headers.get(CSRF_HEADER):
        return RedirectResponse("/inbox", status_code=303)
    item = added[0]
    return JSONResponse({"id": item.id, "name": item.original_name, "url": f"/inbox/{item.id}"}, status_code=201)


def _concept_label(vocab: vocabulary.Vocabulary, uri: str | None, language: str) -> str:
    if not uri:
        return ""
    return vocab.label(uri, language) if uri in vocab.thesaurus else uri


@router.get("/inbox/{item_id}")
def registration_form(request: Request, item_id: str, principal: WebPrincipal, session: Db) -> Response:
    item = inbox.get(session, principal, item_id)
    language = i18n.choose(request)
    try:
        suggestions = inbox.suggestions(session, item, language=language)
    except Exception:  # noqa: BLE001 (advice only: the form works without it)
        log.warning("suggestions failed for inbox item %s", item.id, exc_info=True)
        suggestions = {"classification": [], "keywords": []}
    tenant_id = item.tenant_id
    return render(request, "register_form.html", {
        "item": item,
        "suggestions": suggestions,
        "duplicate": inbox.duplicate_of(session, item),
        "services": tenant_services.list_services(session, tenant_id),
        "mail_types": mail_types.list_types(session, tenant_id),
        "today": utc_today().isoformat(),
        "registers": [("incoming", N_("Entrant")), ("outgoing", N_("Sortant")), ("internal", N_("Interne"))],
    })


@router.get("/inbox/{item_id}/file")
def inbox_file(item_id: str, principal: WebPrincipal, session: Db, runtime: Rt) -> Response:
    item = inbox.get(session, principal, item_id)
    return stream_blob(runtime, item.blob_key, item.mime, item.original_name, item.size, item.sha256)


def _optional_date(value: str, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"invalid {what}: use YYYY-MM-DD") from None


@router.post("/inbox/{item_id}/register")
def register(
    item_id: str,
    principal: WebPrincipal,
    runtime: Rt,
    subject: Annotated[str, Form(max_length=500)] = "",
    register_name: Annotated[str, Form(alias="register", pattern="^(incoming|outgoing|internal)$")] = "incoming",
    received_at: Annotated[str, Form(max_length=10)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "",
    classification: Annotated[str, Form(max_length=1000)] = "",
    keywords: Annotated[list[str], Form()] = [],  # noqa: B006
    sender_id: Annotated[str, Form(max_length=36)] = "",
    treating_service: Annotated[str, Form(max_length=64)] = "",
    mail_type: Annotated[str, Form(max_length=64)] = "",
    external_reference: Annotated[str, Form(max_length=200)] = "",
    allow_duplicate: Annotated[bool, Form()] = False,
) -> Response:
    received = _optional_date(received_at, "reception date")
    form = inbox.Registration(
        register=RegisterKind.parse(register_name), subject=subject,
        received_at=datetime.combine(received, time.min, tzinfo=UTC) if received else None,
        classification=classification or None, keywords=[k for k in keywords if k],
        sender_id=sender_id or None, treating_service_id=treating_service or None, mail_type=mail_type or None,
        due_date=_optional_date(due_date, "due date"), external_reference=external_reference,
        allow_duplicate=allow_duplicate,
    )
    done = inbox.register(runtime, principal, item_id, form)
    return RedirectResponse(f"/records/{done.record.id}?registered=1", status_code=303)


@router.post("/inbox/{item_id}/discard")
def discard(item_id: str, principal: WebPrincipal, runtime: Rt) -> Response:
    inbox.discard(runtime, principal, item_id)
    return RedirectResponse("/inbox", status_code=303)


@router.get("/register/today")
def today(request: Request, principal: WebPrincipal, session: Db, day: str = "") -> Response:
    wanted = _optional_date(day, "day") or utc_today()
    rows = worklists.day_register(session, principal, wanted)
    return render(request, "today.html", {"rows": rows, "day": wanted})


# ------------------------------------------------------------------------------------ htmx fragments


@router.get("/ui/contacts")
def contact_options(request: Request, principal: WebPrincipal, session: Db, q: str = "") -> Response:
    tenant_id = require(principal, Action.contact_read)
    found = contacts.search(session, tenant_id, q[:100], limit=10) if q.strip() else []
    return render(request, "_contact_options.html", {"contacts": found, "q": q})


@router.get("/ui/concepts")
def concept_options(request: Request, principal: WebPrincipal, session: Db, q: str = "",
                    target: str = "classification") -> Response:
    tenant_id = require_scope(principal, Action.thesaurus_read)
    language = i18n.choose(request)
    found = vocabulary.autocomplete(session, tenant_id, q[:200], language=language, limit=10) if q.strip() else []
    if target == "classification":
        vocab = vocabulary.view(session, tenant_id)
        found = [c for c in found if vocab.is_plan_concept(c["uri"])] or found
    return render(request, "_concept_options.html", {"concepts": found, "target": target,
                                                     "q": q})
