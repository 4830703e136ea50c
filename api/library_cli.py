"""`dms library …`: publish, search, label, adopt, render and move library items, through the same services as
the HTTP API (dms/library). Commands act as the commune's administrator (``--tenant``) or as the regional
librarian (``review``, ``branding --region``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dms import accounts
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import DmsError
from dms.library import MAX_ARTEFACT_BYTES, adoption, archive, branding, catalog, labels, letters, reuse
from dms.models import Role
from dms.settings import get_settings

library_app = typer.Typer(help="The shared library: templates, code, schemas… published, labelled, adopted.",
                          no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)  # one line per message, even in a log or a pipe
VersionOption = Annotated[str | None, typer.Option("--version", help="Default: the newest labelled version")]


def _runtime():
    from ingest.runtime import open_runtime

    return open_runtime(get_settings())


def _admin(runtime, slug: str) -> Principal:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        tenant = accounts.get_tenant(session, slug)
    return Principal(user_id=None, email="cli", role=Role.admin, tenant_id=tenant.id)


def _librarian() -> Principal:
    return Principal(user_id=None, email="cli", role=Role.librarian, tenant_id=None)


def _file(path: Path, limit: int = MAX_ARTEFACT_BYTES) -> bytes:
    if not path.is_file():
        raise DmsError(f"no such file: {path}")
    if path.stat().st_size > limit:
        raise DmsError(f"{path}: larger than {limit} bytes")
    return path.read_bytes()


def _echo_json(value) -> None:
    typer.echo(json.dumps(value, default=str, ensure_ascii=False, indent=2))


def _label(version: dict) -> str:
    return " [labelled]" if version.get("labelled") else f" [{version['label']}]" if version.get("label") != "none" \
        else ""


@library_app.command("publish")
def publish_cmd(
    path: Annotated[Path, typer.Argument(help="The artefact: a DOCX/ODT template, a code package, an XSD…")],
    tenant: Annotated[str, typer.Option("--tenant", help="Publishing commune (slug)")],
    version: Annotated[str, typer.Option("--version", help="Semantic version, e.g. 1.0.0")],
    kind: Annotated[str | None, typer.Option("--kind", help="letter_template, code, schema, thesaurus_extension, "
                                              "process (a new item)")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Add a version to this item (id or slug)")] = None,
    title: Annotated[str, typer.Option("--title", help="Title in French (a new item)")] = "",
    description: Annotated[str, typer.Option("--description")] = "",
    slug: Annotated[str | None, typer.Option("--slug")] = None,
    licence: Annotated[str | None, typer.Option("--licence", help="SPDX expression (default EUPL-1.2)")] = None,
    keyword: Annotated[list[str] | None, typer.Option("--keyword", help="Regional concept URI (repeatable)")] = None,
    maintainer: Annotated[list[str] | None, typer.Option("--maintainer", help="Repeatable")] = None,
    based_on: Annotated[str | None, typer.Option("--based-on", help="The item this one forks")] = None,
    changelog: Annotated[str, typer.Option("--changelog")] = "",
    publiccode: Annotated[Path | None, typer.Option("--publiccode", help="publiccode.yml (code items)")] = None,
) -> None:
    """Publish a new item with its first version (--kind, --title), or a new version of one (--item)."""
    if (kind is None) == (item is None):
        raise DmsError("give --kind (and --title) for a new item, or --item for a new version")
    runtime = _runtime()
    principal = _admin(runtime, tenant)
    new = catalog.VersionInput(version=version, filename=path.name, changelog=changelog,
                               publiccode=_file(publiccode, 256 * 1024) if publiccode else None)
    meta = None if kind is None else catalog.ItemInput(
        kind=kind, title=title or path.stem, description=description, slug=slug, licence=licence,
        keywords=list(keyword or []), maintainers=list(maintainer or []), based_on=based_on)
    done, row = catalog.publish(runtime.backends, principal, _file(path), meta, new, item_ref=item)
    typer.echo(f"{done.slug} {row.version} published (sha256 {row.sha256}, licence {done.licence})")


@library_app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="Words (empty: browse)")] = "",
    filter: Annotated[list[str] | None, typer.Option("--filter", help="kind:…, licence:…, publisher:…, label:…, "
                                                      "keywords:… (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option("--limit")] = 20,
) -> None:
    """Search the catalog."""
    runtime = _runtime()
    with unit_of_work(runtime.backends.engine, write=False) as session:
        result = catalog.search(session, runtime.backends.search, query, filters=catalog.parse_filters(filter or []),
                                limit=limit)
    if as_json:
        _echo_json(result)
        return
    typer.echo(f"{result['total']} item(s)")
    for hit in result["hits"]:
        latest = hit["latest_version"]
        title = hit["title"].get("fr") or next(iter(hit["title"].values()), "")
        typer.echo(f"{hit['slug']}\t{hit['kind']}\t{latest['version'] + _label(latest) if latest else '-'}\t"
                   f"{hit['publisher']['slug']}\t{title}")


@library_app.command("show")
def show_cmd(item: str) -> None:
    """An item page as JSON: versions, labels, users per version, forks."""
    runtime = _runtime()
    with unit_of_work(runtime.backends.engine, write=False) as session:
        _echo_json(catalog.item_page(session, catalog.get_item(session, item)))


@library_app.command("submit")
def submit_cmd(item: str, version: str, tenant: Annotated[str, typer.Option("--tenant")],
               comment: Annotated[str, typer.Option("--comment")] = "") -> None:
    """Ask the region to label a version (the publishing commune)."""
    runtime = _runtime()
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = labels.submit(session, _admin(runtime, tenant), item, version, comment)
    catalog.run_index_jobs(runtime.backends, [job_id])
    typer.echo(f"{item} {answer['version']}: {answer['label']}")


@library_app.command("review")
def review_cmd(item: str, version: str,
               to: Annotated[str, typer.Option("--to", help="in_review, labelled or rejected")],
               comment: Annotated[str, typer.Option("--comment")] = "") -> None:
    """The regional librarian's review step."""
    runtime = _runtime()
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = labels.review(session, _librarian(), item, version, to, comment)
    catalog.run_index_jobs(runtime.backends, [job_id])
    typer.echo(f"{item} {answer['version']}: {answer['label']}")


