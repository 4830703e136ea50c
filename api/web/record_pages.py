"""The record page: preview, metadata, files, metadata versions, workflow buttons for the user's role, the
history from the audit trail and the SEDA XML; and the file and XML downloads the page links to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlmodel import Session, select
from starlette.responses import RedirectResponse, Response

from api.deps import get_runtime, read_session
from api.web import i18n
from api.web.deps import WebPrincipal, WebRoute
from api.web.files import previewable, stream_blob
from api.web.i18n import N_
from api.web.templating import render
from dms import access_log, contacts, record_history, record_metadata, records, tenant_services, vocabulary, workflow
from dms.db import unit_of_work
from dms.errors import NotFound
from dms.models import MailType, RegisterKind, Role, User
from dms.permissions import Action, require
from ingest.pipeline import run_jobs_now
from ingest.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=WebRoute)
Db = Annotated[Session, Depends(read_session)]
Rt = Annotated[Runtime, Depends(get_runtime)]

REGISTER_NAMES = {"E": N_("Entrant"), "S": N_("Sortant"), "I": N_("Interne")}


def _names(session: Session, record, language: str) -> dict:
    """What the page prints instead of ids: contacts, services, people, mail type and concept labels."""
    tenant_id = record.tenant_id

    def contact(cid: str | None) -> str:
        if not cid:
            return ""
        try:
            return contacts.get(session, tenant_id, cid).name
        except NotFound:
            return cid

    def service(sid: str | None) -> str:
        if not sid:
            return ""
        try:
            return tenant_services.get(session, tenant_id, sid).name
        except NotFound:
            return sid

    vocab = vocabulary.view(session, tenant_id)

    def concept(uri: str | None) -> str:
        if not uri:
            return ""
        return vocab.label(uri, language) if uri in vocab.thesaurus else uri

    assignee = session.get(User, record.assignee_id) if record.assignee_id else None
    mail_type = None
    if record.mail_type:
        mail_type = session.exec(select(MailType).where(MailType.tenant_id == tenant_id,
                                                        MailType.code == record.mail_type)).first()
    return {
        "sender": contact(record.sender_id),
        "recipients": [contact(c) for c in record.recipient_ids or []],
        "treating_service": service(record.treating_service_id),
        "copy_services": [service(s) for s in record.copy_service_ids or []],
        "assignee": (assignee.name or assignee.email) if assignee else "",
        "mail_type": mail_type.label if mail_type else (record.mail_type or ""),
        "classification": concept(record.classification),
        "keywords": [concept(k) for k in record.keywords or []],
        "register": REGISTER_NAMES.get(record.register_code, record.register_code),
    }


WEB = {"channel": "web"}


@router.get("/records/{record_id}")
def record_page(request: Request, record_id: str, principal: WebPrincipal, session: Db, runtime: Rt,
                registered: int = 0) -> Response:
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id, viewer=principal)
    access_log.log(runtime.backends.engine, principal, tenant_id, access_log.RECORD_READ, record_id=record.id,
                   detail=WEB)
    files = records.files_of(session, record)
    language = i18n.choose(request)
    current = record_metadata.get_version(session, record)
    preview = next((f for f in files if previewable(f.mime)), None)
    return render(request, "record.html", {
        "record": record,
        "files": files,
        "preview": preview,
        "names": _names(session, record, language),
        "versions": record_metadata.versions(session, record),
        "xml": current.xml,
        "next_states": workflow.next_states(record, principal.role),
        "may_cancel": principal.role in (Role.clerk, Role.admin) and not record.cancelled,
        "history": record_history.events(session, principal, record.id),
        "notes": workflow.notes(session, principal, record.id),
        "may_note": principal.role in workflow.ACTORS,
        "registered": bool(registered),
        "outgoing": record.register_code == RegisterKind.outgoing.value,
    })


@router.get("/records/{record_id}/files/{file_id}")
def record_file(record_id: str, file_id: str, principal: WebPrincipal, session: Db, runtime: Rt,
                download: int = 0) -> Response:
    tenant_id = require(principal, Action.record_read)
    records.get(session, tenant_id, record_id, viewer=principal)
    row = records.get_file(session, tenant_id, record_id, file_id)
    access_log.log(runtime.backends.engine, principal, tenant_id, access_log.FILE_READ, record_id=record_id,
                   file_id=row.id, detail=WEB)
    return stream_blob(runtime, row.blob_key, row.mime, row.original_name, row.size, row.sha256,
                       download=bool(download))


@router.get("/records/{record_id}/metadata.xml")
def record_xml(record_id: str, principal: WebPrincipal, session: Db, runtime: Rt,
               version: int | None = None) -> Response:
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id, viewer=principal)
    row = record_metadata.get_version(session, record, version)
    access_log.log(runtime.backends.engine, principal, tenant_id, access_log.METADATA_READ, record_id=record.id,
                   detail={**WEB, "version": row.version})
    return Response(row.xml.encode("utf-8"), media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{record.reference.replace("/", "-")}-v{row.version}.xml"'})


@router.post("/records/{record_id}/transition")
def record_transition(record_id: str, principal: WebPrincipal, runtime: Rt,
                      to: Annotated[str, Form(max_length=32)],
                      comment: Annotated[str, Form(max_length=workflow.MAX_COMMENT)] = "") -> Response:
    require(principal, Action.record_read)
    with unit_of_work(runtime.backends.engine) as session:
        done = workflow.transition(session, principal, record_id, to, comment,
                                   schema_dir=runtime.settings.seda_schema_dir)
    run_jobs_now(runtime, done.job_ids)
    return RedirectResponse(f"/records/{record_id}", status_code=303)


@router.post("/records/{record_id}/notes")
def record_note(record_id: str, principal: WebPrincipal, runtime: Rt,
                text: Annotated[str, Form(max_length=workflow.MAX_NOTE)]) -> Response:
    require(principal, Action.record_read)
    with unit_of_work(runtime.backends.engine) as session:
        workflow.add_note(session, principal, record_id, text, schema_dir=runtime.settings.seda_schema_dir)
    return RedirectResponse(f"/records/{record_id}#notes", status_code=303)


@router.post("/records/{record_id}/cancel")
def record_cancel(record_id: str, principal: WebPrincipal, runtime: Rt,
                  reason: Annotated[str, Form(max_length=workflow.MAX_REASON)]) -> Response:
    require(principal, Action.record_cancel)
    with unit_of_work(runtime.backends.engine) as session:
        done = workflow.cancel(session, principal, record_id, reason, schema_dir=runtime.settings.seda_schema_dir)
    run_jobs_now(runtime, done.job_ids)
    return RedirectResponse(f"/records/{record_id}", status_code=303)
