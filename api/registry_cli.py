"""CLI of the mail registry: `dms contact`, `dms service`, `dms user add-service`, `dms record transition|cancel`,
`dms mail-type`, `dms number-format`. The same service functions as the HTTP API, run as the tenant's admin."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from dms import accounts, contacts, mail_types, register_settings, tenant_services, workflow
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import DmsError
from dms.models import RegisterKind, Role

contact_app = typer.Typer(help="The contacts directory (senders and recipients).", no_args_is_help=True)
service_app = typer.Typer(help="A commune's services, to which mail is routed.", no_args_is_help=True)
record_app = typer.Typer(help="Registered mail: workflow and cancellation.", no_args_is_help=True)
mail_type_app = typer.Typer(help="The commune's mail types.", no_args_is_help=True)
number_format_app = typer.Typer(help="Registration number formats, per register.", no_args_is_help=True)

Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug")]


def _engine():
    from dms.db import get_engine
    from dms.settings import get_settings

    return get_engine(get_settings().resolved_database_url)


def _admin(session, slug: str) -> Principal:
    tenant = accounts.get_tenant(session, slug)
    return Principal(user_id=None, email="cli", role=Role.admin, tenant_id=tenant.id)


@contact_app.command("create")
def contact_create(
    kind: Annotated[str, typer.Argument(help="organisation, person or position")],
    tenant: Tenant,
    name: Annotated[str, typer.Option("--name")] = "",
    first_name: Annotated[str, typer.Option("--first-name")] = "",
    last_name: Annotated[str, typer.Option("--last-name")] = "",
    email: Annotated[str, typer.Option("--email")] = "",
    street: Annotated[str, typer.Option("--street")] = "",
    postal_code: Annotated[str, typer.Option("--postal-code")] = "",
    city: Annotated[str, typer.Option("--city")] = "",
    country: Annotated[str, typer.Option("--country")] = "",
    person: Annotated[str | None, typer.Option("--person", help="A position's person (contact id)")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation", help="A position's organisation (id)")] = None,
    role_title: Annotated[str, typer.Option("--role-title", help="A position's title")] = "",
) -> None:
    """Add a contact; prints its id and name."""
    values: dict[str, object] = {k: v for k, v in {
        "name": name, "first_name": first_name, "last_name": last_name, "email": email, "street": street,
        "postal_code": postal_code, "city": city, "country": country, "role_title": role_title,
    }.items() if v}
    if person:
        values["person_id"] = person
    if organisation:
        values["organisation_id"] = organisation
    with unit_of_work(_engine()) as session:
        principal = _admin(session, tenant)
        row = contacts.create(session, principal.tenant_id or "", None, kind, values)
        typer.echo(f"{row.id}\t{row.name}")


@contact_app.command("list")
def contact_list(
    tenant: Tenant,
    prefix: Annotated[str, typer.Argument(help="Start of a name (accents and case ignored)")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """Contacts whose name starts with PREFIX."""
    with unit_of_work(_engine(), write=False) as session:
        principal = _admin(session, tenant)
        rows = contacts.search(session, principal.tenant_id or "", prefix, limit=limit)
        found = [contacts.to_dict(r) for r in rows]
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for item in found:
        typer.echo(f"{item['id']}\t{item['kind']}\t{item['name']}\t{item['email']}")


@service_app.command("create")
def service_create(code: str, tenant: Tenant, name: Annotated[str, typer.Option("--name")] = "") -> None:
    with unit_of_work(_engine()) as session:
        principal = _admin(session, tenant)
        row = tenant_services.create(session, principal.tenant_id or "", None, code, name)
        typer.echo(f"{row.id}\t{row.code}\t{row.name}")


@service_app.command("list")
def service_list(tenant: Tenant) -> None:
    with unit_of_work(_engine(), write=False) as session:
        principal = _admin(session, tenant)
        for row in tenant_services.list_services(session, principal.tenant_id or ""):
            typer.echo(f"{row.id}\t{row.code}\t{row.name}")


def user_add_service(
    email: str,
    service: Annotated[str, typer.Argument(help="Service code or id")],
    tenant: Tenant,
) -> None:
    """Put a user in a service: an agent then sees and treats that service's mail."""
    with unit_of_work(_engine()) as session:
        principal = _admin(session, tenant)
        tenant_services.add_member(session, principal.tenant_id or "", None, email, service)
    typer.echo(f"{email} is in service {service}")