@library_app.command("reviews")
def reviews_cmd() -> None:
    """Versions waiting for the librarian."""
    runtime = _runtime()
    with unit_of_work(runtime.backends.engine, write=False) as session:
        rows = labels.queue(session)
    for row in rows:
        typer.echo(f"{row['item']['slug']}\t{row['version']['version']}\t{row['version']['label']}\t"
                   f"{row['publisher']['slug']}")
    err.print(f"{len(rows)} version(s) waiting")


@library_app.command("adopt")
def adopt_cmd(item: str, tenant: Annotated[str, typer.Option("--tenant")], version: VersionOption = None) -> None:
    """Adopt a library template into the commune's set."""
    runtime = _runtime()
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = adoption.adopt(session, _admin(runtime, tenant), item, version)
    catalog.run_index_jobs(runtime.backends, [job_id])
    typer.echo(f"{answer['item']['slug']} {answer['version']['version']}{_label(answer['version'])} adopted "
               f"({answer['id']})")


@library_app.command("update")
def update_cmd(item: str, tenant: Annotated[str, typer.Option("--tenant")], version: VersionOption = None) -> None:
    """Move an adopted template to its newest labelled version."""
    runtime = _runtime()
    principal = _admin(runtime, tenant)
    with unit_of_work(runtime.backends.engine) as session:
        row = adoption.find(session, principal.tenant_id, item)
        answer, job_id = adoption.update(session, principal, row.id, version)
    catalog.run_index_jobs(runtime.backends, [job_id])
    typer.echo(f"{answer['item']['slug']} now at {answer['version']['version']}{_label(answer['version'])}")


@library_app.command("adoptions")
def adoptions_cmd(tenant: Annotated[str, typer.Option("--tenant")]) -> None:
    """The commune's templates, and which have a newer labelled version."""
    runtime = _runtime()
    principal = _admin(runtime, tenant)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        rows = adoption.list_for(session, principal.tenant_id)
    for row in rows:
        newer = row["newer_labelled_version"]
        typer.echo(f"{row['item']['slug']}\t{row['version']['version']}{_label(row['version'])}\t"
                   + (f"update available: {newer['version']}" if newer else "up to date"))


