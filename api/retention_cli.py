"""`dms retention …`, `dms hold …` and `dms audit export`: the same service functions as the API
(docs/retention.md). Every command names the commune with --tenant (the sweep: all communes by default)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dms import accounts, audit_export, disposition, holds, retention, retention_schedules
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.settings import get_settings

retention_app = typer.Typer(help="Retention schedules, records' retention, the sweep, disposition batches.",
                            no_args_is_help=True)
schedule_app = typer.Typer(help="Retention schedules of the classification plan's classes.", no_args_is_help=True)
batch_app = typer.Typer(help="Disposition batches (bordereaux).", no_args_is_help=True)
hold_app = typer.Typer(help="Holds: records kept whatever their schedule says.", no_args_is_help=True)
retention_app.add_typer(schedule_app, name="schedules")
retention_app.add_typer(batch_app, name="batch")
err = Console(stderr=True, soft_wrap=True)

Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug")]


def _runtime():
    from ingest.runtime import open_runtime

    return open_runtime(get_settings())


def _engine():
    from dms.db import get_engine

    return get_engine(get_settings().resolved_database_url)


def _tenant_id(slug: str) -> str:
    with unit_of_work(_engine(), write=False) as session:
        return accounts.get_tenant(session, slug).id


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"not a date (YYYY-MM-DD): {value!r}") from None


def _print(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# ------------------------------------------------------------------------------------------------- sweep


@retention_app.command("sweep")
def sweep(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this commune (default: all)")] = None,
    propose: Annotated[bool, typer.Option("--propose/--no-propose", help="Propose batches of eligible records")]
    = True,
    on: Annotated[str | None, typer.Option("--date", help="Sweep as of this day (YYYY-MM-DD), default today")]
    = None,
) -> None:
    """Cut off closed mail, compute due dates, mark due records ELIGIBLE (or REVIEW), propose batches."""
    tenant_id = _tenant_id(tenant) if tenant else None
    report = retention.sweep(_engine(), tenant_id, today=_day(on), propose=propose)
    for batch in report.batches:
        typer.echo(f"batch {batch['number']}\t{batch['id']}\t{batch['action']}\t{batch['records']} record(s)")
    err.print(f"swept {report.tenants} commune(s): {report.created} new, {report.closed} cut off, "
              f"{report.retained} retained, {report.eligible} eligible, {report.review} to review, "
              f"{report.proposed} record(s) proposed in {len(report.batches)} batch(es)")


@retention_app.command("schedule-sweep")
def schedule_sweep(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this commune (default: all)")] = None,
    every_hours: Annotated[int, typer.Option("--every-hours", help="Run again every N hours (0: once)")] = 24,
) -> None:
    """Queue the sweep as a background job (run by `dms worker` or `dms serve`), repeating every N hours."""
    with unit_of_work(_engine()) as session:
        job = retention.schedule_sweep(session, _tenant_id(tenant) if tenant else None, every_hours=every_hours)
        session.flush()
        typer.echo(f"sweep job {job.id} queued" + (f", every {every_hours} h" if every_hours else ""))


@retention_app.command("status")
def status(record_id: str, tenant: Tenant) -> None:
    """A record's retention: state, due date, schedule, holds, events, tombstone."""
    with unit_of_work(_engine(), write=False) as session:
        _print(retention.describe(session, _tenant_id(tenant), record_id))


@retention_app.command("close")
def close(record_id: str, tenant: Tenant,
          on: Annotated[str | None, typer.Option("--date", help="Cut-off day (default today)")] = None) -> None:
    """Cut off a record (OPEN -> CLOSED -> RETAINED when its class has a schedule)."""
    with unit_of_work(_engine()) as session:
        row = retention.close(session, _tenant_id(tenant), None, record_id, _day(on))
        typer.echo(f"{record_id}\t{row.state}\t{row.due_date or ''}")


@retention_app.command("event")
def event(record_id: str, name: str, tenant: Tenant,
          on: Annotated[str | None, typer.Option("--date", help="When it happened (default today)")] = None) -> None:
    """Record a named event (contract_end, permit_expired…) that starts an event-triggered period."""
    tenant_id = _tenant_id(tenant)
    with unit_of_work(_engine()) as session:
        retention.add_event(session, tenant_id, None, record_id, name, _day(on))
        info = retention.describe(session, tenant_id, record_id)
    typer.echo(f"{record_id}\t{info['state']}\t{info['due_date'] or ''}")


@retention_app.command("review")
def review(record_id: str, decision: str, tenant: Tenant,
           until: Annotated[str | None, typer.Option("--until", help="RETAIN until this day")] = None) -> None:
    """Decide on a record in REVIEW: DESTROY, TRANSFER or RETAIN [--until DAY]."""
    with unit_of_work(_engine()) as session:
        row = retention.review(session, _tenant_id(tenant), None, record_id, decision, _day(until))
        typer.echo(f"{record_id}\t{row.state}\t{row.due_date or ''}")