@record_app.command("transition")
def record_transition(
    record_id: str,
    to: Annotated[str, typer.Argument(help="The next state, e.g. proposed_to_manager, closed")],
    tenant: Tenant,
    comment: Annotated[str, typer.Option("--comment")] = "",
) -> None:
    """Move a record along its workflow (as the tenant's admin)."""
    from dms.settings import get_settings
    from ingest.pipeline import run_jobs_now
    from ingest.runtime import open_runtime

    runtime = open_runtime(get_settings())
    with unit_of_work(runtime.backends.engine) as session:
        principal = _admin(session, tenant)
        done = workflow.transition(session, principal, record_id, to, comment,
                                   schema_dir=runtime.settings.seda_schema_dir)
        reference, status = done.record.reference, done.record.status
    run_jobs_now(runtime, done.job_ids)
    typer.echo(f"{reference}\t{status}")


@record_app.command("cancel")
def record_cancel(
    record_id: str,
    tenant: Tenant,
    reason: Annotated[str, typer.Option("--reason", help="Why the registration is cancelled")],
) -> None:
    """Cancel a registration: its number stays, marked cancelled with the reason."""
    from dms.settings import get_settings
    from ingest.pipeline import run_jobs_now
    from ingest.runtime import open_runtime

    runtime = open_runtime(get_settings())
    with unit_of_work(runtime.backends.engine) as session:
        principal = _admin(session, tenant)
        done = workflow.cancel(session, principal, record_id, reason, schema_dir=runtime.settings.seda_schema_dir)
        reference = done.record.reference
    run_jobs_now(runtime, done.job_ids)
    typer.echo(f"{reference}\tcancelled")


@mail_type_app.command("list")
def mail_type_list(tenant: Tenant, all_types: Annotated[bool, typer.Option("--all")] = False) -> None:
    with unit_of_work(_engine()) as session:
        principal = _admin(session, tenant)
        for row in mail_types.list_types(session, principal.tenant_id or "", include_inactive=all_types):
            typer.echo(f"{row.code}\t{row.label}" + ("" if row.active else "\t(inactive)"))


@mail_type_app.command("create")
def mail_type_create(code: str, label: str, tenant: Tenant) -> None:
    with unit_of_work(_engine()) as session:
        principal = _admin(session, tenant)
        row = mail_types.create(session, principal.tenant_id or "", None, code, label)
        typer.echo(f"{row.code}\t{row.label}")


@number_format_app.command("set")
def number_format_set(
    register: Annotated[str, typer.Argument(help="incoming, outgoing or internal")],
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="e.g. '{register}/{year}/{number:05d}'")],
    tenant: Tenant,
) -> None:
    try:
        kind = RegisterKind.parse(register)
    except ValueError:
        raise DmsError(f"unknown register {register!r}: incoming, outgoing or internal") from None
    with unit_of_work(_engine()) as session:
        principal = _admin(session, tenant)
        fmt = register_settings.set_format(session, principal.tenant_id or "", None, kind, fmt)
    typer.echo(f"{kind.name}\t{fmt}")


@number_format_app.command("show")
def number_format_show(tenant: Tenant) -> None:
    with unit_of_work(_engine(), write=False) as session:
        principal = _admin(session, tenant)
        for name, fmt in register_settings.all_formats(session, principal.tenant_id or "").items():
            typer.echo(f"{name}\t{fmt}")
