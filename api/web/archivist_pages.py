"""The archivist's pages (docs/retention.md): retention schedules (list, CSV import and export), the due list and
the sweep, holds (list, place, lift), disposition batches (approve, the State Archives' authorisation request
and reference, execute, restore) and destruction certificates. Archivists and admins (``retention.manage``);
every page and step calls the same service functions as ``api/routes/retention.py``, so another commune's
ids are missing (404)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import get_runtime, read_session
from api.web import files, i18n, nav
from api.web.deps import WebPrincipal, WebRoute
from api.web.i18n import N_
from api.web.templating import render
from dms import disposition, holds, records, retention, retention_due, retention_schedules, vocabulary
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import BadInput, NotFound, TooLarge
from dms.models import BatchState, FinalAction
from dms.permissions import Action, require
from ingest.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=WebRoute)
Db = Annotated[Session, Depends(read_session)]
Rt = Annotated[Runtime, Depends(get_runtime)]
nav.add("/retention", N_("Conservation"), nav.may(Action.retention_manage), order=50)

# States and actions as archivists say them (French source text, translated with the rest).
LABELS = {
    "OPEN": N_("ouvert"), "CLOSED": N_("clôturé (délai non commencé)"), "RETAINED": N_("conservé"),
    "ELIGIBLE": N_("échu"), "REVIEW": N_("à réexaminer"), "IN_BATCH": N_("dans un bordereau"),
    "PROPOSED": N_("proposé"), "APPROVED": N_("approuvé"),
    "AWAITING_AUTHORIZATION": N_("en attente d'autorisation"), "AUTHORIZED": N_("autorisé"),
    "EXECUTED": N_("exécuté"), "DESTROYED": N_("détruit"), "TRANSFERRED": N_("versé"),
    "ACCESSIONED": N_("pris en charge par les Archives"), "RESTORED": N_("rendu"),
    "DESTROY": N_("destruction"), "TRANSFER": N_("versement aux Archives de l'État"),
    "RETAIN_PERMANENTLY": N_("conservation permanente"), "registered": N_("enregistrement"),
    "received": N_("réception"), "closed": N_("clôture"), "event": N_("événement"),
    "records": N_("documents"), "classification": N_("classe du plan"), "query": N_("recherche"),
    "RETAIN": N_("conserver"),
}


def label(value: str | None) -> str:
    return i18n.gettext(LABELS[value]) if value in LABELS else (value or "")


def _tenant(principal: Principal) -> str:
    return require(principal, Action.retention_manage)


def _page(request: Request, template: str, context: dict) -> Response:
    return render(request, template, {"label": label, **context})


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _class_names(session: Session, tenant_id: str, uris) -> dict[str, str]:
    vocab = vocabulary.view(session, tenant_id)
    names = {}
    for uri in {u for u in uris if u}:
        concept = vocab.thesaurus.get(uri)
        names[uri] = " ".join(p for p in (concept.notation, vocab.label(uri, i18n.current())) if p) if concept \
            else uri
    return names


# ------------------------------------------------------------------------------------- overview, due list


@router.get("/retention")
def overview(request: Request, principal: WebPrincipal, session: Db, days: int = 90) -> Response:
    i18n.use(i18n.choose(request))  # class labels in the page's language
    tenant_id = _tenant(principal)
    days = max(0, min(days, 3660))
    due = retention_due.due_list(session, tenant_id, within_days=days)
    return _page(request, "archivist/overview.html", {
        "counts": sorted(retention.counts(session, tenant_id).items()), "due": due, "days": days,
        "classes": _class_names(session, tenant_id, [d.classification for d in due]),
        "open_batches": retention.open_batches(session, tenant_id), "swept": request.query_params.get("swept")})


@router.post("/retention/records/{record_id}/review")
def review_record(record_id: str, principal: WebPrincipal, runtime: Rt, decision: Annotated[str, Form(max_length=16)],
                  until: Annotated[date | None, Form()] = None,
                  comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """An archivist's decision on a record in REVIEW: destroy, transfer, or keep (until a date, or for good)."""
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        retention.review(session, tenant_id, principal.user_id, record_id, decision, until, comment)
    return _back("/retention")


@router.post("/retention/sweep")
def sweep(principal: WebPrincipal, runtime: Rt) -> Response:
    tenant_id = _tenant(principal)
    report = retention.sweep(runtime.backends.engine, tenant_id, principal.user_id, propose=True)
    return _back(f"/retention?swept={report.proposed}")


# -------------------------------------------------------------------------------------------- schedules


@router.get("/retention/schedules")
def schedules(request: Request, principal: WebPrincipal, session: Db) -> Response:
    i18n.use(i18n.choose(request))  # class labels in the page's language
    tenant_id = _tenant(principal)
    rows = retention_schedules.list_schedules(session, tenant_id)
    return _page(request, "archivist/schedules.html", {
        "rows": rows, "classes": _class_names(session, tenant_id, [r.class_uri for r in rows]),
        "imported": request.query_params.get("imported"), "triggers": retention_schedules.TRIGGERS,
        "actions": [a.value for a in FinalAction]})


