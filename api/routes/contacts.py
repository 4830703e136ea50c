"""The contacts directory: organisations, persons and positions, with a name-prefix search for autocomplete."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import contacts
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.permissions import Action, require
from ingest.runtime import Runtime

router = APIRouter(prefix="/contacts", tags=["contacts"])


class ContactFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role_title: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


class NewContact(ContactFields):
    kind: Literal["organisation", "person", "position"]
    organisation_id: str | None = None  # a position's organisation
    person_id: str | None = None  # a position's person


class ContactChanges(ContactFields):
    active: bool | None = None


@router.post("", status_code=201, summary="Add an organisation, a person or a position to the directory")
def create_contact(
    body: NewContact,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.contact_write)
    values = body.model_dump(exclude_unset=True, exclude={"kind"})
    with unit_of_work(runtime.backends.engine) as session:
        return contacts.to_dict(contacts.create(session, tenant_id, principal.user_id, body.kind, values))


@router.get("", summary="Contacts whose name starts with q (accents and case ignored), for autocomplete")
def list_contacts(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[Literal["organisation", "person", "position"] | None, Query()] = None,
    include_inactive: bool = False,
    limit: Annotated[int, Query(ge=1, le=contacts.MAX_PREFIX_RESULTS)] = 20,
) -> dict:
    tenant_id = require(principal, Action.contact_read)
    rows = contacts.search(session, tenant_id, q, kind=kind, include_inactive=include_inactive, limit=limit)
    return {"contacts": [contacts.to_dict(row) for row in rows]}


@router.get("/{contact_id}", summary="One contact")
def get_contact(
    contact_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
) -> dict:
    tenant_id = require(principal, Action.contact_read)
    return contacts.to_dict(contacts.get(session, tenant_id, contact_id))


@router.patch("/{contact_id}", summary="Change a contact, or deactivate it (active: false)")
def update_contact(
    contact_id: str,
    changes: ContactChanges,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.contact_write)
    with unit_of_work(runtime.backends.engine) as session:
        row = contacts.update(session, tenant_id, principal.user_id, contact_id, changes.model_dump(exclude_unset=True))
        return contacts.to_dict(row)


@router.delete("/{contact_id}", summary="Deactivate a contact (registered mail keeps naming it)")
def delete_contact(
    contact_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict:
    tenant_id = require(principal, Action.contact_write)
    with unit_of_work(runtime.backends.engine) as session:
        return contacts.to_dict(contacts.update(session, tenant_id, principal.user_id, contact_id, {"active": False}))
