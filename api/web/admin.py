"""The tenant admin's pages (users, services, contacts, mail types) and the thesaurus browser, over the same
service functions as the API and with the same permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response

from api.deps import get_runtime, read_session
from api.web import i18n, nav
from api.web.deps import WebPrincipal, WebRoute
from api.web.i18n import N_
from api.web.templating import render
from dms import accounts, contacts, mail_types, passwords, tenant_services, user_directory, vocabulary
from dms.db import unit_of_work
from dms.errors import Forbidden
from dms.models import Role, Tenant
from dms.permissions import Action, require, require_scope
from ingest.runtime import Runtime

router = APIRouter(include_in_schema=False, route_class=WebRoute)
nav.add("/admin/users", N_("Utilisateurs"), nav.may(Action.registry_admin), order=60)
nav.add("/admin/services", N_("Services"), nav.may(Action.registry_admin), order=61)
nav.add("/admin/contacts", N_("Contacts"), nav.may(Action.contact_write), order=62)
nav.add("/admin/mail-types", N_("Types de courrier"), nav.may(Action.registry_admin), order=63)
nav.add("/admin/thesaurus", N_("Thésaurus"), nav.may(Action.thesaurus_read, federation=True), order=64)
Db = Annotated[Session, Depends(read_session)]
Rt = Annotated[Runtime, Depends(get_runtime)]
TENANT_ROLES = [Role.clerk, Role.agent, Role.archivist, Role.admin]


# ------------------------------------------------------------------------------------------------ users


@router.get("/admin/users")
def users_page(request: Request, principal: WebPrincipal, session: Db) -> Response:
    tenant_id = require(principal, Action.registry_admin)
    return render(request, "admin/users.html", {"users": user_directory.tenant_users(session, tenant_id),
                                                "roles": TENANT_ROLES})


@router.post("/admin/users")
def create_user(principal: WebPrincipal, runtime: Rt, email: Annotated[str, Form(max_length=254)],
                role: Annotated[str, Form(max_length=20)], name: Annotated[str, Form(max_length=200)] = "",
                password: Annotated[str, Form(max_length=1024)] = "") -> Response:
    tenant_id = require(principal, Action.registry_admin)
    if role not in {r.value for r in TENANT_ROLES}:
        raise Forbidden(f"an admin may not give the role {role}")
    with unit_of_work(runtime.backends.engine) as session:
        tenant = session.get(Tenant, tenant_id)
        user = accounts.create_user(session, email, role=role, tenant_slug=tenant.slug, name=name)
        if password:
            passwords.set_password(session, user.email, password, actor_id=principal.user_id)
    return RedirectResponse("/admin/users", status_code=303)


# --------------------------------------------------------------------------------------------- services


@router.get("/admin/services")
def services_page(request: Request, principal: WebPrincipal, session: Db) -> Response:
    tenant_id = require(principal, Action.registry_admin)
    rows = [(s, tenant_services.members(session, tenant_id, s.id))
            for s in tenant_services.list_services(session, tenant_id)]
    return render(request, "admin/services.html", {"services": rows,
                                                   "users": user_directory.tenant_users(session, tenant_id)})


@router.post("/admin/services")
def create_service(principal: WebPrincipal, runtime: Rt, code: Annotated[str, Form(max_length=64)],
                   name: Annotated[str, Form(max_length=200)] = "") -> Response:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        tenant_services.create(session, tenant_id, principal.user_id, code, name)
    return RedirectResponse("/admin/services", status_code=303)


@router.post("/admin/services/{service_id}/members")
def add_member(service_id: str, principal: WebPrincipal, runtime: Rt,
               user: Annotated[str, Form(max_length=254)]) -> Response:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        tenant_services.add_member(session, tenant_id, principal.user_id, user, service_id)
    return RedirectResponse("/admin/services", status_code=303)


# --------------------------------------------------------------------------------------------- contacts


@router.get("/admin/contacts")
def contacts_page(request: Request, principal: WebPrincipal, session: Db, q: str = "") -> Response:
    tenant_id = require(principal, Action.contact_write)
    found = contacts.search(session, tenant_id, q[:100], limit=contacts.MAX_PREFIX_RESULTS, include_inactive=True)
    return render(request, "admin/contacts.html", {"contacts": found, "q": q})


@router.post("/admin/contacts")
def create_contact(principal: WebPrincipal, runtime: Rt, kind: Annotated[str, Form(max_length=16)],
                   name: Annotated[str, Form(max_length=200)] = "",
                   first_name: Annotated[str, Form(max_length=100)] = "",
                   last_name: Annotated[str, Form(max_length=100)] = "",
                   email: Annotated[str, Form(max_length=254)] = "",
                   street: Annotated[str, Form(max_length=200)] = "",
                   postal_code: Annotated[str, Form(max_length=20)] = "",
                   city: Annotated[str, Form(max_length=100)] = "") -> Response:
    tenant_id = require(principal, Action.contact_write)
    values = {"name": name, "first_name": first_name, "last_name": last_name, "email": email, "street": street,
              "postal_code": postal_code, "city": city}
    with unit_of_work(runtime.backends.engine) as session:
        contacts.create(session, tenant_id, principal.user_id, kind, values)
    return RedirectResponse("/admin/contacts", status_code=303)


# ------------------------------------------------------------------------------------------- mail types


@router.get("/admin/mail-types")
def mail_types_page(request: Request, principal: WebPrincipal, runtime: Rt) -> Response:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:  # the defaults are seeded on first use
        rows = mail_types.list_types(session, tenant_id, include_inactive=True)
    return render(request, "admin/mail_types.html", {"types": rows})


@router.post("/admin/mail-types")
def create_mail_type(principal: WebPrincipal, runtime: Rt, code: Annotated[str, Form(max_length=64)],
                     label: Annotated[str, Form(max_length=200)]) -> Response:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        mail_types.create(session, tenant_id, principal.user_id, code, label)
    return RedirectResponse("/admin/mail-types", status_code=303)


@router.post("/admin/mail-types/{code}/active")
def toggle_mail_type(code: str, principal: WebPrincipal, runtime: Rt,
                     active: Annotated[bool, Form()] = False) -> Response:
    tenant_id = require(principal, Action.registry_admin)
    with unit_of_work(runtime.backends.engine) as session:
        mail_types.update(session, tenant_id, principal.user_id, code, active=active)
    return RedirectResponse("/admin/mail-types", status_code=303)


# -------------------------------------------------------------------------------------------- thesaurus


@router.get("/admin/thesaurus")
def thesaurus_page(request: Request, principal: WebPrincipal, session: Db, q: str = "") -> Response:
    tenant_id = require_scope(principal, Action.thesaurus_read)
    language = i18n.choose(request)
    found = vocabulary.autocomplete(session, tenant_id, q[:200], language=language, limit=30) if q.strip() else []
    return render(request, "admin/thesaurus.html", {
        "schemes": vocabulary.list_schemes(session, tenant_id, language), "q": q, "found": found})


@router.get("/admin/thesaurus/concept")
def concept_page(request: Request, principal: WebPrincipal, session: Db, ref: str) -> Response:
    tenant_id = require_scope(principal, Action.thesaurus_read)
    concept = vocabulary.concept_detail(session, tenant_id, ref[:1000], i18n.choose(request))
    return render(request, "admin/concept.html", {"concept": concept})