@router.post("/retention/schedules")
def put_schedule(principal: WebPrincipal, runtime: Rt, class_ref: Annotated[str, Form(max_length=1000)],
                 trigger: Annotated[str, Form(max_length=16)], period: Annotated[str, Form(max_length=64)],
                 final_action: Annotated[str, Form(max_length=32)], event: Annotated[str, Form(max_length=100)] = "",
                 legal_reference: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Create or replace the schedule of one class (by URI or notation)."""
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        retention_schedules.put_schedule(session, tenant_id, principal.user_id, class_uri=class_ref, trigger=trigger,
                                         event=event or None, period=period, final_action=final_action,
                                         legal_reference=legal_reference)
    return _back("/retention/schedules")


@router.get("/retention/schedules/export.csv")
def export_schedules(principal: WebPrincipal, session: Db) -> Response:
    tenant_id = _tenant(principal)
    return Response(retention_schedules.export_csv(session, tenant_id), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tableau-de-tri.csv"'})


@router.post("/retention/schedules/import")
def import_schedules(principal: WebPrincipal, runtime: Rt, file: Annotated[UploadFile, File()]) -> Response:
    tenant_id = _tenant(principal)
    data = file.file.read(retention_schedules.MAX_CSV_BYTES + 1)
    if len(data) > retention_schedules.MAX_CSV_BYTES:
        raise TooLarge(f"CSV larger than {retention_schedules.MAX_CSV_BYTES} bytes")
    with unit_of_work(runtime.backends.engine) as session:
        done = retention_schedules.import_csv(session, tenant_id, principal.user_id, data)
    return _back(f"/retention/schedules?imported={done.get('lines', 0)}")


# ------------------------------------------------------------------------------------------------ holds


@router.get("/retention/holds")
def holds_page(request: Request, principal: WebPrincipal, session: Db) -> Response:
    i18n.use(i18n.choose(request))  # class labels in the page's language
    tenant_id = _tenant(principal)
    rows = holds.list_holds(session, tenant_id)
    return _page(request, "archivist/holds.html", {
        "rows": rows, "classes": _class_names(session, tenant_id, [h.class_uri for h in rows])})


@router.post("/retention/holds")
def place_hold(principal: WebPrincipal, runtime: Rt, name: Annotated[str, Form(max_length=200)],
               scope: Annotated[str, Form(max_length=16)], reason: Annotated[str, Form(max_length=4000)] = "",
               mandate: Annotated[str, Form(max_length=500)] = "", owner: Annotated[str, Form(max_length=200)] = "",
               review_date: Annotated[date | None, Form()] = None,
               class_ref: Annotated[str, Form(max_length=1000)] = "",
               query: Annotated[str, Form(max_length=1000)] = "",
               record_ids: Annotated[str, Form(max_length=400_000)] = "") -> Response:
    tenant_id = _tenant(principal)
    ids, class_uri, query_ids = None, None, None
    if scope == "records":
        ids = record_ids.split()
        if not ids:
            raise BadInput("record_ids is empty")
    elif scope == "classification":
        with unit_of_work(runtime.backends.engine, write=False) as session:
            class_uri = _class_uri(session, tenant_id, class_ref.strip())
    elif scope == "query":
        from dms import transfers

        with unit_of_work(runtime.backends.engine, write=False) as session:
            try:
                query_ids = transfers.select_records(session, runtime.backends.search, tenant_id, query=query,
                                                     limit=holds.MAX_RECORDS)
            except NotFound:
                query_ids = []
    else:
        raise BadInput("scope must be records, classification or query")
    with unit_of_work(runtime.backends.engine) as session:
        hold = holds.place(session, tenant_id, principal.user_id, name=name, reason=reason, mandate=mandate,
                           owner=owner, review_date=review_date, record_ids=ids, class_uri=class_uri,
                           query=query if scope == "query" else None, query_ids=query_ids)
        hold_id = hold.id
    holds.sync_store(runtime.backends, tenant_id)
    return _back(f"/retention/holds/{hold_id}")


def _class_uri(session: Session, tenant_id: str, ref: str) -> str:
    """A class of the plan named by URI or by notation (as the schedules' CSV does)."""
    vocab = vocabulary.view(session, tenant_id)
    if ref in vocab.thesaurus.concepts:
        return ref
    for concept in vocab.thesaurus.by_notation(ref):
        if vocab.is_plan_concept(concept.uri):
            return concept.uri
    raise BadInput(f"{ref!r} is not a class of the classification plan")


@router.get("/retention/holds/{hold_id}")
def hold_page(request: Request, hold_id: str, principal: WebPrincipal, session: Db) -> Response:
    i18n.use(i18n.choose(request))  # class labels in the page's language
    tenant_id = _tenant(principal)
    hold = holds.get(session, tenant_id, hold_id)
    covered = [records.get(session, tenant_id, i) for i in holds.record_ids_of(session, hold)[:500]]
    return _page(request, "archivist/hold.html", {
        "hold": hold, "covered": covered, "classes": _class_names(session, tenant_id, [hold.class_uri])})


@router.post("/retention/holds/{hold_id}/lift")
def lift_hold(hold_id: str, principal: WebPrincipal, runtime: Rt,
              reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        holds.lift(session, tenant_id, principal.user_id, hold_id, reason)
    holds.sync_store(runtime.backends, tenant_id)
    return _back(f"/retention/holds/{hold_id}")


# ---------------------------------------------------------------------------------------------- batches


@router.get("/retention/batches")
def batches(request: Request, principal: WebPrincipal, session: Db) -> Response:
    tenant_id = _tenant(principal)
    return _page(request, "archivist/batches.html", {"rows": disposition.list_batches(session, tenant_id)})


@router.get("/retention/batches/{batch_id}")
def batch_page(request: Request, batch_id: str, principal: WebPrincipal, session: Db) -> Response:
    i18n.use(i18n.choose(request))  # class labels in the page's language
    tenant_id = _tenant(principal)
    batch = disposition.to_dict(session, disposition.get(session, tenant_id, batch_id))
    return _page(request, "archivist/batch.html", {
        "batch": batch, "classes": _class_names(session, tenant_id, [r["classification"] for r in batch["records"]]),
        "may_restore": batch["state"] in disposition.NOT_RUN})


def _step(runtime: Runtime, principal: Principal, batch_id: str, step, *args) -> Response:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        step(session, tenant_id, principal.user_id, batch_id, *args)
    return _back(f"/retention/batches/{batch_id}")


@router.post("/retention/batches/{batch_id}/approve")
def approve(batch_id: str, principal: WebPrincipal, runtime: Rt) -> Response:
    return _step(runtime, principal, batch_id, disposition.approve)


@router.post("/retention/batches/{batch_id}/authorization-request")
def authorization_request(batch_id: str, principal: WebPrincipal, runtime: Rt) -> Response:
    """The SEDA request for the State Archives, as a download; the batch then waits for their answer."""
    name, xml = disposition.authorization_request_file(runtime.backends.engine, _tenant(principal), principal.user_id,
                                                       batch_id, schema_dir=runtime.settings.seda_schema_dir)
    return Response(xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/retention/batches/{batch_id}/authorize")
def authorize(batch_id: str, principal: WebPrincipal, runtime: Rt,
              reference: Annotated[str, Form(max_length=200)]) -> Response:
    return _step(runtime, principal, batch_id, disposition.authorize, reference)


@router.post("/retention/batches/{batch_id}/restore")
def restore(batch_id: str, principal: WebPrincipal, runtime: Rt,
            reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _step(runtime, principal, batch_id, disposition.restore, reason)


@router.post("/retention/batches/{batch_id}/accession")
def accession(batch_id: str, principal: WebPrincipal, runtime: Rt,
              reference: Annotated[str, Form(max_length=200)]) -> Response:
    return _step(runtime, principal, batch_id, disposition.accession, reference)


@router.post("/retention/batches/{batch_id}/execute")
def execute(batch_id: str, principal: WebPrincipal, runtime: Rt) -> Response:
    tenant_id = _tenant(principal)
    done = disposition.execute(runtime.backends, tenant_id, principal.user_id, batch_id,
                               actor_name=principal.email, schema_dir=runtime.settings.seda_schema_dir)
    if done.certificate_record_id:
        return _back(f"/retention/certificates/{batch_id}")
    return _back(f"/retention/batches/{batch_id}")


# ------------------------------------------------------------------------------------------ certificates


@router.get("/retention/certificates")
def certificates(request: Request, principal: WebPrincipal, session: Db) -> Response:
    tenant_id = _tenant(principal)
    rows = [b for b in disposition.list_batches(session, tenant_id, BatchState.executed.value)
            if b.action == FinalAction.destroy and b.certificate_record_id]
    filed = {b.id: records.get(session, tenant_id, b.certificate_record_id) for b in rows}
    return _page(request, "archivist/certificates.html", {"rows": rows, "filed": filed})


def _certificate(session: Session, tenant_id: str, batch_id: str):
    batch = disposition.get(session, tenant_id, batch_id)
    if not batch.certificate_record_id:
        raise NotFound("this batch has no destruction certificate")
    record = records.get(session, tenant_id, batch.certificate_record_id)
    return batch, record, records.files_of(session, record)


@router.get("/retention/certificates/{batch_id}")
def certificate_page(request: Request, batch_id: str, principal: WebPrincipal, session: Db) -> Response:
    tenant_id = _tenant(principal)
    batch, record, found = _certificate(session, tenant_id, batch_id)
    return _page(request, "archivist/certificate.html", {
        "batch": disposition.to_dict(session, batch, with_records=False), "record": record, "files": found})


@router.get("/retention/certificates/{batch_id}/files/{file_id}")
def certificate_file(batch_id: str, file_id: str, principal: WebPrincipal, session: Db, runtime: Rt) -> Response:
    tenant_id = _tenant(principal)
    _batch, record, found = _certificate(session, tenant_id, batch_id)
    row = next((f for f in found if f.id == file_id), None)
    if row is None:
        raise NotFound("no such file")
    return files.stream_blob(runtime, row.blob_key, row.mime, row.original_name, row.size, row.sha256, download=True)
