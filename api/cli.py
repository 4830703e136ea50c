"""The `dms` command line: the same service functions as the HTTP API, one clear line on failure."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.progress import Progress

from api import security_cli
from api.intake_cli import barcode_app, mail_app
from api.library_cli import library_app
from api.password_cli import user_set_password
from api.registry_cli import (
    contact_app,
    mail_type_app,
    number_format_app,
    record_app,
    service_app,
    user_add_service,
)
from api.retention_cli import audit_export_cmd, hold_app, retention_app
from api.thesaurus_cli import thesaurus_app
from dms import accounts
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import DmsError, Duplicate
from dms.models import RegisterKind, Role
from dms.settings import get_settings

app = typer.Typer(help="dms: records and mail management for municipalities.", no_args_is_help=True,
                  add_completion=False)
tenant_app = typer.Typer(help="Communes and the region.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(thesaurus_app, name="thesaurus")
app.add_typer(library_app, name="library")  # the shared library (docs/library.md)
app.add_typer(contact_app, name="contact")
app.add_typer(service_app, name="service")
app.add_typer(record_app, name="record")
app.add_typer(mail_type_app, name="mail-type")
app.add_typer(number_format_app, name="number-format")
user_app.command("add-service")(user_add_service)
user_app.command("set-password")(user_set_password)
register_app = typer.Typer(help="The mail registers (registre du courrier).", no_args_is_help=True)
app.add_typer(register_app, name="register")
app.add_typer(retention_app, name="retention")  # retention and disposition (docs/retention.md)
app.add_typer(hold_app, name="hold")
audit_app.command("export")(audit_export_cmd)
app.add_typer(barcode_app, name="barcode")
app.add_typer(mail_app, name="mail")

err = Console(stderr=True, soft_wrap=True)  # one line per message, even in a log or a pipe


def _runtime():
    from ingest.runtime import open_runtime

    return open_runtime(get_settings())


def _engine():
    from dms.db import get_engine

    return get_engine(get_settings().resolved_database_url)


def _system_principal(tenant_slug: str) -> Principal:
    with unit_of_work(_engine(), write=False) as session:
        tenant = accounts.get_tenant(session, tenant_slug)
    return Principal(user_id=None, email="cli", role=Role.admin, tenant_id=tenant.id)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from dms.migrate import upgrade

    url = get_settings().resolved_database_url
    upgrade(url)
    typer.echo("database is up to date")


@tenant_app.command("create")
def tenant_create(slug: str, name: Annotated[str, typer.Option("--name", help="Display name")] = "",
                  kind: Annotated[str, typer.Option(help="commune or region")] = "commune") -> None:
    """Create a commune (or the region)."""
    with unit_of_work(_engine()) as session:
        tenant = accounts.create_tenant(session, slug, name or slug, kind=kind)
    typer.echo(f"tenant {tenant.slug} created ({tenant.id})")


@user_app.command("create")
def user_create(
    email: str,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant slug (not for curator/librarian)")] = None,
    role: Annotated[str, typer.Option("--role", help="clerk, agent, archivist, admin, curator, librarian")] = "clerk",
    name: Annotated[str, typer.Option("--name")] = "",
) -> None:
    """Create a user with a role in a tenant."""
    with unit_of_work(_engine()) as session:
        user = accounts.create_user(session, email, role=role, tenant_slug=tenant, name=name)
    typer.echo(f"user {user.email} created ({user.role})")


@token_app.command("create")
def token_create(
    email: str,
    label: Annotated[str, typer.Option("--label")] = "cli",
    expires_in: Annotated[str | None, typer.Option(
        "--expires-in", help="Lifetime: 90d, 12h, 2w, 1y (default: never expires)")] = None,
) -> None:
    """Create an API token for a user and print it (only the token, on stdout). Only its hash is stored."""
    from dms import tokens

    lifetime = tokens.parse_lifetime(expires_in)
    with unit_of_work(_engine()) as session:
        token = tokens.issue(session, email, label=label, lifetime=lifetime).token
    typer.echo(token)


token_app.command("list")(security_cli.token_list)
token_app.command("revoke")(security_cli.token_revoke)
contact_app.command("subject-access")(security_cli.contact_subject_access)
register_app.command("mime-types")(security_cli.register_mime_types)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to register")],
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug")],
    register: Annotated[str, typer.Option("--register", help="incoming, outgoing or internal")] = "incoming",
    subject: Annotated[str, typer.Option("--subject", help="Subject (default: from the document)")] = "",
    allow_duplicate: Annotated[bool, typer.Option("--allow-duplicate")] = False,
    classification: Annotated[str | None, typer.Option("--classification", help="Concept URI of the plan")] = None,
    keyword: Annotated[list[str] | None, typer.Option("--keyword", help="Thesaurus concept URI (repeatable)")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Watch one folder (a scanner's output) until stopped")] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between polls with --watch")] = 2.0,
) -> None:
    """Register files (folders are walked), with progress and a summary of what was done.

    An XML sidecar beside a file (scan.pdf.xml, or scan.xml) in SEDA or Dublin Core fills its subject,
    description, language and date of receipt; it is not registered itself.

    A scan with separator sheets (dms barcode separator) is split into one record per document; a document
    after a scan sheet (dms barcode scan-sheet RECORD) replaces that record's file. An e-mail (.eml) is one
    record with its attachments; an .mbox, one record per message.

    With --watch, the folder is polled until Ctrl-C or SIGTERM: each file is taken once its size and time
    have stopped changing, registered, then moved to DIR/.done/ or DIR/.refused/ (with NAME.reason.txt)."""
    from ingest.channels import ingest_path
    from ingest.pipeline import Intake
    from ingest.sidecars import pair_sidecars
    from metadata.sidecar import MAX_SIDECAR_BYTES

    try:
        kind = RegisterKind.parse(register)
    except ValueError:
        raise DmsError(f"unknown register {register!r}: incoming, outgoing or internal") from None
    if watch:
        if len(paths) != 1 or not paths[0].is_dir():
            raise DmsError("--watch takes exactly one folder")
        _watch(paths[0], tenant, Intake(original_name="", register=kind, subject=subject,
                                        allow_duplicate=allow_duplicate, classification=classification,
                                        keywords=list(keyword or [])), interval)
        return
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise DmsError(f"no such file or folder: {path}")
    runtime = _runtime()
    principal = _system_principal(tenant)
    imported, duplicates, refused = [], [], []
    paired = pair_sidecars(files)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(paired))
        for item in paired:
            path = item.path
            try:
                if item.problem:
                    raise DmsError(item.problem)
                sidecar = None
                if item.sidecar is not None:
                    with item.sidecar.open("rb") as handle:
                        sidecar = handle.read(MAX_SIDECAR_BYTES + 1)
                outcomes = ingest_path(runtime, principal, path,
                                       Intake(original_name=path.name, register=kind, subject=subject,
                                              allow_duplicate=allow_duplicate, sidecar=sidecar,
                                              classification=classification, keywords=list(keyword or [])))
                for outcome in outcomes:  # one per file; one per document of a scan batch or message of an mbox
                    shown = path if outcome.name == path.name else f"{path.parent / outcome.name}"
                    if outcome.kind in ("imported", "replaced"):
                        imported.append((shown, outcome.reference))
                        typer.echo(f"{outcome.reference}\t{outcome.record_id}\t{shown}"
                                   + ("\treplaced" if outcome.kind == "replaced" else ""))
                    elif outcome.kind == "duplicate":
                        duplicates.append((shown, outcome.reason))
                    else:
                        refused.append((shown, outcome.reason))
            except Duplicate as exc:
                duplicates.append((path, exc.message))
            except DmsError as exc:
                refused.append((path, exc.message))
            progress.advance(task)
    for path, reason in duplicates:
        err.print(f"duplicate: {path}: {reason}")
    for path, reason in refused:
        err.print(f"refused: {path}: {reason}")
    err.print(f"imported {len(imported)}, duplicates {len(duplicates)}, refused {len(refused)}")
    if refused and not imported:
        raise typer.Exit(1)


def _watch(folder: Path, tenant: str, template, interval: float) -> None:
    """The watch loop in the foreground; SIGINT/SIGTERM finish the current file, then print the summary."""
    import signal

    from ingest.watch import watch_folder

    runtime = _runtime()
    principal = _system_principal(tenant)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}

    def show(outcome) -> None:
        if outcome.kind == "imported":
            typer.echo(f"{outcome.reference}\t{outcome.record_id}\t{folder / outcome.name}")
        elif outcome.kind == "replaced":  # a re-scan (docs/intake.md)
            typer.echo(f"{outcome.reference}\t{outcome.record_id}\t{folder / outcome.name}\treplaced")
        elif outcome.kind == "retry":
            err.print(f"will retry: {outcome.name}: {outcome.reason}")
        else:
            err.print(f"{outcome.kind}: {outcome.name}: {outcome.reason}")

    err.print(f"watching {folder} every {interval:g} s (Ctrl-C to stop)")
    try:
        report = watch_folder(runtime, principal, folder, template, stop=stop, interval=interval, on_outcome=show)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for item in report.duplicates:
        err.print(f"duplicate: {item.name}: {item.reason}")
    for item in report.refused:
        err.print(f"refused: {item.name}: {item.reason}")
    err.print(report.summary())


@app.command("export-transfer")
def export_transfer(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug")],
    output: Annotated[Path, typer.Option("--output", help="Folder to create for the bag")],
    query: Annotated[str | None, typer.Option("--query", help="The records a search finds")] = None,
    classification: Annotated[str | None, typer.Option("--classification", help="Concept URI of the plan")] = None,
    ids: Annotated[list[str] | None, typer.Option("--ids", help="Record ids (repeat, or comma-separated)")] = None,
    archival_agency: Annotated[str | None, typer.Option(
        "--archival-agency", help="IDENTIFIER[=Name] of the receiving archive (default: the commune)")] = None,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
) -> None:
    """Export records as one SEDA 2.3 ArchiveTransfer with their files, in a BagIt bag."""
    from dms import transfers
    from metadata import Organization

    runtime = _runtime()
    principal = _system_principal(tenant)
    wanted = [i.strip() for value in (ids or []) for i in value.split(",") if i.strip()]
    agency = None
    if archival_agency:
        identifier, _, name = archival_agency.partition("=")
        agency = Organization(identifier.strip(), name.strip() or None)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        chosen = transfers.select_records(session, runtime.backends.search, principal.tenant_id, ids=wanted or None,
                                          query=query, classification=classification)
    with Progress(console=err, transient=True) as progress:
        progress.add_task(f"writing {len(chosen)} record(s)", total=None)
        done = transfers.export_transfer(runtime.backends, principal.tenant_id, None, chosen, output,
                                         archival_agency=agency, comment=comment)
    typer.echo(str(done.path))
    err.print(f"exported {done.records} record(s), {done.files} file(s), {done.bytes} bytes; "
              f"message {done.message_identifier}")


@app.command("import-transfer")
def import_transfer(
    bag: Annotated[Path, typer.Argument(help="A transfer bag (folder) or a zip of one")],
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug")],
) -> None:
    """Validate a transfer bag and recreate its records in a commune, with new registration numbers."""
    from ingest.transfers import import_bag, import_zipped_bag

    runtime = _runtime()
    principal = _system_principal(tenant)
    if bag.is_file():
        report = import_zipped_bag(runtime, principal, bag)
    else:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("importing", total=None)
            report = import_bag(runtime, principal, bag,
                                progress=lambda n, total: progress.update(task, completed=n, total=total))
    for item in report.imported:
        typer.echo(f"{item['reference']}\t{item['id']}\t{item['source']}")
    for item in report.skipped:
        err.print(f"skipped: {item['source']}: {item['reason']}")
    for item in report.failed:
        err.print(f"failed: {item['source']}: {item['reason']}")
    err.print(f"imported {len(report.imported)}, skipped {len(report.skipped)}, failed {len(report.failed)}; "
              f"message {report.message_identifier}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def search(
    query: str,
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON answer")] = False,
    limit: Annotated[int, typer.Option("--limit")] = 20,
) -> None:
    """Search a tenant's records."""
    from dms.searching import search_records

    runtime = _runtime()
    principal = _system_principal(tenant)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        result = search_records(session, runtime.backends.search, principal.tenant_id, query, limit=limit)
    if as_json:
        typer.echo(json.dumps(result, default=str, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{result['total']}{'+' if result.get('total_is_lower_bound') else ''} result(s)")
    for hit in result["hits"]:
        snippet = hit["highlights"][0] if hit["highlights"] else ""
        snippet = snippet.replace("<mark>", "[").replace("</mark>", "]")
        typer.echo(f"{hit['reference']}\t{hit['title']}\t{snippet}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", envvar="PORT")] = 8000,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run a job worker in-process")] = True,
) -> None:
    """Serve the HTTP API (and an in-process worker unless --no-worker)."""
    import uvicorn

    from api.app import create_app
    from ingest.worker import start_in_thread

    application = create_app()
    stop = None
    if worker:
        _thread, stop = start_in_thread(application.state.runtime)
    try:
        uvicorn.run(application, host=host, port=port, log_level=os.environ.get("DMS_LOG_LEVEL", "info"))
    finally:
        if stop is not None:
            stop.set()


