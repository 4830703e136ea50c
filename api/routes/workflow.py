"""Treating mail: workflow transitions, notes, cancellation; and the registry's settings an admin keeps
(mail types, services and their members, number formats)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import mail_types, records, register_settings, tenant_services, workflow
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.models import RegisterKind
from dms.permissions import Action, require
from ingest.pipeline import run_jobs_now
from ingest.runtime import Runtime

router = APIRouter(tags=["workflow"])


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(max_length=32)
    comment: str = Field(default="", max_length=workflow.MAX_COMMENT)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=workflow.MAX_NOTE)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=workflow.MAX_REASON)


def _answer(session: Session, principal: Principal, record) -> dict:
    answer = records.to_dict(record, records.files_of(session, record))
    answer["next_states"] = workflow.next_states(record, principal.role)
    return answer


@router.post("/records/{record_id}/transitions", summary="Move a record along its workflow (to, comment)")
def post_transition(
    record_id: str,
    body: TransitionIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    require(principal, Action.record_read)
    with unit_of_work(runtime.backends.engine) as session:
        done = workflow.transition(session, principal, record_id, body.to, body.comment,
                                   schema_dir=runtime.settings.seda_schema_dir)
        answer = _answer(session, principal, done.record)
    run_jobs_now(runtime, done.job_ids)
    return answer


@router.get("/records/{record_id}/transitions", summary="The record's workflow history and its next states")
def get_transitions(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.record_read)
    record = records.get(session, tenant_id, record_id, viewer=principal)
    return {"status": record.status, "next_states": workflow.next_states(record, principal.role),
            "history": workflow.history(session, principal, record_id)}


@router.post("/records/{record_id}/notes", status_code=201, summary="Append a note (notes are never edited)")
def post_note(
    record_id: str,
    body: NoteIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    require(principal, Action.record_read)
    with unit_of_work(runtime.backends.engine) as session:
        note = workflow.add_note(session, principal, record_id, body.text, schema_dir=runtime.settings.seda_schema_dir)
        return workflow.note_to_dict(note)


@router.get("/records/{record_id}/notes", summary="The record's notes, oldest first")
def get_notes(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    require(principal, Action.record_read)
    return {"notes": [workflow.note_to_dict(n) for n in workflow.notes(session, principal, record_id)]}


@router.post("/records/{record_id}/cancel", summary="Cancel a registration: the number stays, marked cancelled")
def post_cancel(
    record_id: str,
    body: ReasonIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    require(principal, Action.record_cancel)
    with unit_of_work(runtime.backends.engine) as session:
        done = workflow.cancel(session, principal, record_id, body.reason, schema_dir=runtime.settings.seda_schema_dir)
        answer = _answer(session, principal, done.record)
    run_jobs_now(runtime, done.job_ids)
    return answer


@router.post("/records/{record_id}/uncancel", summary="Undo a cancellation (admin only, with a reason)")
def post_uncancel(
    record_id: str,
    body: ReasonIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        done = workflow.uncancel(session, principal, record_id, body.reason,
                                 schema_dir=runtime.settings.seda_schema_dir)
        answer = _answer(session, principal, done.record)
    run_jobs_now(runtime, done.job_ids)
    return answer


# ------------------------------------------------------------------------------------------- mail types


class MailTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=64)
    label: str = Field(max_length=200)


class MailTypeChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, max_length=200)
    active: bool | None = None


@router.get("/mail-types", summary="The tenant's mail types (the defaults are seeded on first use)")
def get_mail_types(
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    include_inactive: bool = False,
) -> dict:
    tenant_id = require(principal, Action.contact_read)
    with unit_of_work(runtime.backends.engine) as session:
        rows = mail_types.list_types(session, tenant_id, include_inactive=include_inactive)
        return {"mail_types": [mail_types.to_dict(r) for r in rows]}


@router.post("/mail-types", status_code=201, summary="Add a mail type (admin)")
def post_mail_type(
    body: MailTypeIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        return mail_types.to_dict(mail_types.create(session, tenant_id, principal.user_id, body.code, body.label))


@router.patch("/mail-types/{code}", summary="Rename or (de)activate a mail type (admin)")
def patch_mail_type(
    code: str,
    body: MailTypeChanges,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        row = mail_types.update(session, tenant_id, principal.user_id, code, label=body.label, active=body.active)
        return mail_types.to_dict(row)


# -------------------------------------------------------------------------------- services and members


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(max_length=254, description="user id or e-mail")


@router.get("/services", summary="The tenant's services")
def get_services(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.contact_read)
    return {"services": [tenant_services.to_dict(s) for s in tenant_services.list_services(session, tenant_id)]}


@router.post("/services", status_code=201, summary="Add a service (admin)")
def post_service(
    body: ServiceIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        return tenant_services.to_dict(tenant_services.create(session, tenant_id, principal.user_id, body.code,
                                                              body.name))


@router.get("/services/{service}/members", summary="The users of a service")
def get_members(
    service: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.contact_read)
    users = tenant_services.members(session, tenant_id, service)
    return {"members": [{"id": u.id, "email": u.email, "role": u.role} for u in users]}


@router.post("/services/{service}/members", status_code=201, summary="Put a user in a service (admin)")
def post_member(
    service: str,
    body: MemberIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        link = tenant_services.add_member(session, tenant_id, principal.user_id, body.user, service)
        return {"user_id": link.user_id, "service_id": link.service_id}


@router.delete("/services/{service}/members/{user}", summary="Take a user out of a service (admin)")
def delete_member(
    service: str,
    user: str,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        tenant_services.remove_member(session, tenant_id, principal.user_id, user, service)
    return {"removed": True}


# ------------------------------------------------------------------------------------- number formats


class FormatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = Field(max_length=100)


def _register(name: str) -> RegisterKind:
    try:
        return RegisterKind.parse(name)
    except ValueError:
        raise BadInput(f"unknown register {name!r}: incoming, outgoing or internal") from None


@router.get("/register-settings", summary="The number format of each register")
def get_register_settings(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.record_read)
    return {"formats": register_settings.all_formats(session, tenant_id)}


@router.put("/register-settings/{register}", summary="Set a register's number format (admin)")
def put_register_settings(
    register: str,
    body: FormatIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.registry_admin)
    kind = _register(register)
    with unit_of_work(runtime.backends.engine) as session:
        fmt = register_settings.set_format(session, tenant_id, principal.user_id, kind, body.format)
    return {"register": kind.name, "format": fmt}
