"""`dms thesaurus …`: import and export SKOS files through the same services as the HTTP API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dms import accounts, vocabulary
from dms.db import get_engine, unit_of_work
from dms.errors import BadInput, DmsError
from dms.settings import get_settings

thesaurus_app = typer.Typer(help="The regional thesaurus, classification plan and tenant extensions (SKOS).",
                            no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # one line per message, even in a log or a pipe


def _engine():
    return get_engine(get_settings().resolved_database_url)


def _tenant_id(session, slug: str | None) -> str | None:
    return accounts.get_tenant(session, slug).id if slug else None


@thesaurus_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="SKOS file: Turtle, RDF/XML or N-Triples (recognised from the bytes)")],
    scheme: Annotated[str | None, typer.Option("--scheme", help="Scheme URI, if the file declares several")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant slug: import that commune's extension")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="thesaurus or plan (default: from the file)")] = None,
) -> None:
    """Import a SKOS file as the next version of its scheme; a file with problems changes nothing."""
    if not file.is_file():
        raise DmsError(f"no such file: {file}")
    if file.stat().st_size > vocabulary.MAX_SKOS_BYTES:
        raise DmsError(f"{file}: larger than {vocabulary.MAX_SKOS_BYTES // (1024 * 1024)} MiB")
    data = file.read_bytes()
    try:
        with err.status(f"importing {file.name}"), unit_of_work(_engine()) as session:
            summary = vocabulary.import_skos(session, data, filename=file.name, scheme_uri=scheme,
                                             tenant_id=_tenant_id(session, tenant), kind=kind)
    except BadInput as exc:
        for problem in exc.extra.get("problems", []):
            print(f"{file}: <{problem['uri']}>: {problem['message']}" if problem["uri"]
                  else f"{file}: {problem['message']}", file=sys.stderr)
        raise DmsError(f"{file}: refused, nothing changed: {exc.message.split(': ', 1)[-1]}") from None
    ignored = sum(summary.ignored.values())
    typer.echo(f"imported {summary.scheme_uri} version {summary.version} ({summary.kind}): "
               f"{summary.concepts} concepts, {summary.collections} collections, {summary.labels} labels, "
               f"{summary.relations} relations, {ignored} ignored triples")
    for predicate, count in list(summary.ignored.items())[:10]:
        err.print(f"  ignored {count} × {predicate}")


@thesaurus_app.command("export")
def export_cmd(
    format: Annotated[str, typer.Option("--format", help="turtle, xml or nt")] = "turtle",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")] = None,
    scheme: Annotated[str | None, typer.Option("--scheme", help="Scheme URI (default: the regional thesaurus)")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant slug: export that commune's extension")] = None,
) -> None:
    """Export a stored scheme as a SKOS file."""
    with unit_of_work(_engine(), write=False) as session:
        tenant_id = _tenant_id(session, tenant)
        row, data = vocabulary.export_scheme(session, tenant_id, scheme, fmt=format, own_only=bool(tenant))
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        err.print(f"exported {row.uri} version {row.version} to {output} ({len(data)} bytes)")