# --------------------------------------------------------------------------------------------- schedules


@schedule_app.command("list")
def schedules_list(tenant: Tenant) -> None:
    with unit_of_work(_engine(), write=False) as session:
        for row in retention_schedules.list_schedules(session, _tenant_id(tenant)):
            typer.echo(f"{row.class_uri}\t{row.trigger}{':' + row.trigger_event if row.trigger_event else ''}\t"
                       f"{row.period}\t{row.final_action}\t{row.legal_reference}")


@schedule_app.command("set")
def schedules_set(
    class_ref: Annotated[str, typer.Argument(help="Class URI or notation")],
    tenant: Tenant,
    trigger: Annotated[str, typer.Option("--trigger", help="registered, received, closed or event")],
    period: Annotated[str, typer.Option("--period", help="ISO 8601 duration, e.g. P10Y")],
    action: Annotated[str, typer.Option("--action", help="DESTROY, TRANSFER, RETAIN_PERMANENTLY or REVIEW")],
    event_name: Annotated[str | None, typer.Option("--event", help="The event's name (trigger event)")] = None,
    legal: Annotated[str, typer.Option("--legal", help="Legal reference")] = "",
) -> None:
    """Create or replace a class's schedule."""
    with unit_of_work(_engine()) as session:
        row = retention_schedules.put_schedule(session, _tenant_id(tenant), None, class_uri=class_ref,
                                               trigger=trigger, event=event_name, period=period,
                                               final_action=action, legal_reference=legal)
        typer.echo(f"schedule {row.id} for {row.class_uri}")


@schedule_app.command("import")
def schedules_import(path: Path, tenant: Tenant) -> None:
    """Import schedules from CSV (class;notation;trigger;event;period;final_action;legal_reference)."""
    with unit_of_work(_engine()) as session:
        done = retention_schedules.import_csv(session, _tenant_id(tenant), None, path.read_bytes())
    err.print(f"imported {done['lines']} schedule(s)")


@schedule_app.command("export")
def schedules_export(tenant: Tenant, output: Annotated[Path | None, typer.Option("--output")] = None) -> None:
    """Export the schedules as CSV (to stdout without --output)."""
    with unit_of_work(_engine(), write=False) as session:
        data = retention_schedules.export_csv(session, _tenant_id(tenant))
    if output:
        output.write_bytes(data)
    else:
        typer.echo(data.decode("utf-8-sig"), nl=False)


# ----------------------------------------------------------------------------------------------- batches


@batch_app.command("list")
def batches_list(tenant: Tenant, state: Annotated[str | None, typer.Option("--state")] = None) -> None:
    with unit_of_work(_engine(), write=False) as session:
        tenant_id = _tenant_id(tenant)
        for batch in disposition.list_batches(session, tenant_id, state):
            info = disposition.to_dict(session, batch)
            typer.echo(f"{batch.number}\t{batch.id}\t{batch.action}\t{batch.state}\t{info['count']} record(s)")


@batch_app.command("show")
def batch_show(batch_id: str, tenant: Tenant) -> None:
    with unit_of_work(_engine(), write=False) as session:
        tenant_id = _tenant_id(tenant)
        _print(disposition.to_dict(session, disposition.get(session, tenant_id, batch_id)))


def _step(step, batch_id: str, tenant: str, *args) -> None:
    with unit_of_work(_engine()) as session:
        batch = step(session, _tenant_id(tenant), None, batch_id, *args)
        typer.echo(f"batch {batch.number}\t{batch.id}\t{batch.state}")


@batch_app.command("approve")
def batch_approve(batch_id: str, tenant: Tenant) -> None:
    """Approve a proposed batch."""
    _step(disposition.approve, batch_id, tenant)


@batch_app.command("request")
def batch_request(batch_id: str, tenant: Tenant, output: Annotated[Path, typer.Option("--output")]) -> None:
    """Write the SEDA authorisation request for the State Archives; the batch awaits their answer."""
    settings = get_settings()
    with unit_of_work(_engine()) as session:
        batch, xml = disposition.request_authorization(session, _tenant_id(tenant), None, batch_id,
                                                       schema_dir=settings.seda_schema_dir)
    output.write_bytes(xml)
    err.print(f"batch {batch.number}: authorisation request {batch.request_message_id} written to {output}")


@batch_app.command("authorize")
def batch_authorize(batch_id: str, reference: str, tenant: Tenant) -> None:
    """Record the State Archives' authorisation reference."""
    _step(disposition.authorize, batch_id, tenant, reference)


