"""CLI of the intake channels: `dms barcode separator|scan-sheet` (sheets to print for the scanner) and
`dms mail fetch` (the registry's IMAP mailbox). The same service functions as everywhere, run as the
tenant's administrator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dms import accounts
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import DmsError
from dms.models import RegisterKind, Role
from dms.settings import get_settings

barcode_app = typer.Typer(help="Barcode sheets for the scanner: separators and re-scan covers.", no_args_is_help=True)
mail_app = typer.Typer(help="E-mail intake: the registry's IMAP mailbox.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # one line per message, even in a log or a pipe

Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug")]


def _engine():
    from dms.db import get_engine

    return get_engine(get_settings().resolved_database_url)


def _admin(slug: str) -> Principal:
    with unit_of_work(_engine(), write=False) as session:
        tenant = accounts.get_tenant(session, slug)
    return Principal(user_id=None, email="cli", role=Role.admin, tenant_id=tenant.id)


@barcode_app.command("separator")
def barcode_separator(
    output: Annotated[Path, typer.Option("--output", "-o", help="PDF file to write")] = Path("separateur.pdf"),
) -> None:
    """Write the separator sheet (Code 128 and QR 'DMS-SEPARATOR'): put one between documents in the feeder."""
    from ingest.barcodes import separator_sheet_pdf

    output.write_bytes(separator_sheet_pdf())
    err.print(f"separator sheet written to {output}")


@barcode_app.command("scan-sheet")
def barcode_scan_sheet(
    record: Annotated[str, typer.Argument(help="Record id or registration number (E/2026/00042)")],
    tenant: Tenant,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="PDF file (default scan-<number>.pdf)")] = None,
) -> None:
    """Write the cover sheet for re-scanning a record: the new scan then replaces the record's file."""
    from ingest.scan_batches import scan_sheet

    principal = _admin(tenant)
    with unit_of_work(_engine(), write=False) as session:
        name, pdf = scan_sheet(session, principal, record)
    target = output or Path(name)
    target.write_bytes(pdf)
    err.print(f"scan sheet for {record} written to {target}")


@mail_app.command("fetch")
def mail_fetch(
    tenant: Tenant,
    url: Annotated[str | None, typer.Option("--url", help="imap://user:password@host:port/FOLDER "
                                                          "(default: the DMS_IMAP_URL setting)")] = None,
    folder: Annotated[str | None, typer.Option("--folder", help="Folder to read (overrides the URL's)")] = None,
    move_to: Annotated[str | None, typer.Option("--move-to", help="Move registered messages to this folder")] = None,
    register: Annotated[str, typer.Option("--register", help="incoming, outgoing or internal")] = "incoming",
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many messages")] = None,
) -> None:
    """Register every new message of an IMAP folder (one record each, attachments as files), then flag it."""
    from ingest.mail_fetch import fetch_mailbox, parse_imap_url
    from ingest.pipeline import Intake
    from ingest.runtime import open_runtime

    address = url or get_settings().imap_url
    if not address:
        raise DmsError("no IMAP mailbox: pass --url imap://user:password@host:port/FOLDER or set DMS_IMAP_URL")
    try:
        kind = RegisterKind.parse(register)
    except ValueError:
        raise DmsError(f"unknown register {register!r}: incoming, outgoing or internal") from None
    target = parse_imap_url(address, folder)
    principal = _admin(tenant)

    def show(outcome) -> None:
        if outcome.kind == "imported":
            typer.echo(f"{outcome.reference}\t{outcome.record_id}\t{outcome.name}")
        else:
            err.print(f"{outcome.kind}: {outcome.name}: {outcome.reason}")

    report = fetch_mailbox(open_runtime(get_settings()), principal, target,
                           intake=Intake(original_name="", register=kind), move_to=move_to, limit=limit,
                           on_outcome=show)
    err.print(report.summary())
    if report.stopped:
        raise typer.Exit(1)