@library_app.command("reuse")
def reuse_cmd(item: str, version: str, tenant: Annotated[str, typer.Option("--tenant")],
              since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD")] = None) -> None:
    """Declare that the commune uses a version of an item."""
    runtime = _runtime()
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise DmsError(f"--since: not a date {since!r}") from None
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = reuse.declare_use(session, _admin(runtime, tenant), item, version, day)
    catalog.run_index_jobs(runtime.backends, [job_id])
    typer.echo(f"{answer['item']['slug']} {answer['version']['version']} used since {answer['since']}")


@library_app.command("render")
def render_cmd(item: str, tenant: Annotated[str, typer.Option("--tenant")],
               record: Annotated[str, typer.Option("--record", help="Id of the incoming record answered")],
               subject: Annotated[str, typer.Option("--subject")] = "",
               fmt: Annotated[str | None, typer.Option("--format", help="docx or odt (default: the template's)")]
               = None) -> None:
    """Reply to an incoming record with an adopted template: prints the outgoing record's reference."""
    from ingest.pipeline import run_jobs_now

    runtime = _runtime()
    principal = _admin(runtime, tenant)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        row = adoption.find(session, principal.tenant_id, item)
    done = letters.render_reply(runtime.backends, principal, row.id, record, subject=subject, output_format=fmt)
    run_jobs_now(runtime, done.registered.job_ids)
    typer.echo(f"{done.registered.record.reference}\t{done.registered.record.id}\treply to {done.incoming.reference}")


@library_app.command("branding")
def branding_cmd(
    tenant: Annotated[str | None, typer.Option("--tenant", help="The commune (or --region)")] = None,
    region: Annotated[bool, typer.Option("--region", help="The regional base")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="field=value (name, street, postal_code, city, "
                                                    "phone, email, website, footer); field= inherits")] = None,
    signatory: Annotated[list[str] | None, typer.Option("--signatory", help="'Name|Title' (repeatable)")] = None,
    logo: Annotated[Path | None, typer.Option("--logo", help="PNG or JPEG")] = None,
) -> None:
    """Show or set the branding letters are filled with."""
    if region == (tenant is not None):
        raise DmsError("give --tenant SLUG or --region")
    runtime = _runtime()
    principal = _librarian() if region else _admin(runtime, tenant)
    fields = {}
    for pair in set_ or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise DmsError(f"--set {pair!r}: use field=value")
        fields[name.strip()] = value or None
    people = [dict(zip(("name", "title"), (s.split("|", 1) + [""])[:2], strict=True)) for s in signatory or []]
    with unit_of_work(runtime.backends.engine) as session:
        if fields or signatory:
            branding.update(session, principal, fields, signatories=people, set_signatories=bool(signatory))
    if logo is not None:
        stored = branding.store_logo(runtime.backends.blobs, principal, _file(logo, branding.MAX_LOGO_BYTES))
        with unit_of_work(runtime.backends.engine) as session:
            branding.set_logo(session, principal, stored)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        _echo_json(branding.effective(session, principal.tenant_id).as_dict())


@library_app.command("export")
def export_cmd(item: str, output: Annotated[Path, typer.Option("--output", help="Zip file to write")]) -> None:
    """An item with all its versions and metadata as one zip."""
    runtime = _runtime()
    _name, data = archive.export_item(runtime.backends, item)
    output.write_bytes(data)
    err.print(f"{item} written to {output} ({len(data)} bytes)")


@library_app.command("import")
def import_cmd(path: Path, tenant: Annotated[str, typer.Option("--tenant", help="The commune that publishes it")]
               ) -> None:
    """Import an exported item (zip) as the commune's item."""
    runtime = _runtime()
    item = archive.import_item(runtime.backends, _admin(runtime, tenant), _file(path, archive.MAX_TOTAL))
    typer.echo(f"{item.slug} imported ({item.id})")