@batch_app.command("restore")
def batch_restore(batch_id: str, tenant: Tenant, reason: Annotated[str, typer.Option("--reason")] = "") -> None:
    """Give a batch back before it runs (its records go to REVIEW)."""
    _step(disposition.restore, batch_id, tenant, reason)


@batch_app.command("execute")
def batch_execute(batch_id: str, tenant: Tenant) -> None:
    """Destroy (certificate filed as a record) or transfer an authorised batch."""
    runtime = _runtime()
    done = disposition.execute(runtime.backends, _tenant_id(tenant), None, batch_id, actor_name="cli")
    typer.echo(f"batch {done.batch.number}\t{done.batch.id}\t{done.batch.state}")
    if done.transfer_path:
        err.print(f"transferred {done.records} record(s): package {done.transfer_path}")
    else:
        err.print(f"destroyed {done.records} record(s): {done.blobs_deleted} blob(s) deleted, {done.blobs_kept} "
                  f"kept (shared); certificate record {done.certificate_record_id}")


@batch_app.command("accession")
def batch_accession(batch_id: str, reference: str, tenant: Tenant) -> None:
    """The archives confirm they took in a transferred batch (ACCESSIONED)."""
    _step(disposition.accession, batch_id, tenant, reference)


# ------------------------------------------------------------------------------------------------- holds


@hold_app.command("place")
def hold_place(
    tenant: Tenant,
    name: Annotated[str, typer.Option("--name")],
    reason: Annotated[str, typer.Option("--reason")] = "",
    mandate: Annotated[str, typer.Option("--mandate")] = "",
    owner: Annotated[str, typer.Option("--owner")] = "",
    review_on: Annotated[str | None, typer.Option("--review-date")] = None,
    record: Annotated[list[str] | None, typer.Option("--record", help="Record id (repeatable)")] = None,
    class_uri: Annotated[str | None, typer.Option("--class", help="Class URI of the plan")] = None,
    query: Annotated[str | None, typer.Option("--query", help="The records this search finds now")] = None,
) -> None:
    """Place a hold on records, a class or what a query finds."""
    runtime = _runtime()
    tenant_id = _tenant_id(tenant)
    query_ids = None
    if query:
        from dms import transfers
        from dms.errors import NotFound

        with unit_of_work(runtime.backends.engine, write=False) as session:
            try:
                query_ids = transfers.select_records(session, runtime.backends.search, tenant_id, query=query,
                                                     limit=holds.MAX_RECORDS)
            except NotFound:
                query_ids = []
    with unit_of_work(runtime.backends.engine) as session:
        hold = holds.place(session, tenant_id, None, name=name, reason=reason, mandate=mandate, owner=owner,
                           review_date=_day(review_on), record_ids=list(record or []) or None, class_uri=class_uri,
                           query=query, query_ids=query_ids)
        covered = holds.record_ids_of(session, hold)
    holds.sync_store(runtime.backends, tenant_id)
    typer.echo(f"hold {hold.id}\t{len(covered)} record(s)")


@hold_app.command("list")
def hold_list(tenant: Tenant, active: Annotated[bool | None, typer.Option("--active/--lifted")] = None) -> None:
    with unit_of_work(_engine(), write=False) as session:
        for hold in holds.list_holds(session, _tenant_id(tenant), active=active):
            typer.echo(f"{hold.id}\t{'active' if hold.lifted_at is None else 'lifted'}\t{hold.scope}\t{hold.name}")


@hold_app.command("lift")
def hold_lift(hold_id: str, tenant: Tenant, reason: Annotated[str, typer.Option("--reason")] = "") -> None:
    """Lift a hold (it is kept, with who lifted it, when and why)."""
    runtime = _runtime()
    tenant_id = _tenant_id(tenant)
    with unit_of_work(runtime.backends.engine) as session:
        holds.lift(session, tenant_id, None, hold_id, reason)
    holds.sync_store(runtime.backends, tenant_id)
    typer.echo(f"hold {hold_id} lifted")


@hold_app.command("delete")
def hold_delete(hold_id: str, tenant: Tenant) -> None:
    """Delete a hold that never covered a record (a used one can only be lifted)."""
    with unit_of_work(_engine()) as session:
        holds.delete(session, _tenant_id(tenant), None, hold_id)
    typer.echo(f"hold {hold_id} deleted")


# ------------------------------------------------------------------------------------------------- audit


def audit_export_cmd(
    tenant: Tenant,
    output: Annotated[Path | None, typer.Option("--output", help="File to write (stdout without)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
) -> None:
    """Export a commune's audit chain, every event with its hash and the previous one."""
    chunks = audit_export.export(_engine(), _tenant_id(tenant), fmt)
    if output:
        with output.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        err.print(f"audit chain written to {output}")
    else:
        for chunk in chunks:
            typer.echo(chunk.decode("utf-8-sig" if fmt == "csv" else "utf-8"), nl=False)
