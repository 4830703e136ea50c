"""Retention for archivists (docs/retention.md): schedules, records' retention states, the sweep,
disposition batches, holds, and the audit export. Archivists and admins act; every other role gets 403."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import audit_export, disposition, holds, retention, retention_schedules
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.permissions import Action, require
from ingest.runtime import Runtime

router = APIRouter(prefix="/retention", tags=["retention"])
holds_router = APIRouter(prefix="/holds", tags=["holds"])
audit_router = APIRouter(prefix="/audit", tags=["audit"])

MAX_CSV = retention_schedules.MAX_CSV_BYTES


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_uri: str = Field(alias="class", min_length=1, max_length=1000, description="class URI or notation")
    trigger: Literal["registered", "received", "closed", "event"]
    event: str | None = Field(default=None, max_length=100)
    period: str = Field(min_length=2, max_length=64, description="ISO 8601 duration, e.g. P10Y")
    final_action: Literal["DESTROY", "TRANSFER", "RETAIN_PERMANENTLY", "REVIEW"]
    legal_reference: str = Field(default="", max_length=4000)


class Close(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closed_on: date | None = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    occurred_on: date | None = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["DESTROY", "TRANSFER", "RETAIN"]
    until: date | None = None
    comment: str = Field(default="", max_length=2000)


class SweepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    propose: bool = True


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=200)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=4000)
    mandate: str = Field(default="", max_length=500)
    owner: str = Field(default="", max_length=200)
    review_date: date | None = None
    record_ids: list[str] | None = Field(default=None, max_length=holds.MAX_RECORDS)
    class_uri: str | None = Field(default=None, alias="class", max_length=1000)
    query: str | None = Field(default=None, max_length=1000)


class HoldRecordsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_ids: list[str] = Field(min_length=1, max_length=holds.MAX_RECORDS)


Archivist = Annotated[Principal, Depends(current_principal)]
Rt = Annotated[Runtime, Depends(get_runtime)]
Read = Annotated[Session, Depends(read_session)]


def _tenant(principal: Principal) -> str:
    return require(principal, Action.retention_manage)


# ---------------------------------------------------------------------------------------------- schedules


@router.get("/schedules", summary="The retention schedules of the commune's classes")
def list_schedules(principal: Archivist, session: Read) -> dict:
    tenant_id = _tenant(principal)
    return {"schedules": [retention_schedules.to_dict(r) for r in retention_schedules.list_schedules(session,
                                                                                                     tenant_id)]}


@router.post("/schedules", status_code=201, summary="Create or replace the schedule of a class of the plan")
def put_schedule(body: ScheduleIn, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        row = retention_schedules.put_schedule(
            session, tenant_id, principal.user_id, class_uri=body.class_uri, trigger=body.trigger, event=body.event,
            period=body.period, final_action=body.final_action, legal_reference=body.legal_reference)
        return retention_schedules.to_dict(row)


@router.delete("/schedules/{schedule_id}", summary="Remove a class's schedule")
def delete_schedule(schedule_id: str, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        retention_schedules.delete_schedule(session, tenant_id, principal.user_id, schedule_id)
    return {"deleted": schedule_id}


@router.get("/schedules/export", summary="The schedules as CSV (UTF-8 with BOM, ';')", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export_schedules(principal: Archivist, session: Read) -> Response:
    tenant_id = _tenant(principal)
    return Response(retention_schedules.export_csv(session, tenant_id), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="retention-schedules.csv"'})


@router.post("/schedules/import", summary="Import schedules from CSV: all lines or none")
def import_schedules(file: UploadFile, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    data = file.file.read(MAX_CSV + 1)
    with unit_of_work(runtime.backends.engine) as session:
        return retention_schedules.import_csv(session, tenant_id, principal.user_id, data)


# ------------------------------------------------------------------------------------------------ records


@router.get("/records/{record_id}", summary="A record's retention: state, due date, schedule, holds, events")
def record_retention(record_id: str, principal: Archivist, session: Read) -> dict:
    return retention.describe(session, _tenant(principal), record_id)


@router.post("/records/{record_id}/close", summary="Cut-off: the record is complete, its period can start")
def close_record(record_id: str, body: Close, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        retention.close(session, tenant_id, principal.user_id, record_id, body.closed_on)
        return retention.describe(session, tenant_id, record_id)


@router.post("/records/{record_id}/events", status_code=201, summary="Record a named event that starts a period")
def add_event(record_id: str, body: EventIn, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        retention.add_event(session, tenant_id, principal.user_id, record_id, body.name, body.occurred_on)
        return retention.describe(session, tenant_id, record_id)


@router.post("/records/{record_id}/review", summary="Decide on a record in REVIEW: DESTROY, TRANSFER or RETAIN")
def review_record(record_id: str, body: ReviewIn, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        retention.review(session, tenant_id, principal.user_id, record_id, body.decision, body.until, body.comment)
        return retention.describe(session, tenant_id, record_id)


@router.get("/summary", summary="How many of the commune's records are in each retention state")
def summary(principal: Archivist, session: Read) -> dict:
    tenant_id = _tenant(principal)
    return {"states": retention.counts(session, tenant_id), "open_batches": retention.open_batches(session, tenant_id)}


@router.post("/sweep", summary="Move due records along and propose disposition batches (idempotent)")
def sweep(body: SweepIn, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    return retention.sweep(runtime.backends.engine, tenant_id, principal.user_id, propose=body.propose).as_dict()


# ------------------------------------------------------------------------------------------------ batches


@router.get("/batches", summary="Disposition batches (bordereaux), newest first")
def list_batches(principal: Archivist, session: Read,
                 state: Annotated[str | None, Query(max_length=32)] = None) -> dict:
    tenant_id = _tenant(principal)
    return {"batches": [disposition.to_dict(session, b, with_records=False)
                        for b in disposition.list_batches(session, tenant_id, state)]}


@router.get("/batches/{batch_id}", summary="A batch and its records")
def get_batch(batch_id: str, principal: Archivist, session: Read) -> dict:
    return disposition.to_dict(session, disposition.get(session, _tenant(principal), batch_id))


def _step(runtime: Runtime, principal: Principal, batch_id: str, step, *args) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        batch = step(session, tenant_id, principal.user_id, batch_id, *args)
        return disposition.to_dict(session, batch, with_records=False)


@router.post("/batches/{batch_id}/approve", summary="Approve a proposed batch")
def approve(batch_id: str, principal: Archivist, runtime: Rt) -> dict:
    return _step(runtime, principal, batch_id, disposition.approve)


@router.post("/batches/{batch_id}/authorization-request", response_class=Response,
             summary="The SEDA AuthorizationControlAuthorityRequest for the State Archives (XML)",
             responses={200: {"content": {"application/xml": {}}}})
def authorization_request(batch_id: str, principal: Archivist, runtime: Rt) -> Response:
    name, xml = disposition.authorization_request_file(runtime.backends.engine, _tenant(principal), principal.user_id,
                                                       batch_id, schema_dir=runtime.settings.seda_schema_dir)
    return Response(xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/batches/{batch_id}/authorize", summary="Record the archives' authorisation reference")
def authorize(batch_id: str, body: Reference, principal: Archivist, runtime: Rt) -> dict:
    return _step(runtime, principal, batch_id, disposition.authorize, body.reference)


@router.post("/batches/{batch_id}/restore", summary="Give the batch back before it runs (records to REVIEW)")
def restore(batch_id: str, body: Reason, principal: Archivist, runtime: Rt) -> dict:
    return _step(runtime, principal, batch_id, disposition.restore, body.reason)


@router.post("/batches/{batch_id}/execute", summary="Destroy or transfer an authorised batch")
def execute(batch_id: str, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    done = disposition.execute(runtime.backends, tenant_id, principal.user_id, batch_id,
                               actor_name=principal.email, schema_dir=runtime.settings.seda_schema_dir)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        out = disposition.to_dict(session, disposition.get(session, tenant_id, batch_id), with_records=False)
    out.update(records=done.records, blobs_deleted=done.blobs_deleted, blobs_kept=done.blobs_kept,
               transfer_package=str(done.transfer_path) if done.transfer_path else None)
    return out


@router.post("/batches/{batch_id}/accession", summary="The archives confirm the transferred records (ACCESSIONED)")
def accession(batch_id: str, body: Reference, principal: Archivist, runtime: Rt) -> dict:
    return _step(runtime, principal, batch_id, disposition.accession, body.reference)


# -------------------------------------------------------------------------------------------------- holds


@holds_router.get("", summary="Holds of the commune (active=true|false to filter)")
def list_holds(principal: Archivist, session: Read, active: bool | None = None) -> dict:
    tenant_id = _tenant(principal)
    return {"holds": [holds.to_dict(h) for h in holds.list_holds(session, tenant_id, active=active)]}


@holds_router.post("", status_code=201, summary="Place a hold on records, a class, or what a query finds")
def place_hold(body: HoldIn, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    query_ids = None
    if body.query:
        from dms import transfers
        from dms.errors import NotFound

        with unit_of_work(runtime.backends.engine, write=False) as session:
            try:
                query_ids = transfers.select_records(session, runtime.backends.search, tenant_id, query=body.query,
                                                     limit=holds.MAX_RECORDS)
            except NotFound:
                query_ids = []
    if body.record_ids is not None and not body.record_ids:
        raise BadInput("record_ids is empty")
    with unit_of_work(runtime.backends.engine) as session:
        hold = holds.place(session, tenant_id, principal.user_id, name=body.name, reason=body.reason,
                           mandate=body.mandate, owner=body.owner, review_date=body.review_date,
                           record_ids=body.record_ids, class_uri=body.class_uri, query=body.query,
                           query_ids=query_ids)
        out = holds.to_dict(hold, holds.record_ids_of(session, hold))
    holds.sync_store(runtime.backends, tenant_id)
    return out


@holds_router.get("/{hold_id}", summary="A hold and the records it covers")
def get_hold(hold_id: str, principal: Archivist, session: Read) -> dict:
    hold = holds.get(session, _tenant(principal), hold_id)
    return holds.to_dict(hold, holds.record_ids_of(session, hold))


@holds_router.post("/{hold_id}/records", summary="Add records to a hold")
def add_hold_records(hold_id: str, body: HoldRecordsIn, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        hold = holds.add_records(session, tenant_id, principal.user_id, hold_id, body.record_ids)
        out = holds.to_dict(hold, holds.record_ids_of(session, hold))
    holds.sync_store(runtime.backends, tenant_id)
    return out


@holds_router.post("/{hold_id}/lift", summary="Lift a hold (it stays, with who lifted it, when and why)")
def lift_hold(hold_id: str, body: Reason, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        out = holds.to_dict(holds.lift(session, tenant_id, principal.user_id, hold_id, body.reason))
    holds.sync_store(runtime.backends, tenant_id)
    return out


@holds_router.delete("/{hold_id}", summary="Delete a hold that never covered a record (409 otherwise)")
def delete_hold(hold_id: str, principal: Archivist, runtime: Rt) -> dict:
    tenant_id = _tenant(principal)
    with unit_of_work(runtime.backends.engine) as session:
        holds.delete(session, tenant_id, principal.user_id, hold_id)
    return {"deleted": hold_id}


# -------------------------------------------------------------------------------------------------- audit


@audit_router.get("/export", summary="The commune's audit chain, every event with its hashes (JSON Lines or CSV)",
                  response_class=StreamingResponse,
                  responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}})
def export_audit(principal: Archivist, runtime: Rt,
                 format: Annotated[Literal["jsonl", "csv"], Query()] = "jsonl") -> StreamingResponse:  # noqa: A002
    tenant_id = require(principal, Action.audit_export)
    return StreamingResponse(audit_export.export(runtime.backends.engine, tenant_id, format),
                             media_type=audit_export.FORMATS[format],
                             headers={"Content-Disposition": f'attachment; filename="audit.{format}"'})