@app.command("worker")
def worker_cmd(once: Annotated[bool, typer.Option("--once", help="Stop when no job is due")] = False) -> None:
    """Run background jobs (extraction, indexing) until stopped."""
    from ingest.worker import work

    done = work(_runtime(), threading.Event(), once=once)
    err.print(f"{done} job(s) done")


@app.command()
def reindex(
    tenant: Annotated[str | None, typer.Option("--tenant")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted reindex after its checkpoint")]
    = False,
    workers: Annotated[int, typer.Option("--workers", help="Analyse pages in N processes (spare cores)")] = 0,
) -> None:
    """Rebuild the search index from the database (streamed, in bulk, resumable with --resume)."""
    from dms.reindex import reindex as run

    runtime = _runtime()
    tenant_id = _system_principal(tenant).tenant_id if tenant else None
    with Progress(console=err) as progress:
        task = progress.add_task("reindexing", total=None)
        count = run(runtime.backends, tenant_id=tenant_id, resume=resume, workers=workers,
                    progress=lambda done, total: progress.update(task, completed=done, total=total))
    err.print(f"reindexed {count} record(s){' (resumed)' if resume else ''}")


@app.command()
def fsck(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's blobs")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Check existence only, do not rehash")] = False,
    collect_orphans: Annotated[bool, typer.Option(
        "--collect-orphans", help="Delete unreferenced blobs older than --grace (interrupted uploads)")] = False,
    grace: Annotated[float, typer.Option("--grace", help="Minutes an unreferenced blob is kept (default 60)")] = 60.0,
) -> None:
    """Check every blob against its recorded SHA-256; list missing, corrupt and unreferenced blobs."""
    from datetime import timedelta

    from dms.fsck import collect_orphans as collect
    from dms.fsck import fsck as run

    runtime = _runtime()
    tenant_id = _system_principal(tenant).tenant_id if tenant else None
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("checking blobs", total=None)
        report = run(runtime.backends, tenant_id=tenant_id, rehash=not quick,
                     progress=lambda n: progress.update(task, completed=n))
    for key in report.missing:
        err.print(f"missing: {key}")
    for key in report.corrupt:
        err.print(f"corrupt: {key}")
    if collect_orphans:
        orphans = collect(runtime.backends, grace=timedelta(minutes=grace), tenant_id=tenant_id)
        for key in orphans.removed:
            err.print(f"removed unreferenced: {key}")
        for key in orphans.locked:
            err.print(f"kept (legal hold in the store): {key}")
        report.unreferenced = sorted(set(report.unreferenced) - set(orphans.removed))
        err.print(f"collected {len(orphans.removed)} unreferenced blob(s) and {orphans.temporary_files} stale "
                  f"temporary file(s); {len(orphans.young)} younger than {grace:g} min kept")
    for key in report.unreferenced:
        err.print(f"unreferenced: {key}")
    typer.echo(f"checked {report.checked} blob(s), {report.bytes_checked} bytes: {len(report.missing)} missing, "
               f"{len(report.corrupt)} corrupt, {len(report.unreferenced)} unreferenced")
    if not report.healthy:
        raise DmsError("fixity check failed: see the missing and corrupt blobs above")


@app.command("copy-installation")
def copy_installation_cmd(
    to_database_url: Annotated[str, typer.Option("--to-database-url", help="Empty target database")],
    to_blob_url: Annotated[str, typer.Option("--to-blob-url", help="Target blob store (s3://… or file://…)")],
    to_search_url: Annotated[str, typer.Option("--to-search-url", help="Target search engine")] = "embedded",
) -> None:
    """Copy this installation (rows, blobs) onto other backends and rebuild their search index."""
    from dms.backends import open_backends
    from dms.installation_copy import copy_installation

    settings = get_settings()
    target = settings.model_copy(
        update={"database_url": to_database_url, "blob_url": to_blob_url, "search_url": to_search_url}
    )
    report = copy_installation(open_backends(settings), open_backends(target), progress=err.print)
    typer.echo(
        f"copied {sum(report.rows.values())} row(s), {report.blobs} blob(s) ({report.blob_bytes} bytes), "
        f"indexed {report.indexed} record(s)"
    )


@app.command("backup")
def backup_cmd(
    dest: Annotated[Path, typer.Argument(help="A new (or empty) folder to write the backup into")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant (slug)")] = None,
) -> None:
    """Back up the installation (or one tenant): rows in a portable form, and the blobs they reference."""
    from dms.backup import backup

    runtime = _runtime()
    tenant_id = _system_principal(tenant).tenant_id if tenant else None
    with Progress(console=err, transient=True) as progress:
        progress.add_task("backing up", total=None)
        report = backup(runtime.backends, dest, tenant_id=tenant_id, say=err.print)
    for key in report.missing_blobs:
        err.print(f"missing blob (not in the backup): {key}")
    typer.echo(f"backed up {sum(report.rows.values())} row(s), {report.blobs} blob(s) ({report.blob_bytes} bytes) "
               f"to {dest}")
    if report.missing_blobs:
        raise DmsError(f"{len(report.missing_blobs)} referenced blob(s) missing from the store: run dms fsck")


@app.command("restore")
def restore_cmd(
    src: Annotated[Path, typer.Argument(help="A folder written by dms backup")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="Expect a backup of this tenant (slug)")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Delete what is there first (the tenant, or all)")]
    = False,
) -> None:
    """Restore a backup into this installation (empty, or the tenant absent), then rebuild the search index."""
    from dms.backup import restore

    runtime = _runtime()
    with Progress(console=err, transient=True) as progress:
        progress.add_task("restoring", total=None)
        report = restore(runtime.backends, src, tenant=tenant, replace=replace, say=err.print)
    typer.echo(f"restored {sum(report.rows.values())} row(s), {report.blobs} blob(s) ({report.blob_bytes} bytes), "
               f"indexed {report.indexed} record(s)")


jobs_app = typer.Typer(help="Background jobs: the queue and its dead letters.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option("--status", help="queued, running, done or dead")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """List jobs, newest first, with the first line of a dead job's error."""
    from dms import jobs

    if status not in (None, "queued", "running", "done", "dead"):
        raise DmsError(f"unknown status {status!r}: queued, running, done or dead")
    tenant_id = _system_principal(tenant).tenant_id if tenant else None
    with unit_of_work(_engine(), write=False) as session:
        rows = [jobs.to_dict(job) for job in jobs.list_jobs(session, tenant_id=tenant_id, status=status,
                                                            limit=limit)]
    for job in rows:
        typer.echo(f"{job['id']}\t{job['kind']}\t{job['status']}\tattempts={job['attempts']}\t{job['error'] or ''}")
    err.print(f"{len(rows)} job(s)")


@jobs_app.command("retry")
def jobs_retry(job_ids: Annotated[list[int], typer.Argument(help="Dead job ids")]) -> None:
    """Queue dead jobs again (attempts reset)."""
    from dms import jobs

    with unit_of_work(_engine()) as session:
        missing = [job_id for job_id in job_ids if not jobs.retry(session, job_id)]
        if missing:
            raise DmsError(f"no dead job with id {', '.join(map(str, missing))}")
    typer.echo(f"{len(job_ids)} job(s) queued again")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk every audit chain; fail naming the first altered, missing or reordered event."""
    from dms.audit import verify

    with unit_of_work(_engine(), write=False) as session:
        checked, problems = verify(session)
    if problems:
        for p in problems:
            err.print(f"audit chain {p.chain}: event seq {p.seq} (id {p.event_id}): {p.reason}", soft_wrap=True)
        raise DmsError(f"audit chain broken: {len(problems)} problem(s) in {checked} event(s)")
    typer.echo(f"audit chain intact: {checked} event(s) verified")


@app.command()
def demo(
    letters: Annotated[int, typer.Option("--letters", help="How many sample letters to register")] = 6,
) -> None:
    """Prepare a demo commune with a clerk and sample letters; prints the clerk's token."""
    from dms.demo import DEMO_CLERK, DEMO_TENANT
    from ingest.demo import prepare_demo

    token, count = prepare_demo(_runtime(), letters=letters)
    err.print(f"demo commune '{DEMO_TENANT}' ready with {count} new letter(s); clerk {DEMO_CLERK}")
    typer.echo(token)


@register_app.command("export")
def register_export_cmd(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD")],
    output: Annotated[Path, typer.Option("--output", help="File to write")],
    register: Annotated[str, typer.Option("--register", help="incoming, outgoing or internal")] = "incoming",
    fmt: Annotated[str, typer.Option("--format", help="csv (UTF-8 with BOM, ';') or pdf")] = "csv",
) -> None:
    """Export a register's records of a period (by date of registration) as CSV or PDF."""
    from dms.register_export import export_register

    principal = _system_principal(tenant)
    with unit_of_work(_engine(), write=False) as session:
        done = export_register(session, principal, register, start, end, fmt)
    output.write_bytes(done.content)
    err.print(f"{done.lines} line(s) written to {output}")


def main() -> None:
    try:
        code = app(standalone_mode=False)  # without standalone mode, click returns typer.Exit's code
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DmsError as exc:
        print(f"dms: error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # one line, not a traceback, for the person at the terminal
        if os.environ.get("DMS_DEBUG"):
            raise
        print(f"dms: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
