"""CLI of issue 11: `dms token list|revoke`, `dms contact subject-access`, `dms register mime-types`. The same
service functions as the HTTP API; the CLI acts as the installation's operator (every tenant)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dms import accounts, register_types, tokens
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import DmsError
from dms.models import RegisterKind, Role

err = Console(stderr=True, soft_wrap=True)  # one line per message, even in a log or a pipe


def _engine():
    from dms.db import get_engine
    from dms.settings import get_settings

    return get_engine(get_settings().resolved_database_url)


def token_list(email: str) -> None:
    """List a user's tokens: id, state, label, created, expires (never the token itself)."""
    with unit_of_work(_engine(), write=False) as session:
        rows = tokens.list_tokens(session, email)
    for row in rows:
        expires = row.expires_at.isoformat(timespec="seconds") if row.expires_at else "never"
        typer.echo(f"{row.id}\t{tokens.state(row)}\t{row.label}\t{row.created_at.isoformat(timespec='seconds')}"
                   f"\t{expires}")
    err.print(f"{len(rows)} token(s)")


def token_revoke(token_id: str) -> None:
    """Revoke a token: from now on it answers 401."""
    with unit_of_work(_engine()) as session:
        row = tokens.revoke(session, token_id)
    typer.echo(f"{row.id}\trevoked\t{row.revoked_at.isoformat(timespec='seconds') if row.revoked_at else ''}")


def contact_subject_access(
    contact_id: str,
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug")],
    out: Annotated[Path, typer.Option("--out", help="The zip to write")],
    files: Annotated[bool, typer.Option("--files/--no-files", help="Include the records' files")] = False,
) -> None:
    """GDPR art. 15: write a zip of every record that mentions the contact (registry fields, name, e-mail)."""
    from dms import subject_access
    from dms.settings import get_settings
    from ingest.runtime import open_runtime

    if out.exists():
        raise DmsError(f"{out} exists already: choose a new file")
    runtime = open_runtime(get_settings())
    with unit_of_work(runtime.backends.engine, write=False) as session:
        tenant_id = accounts.get_tenant(session, tenant).id
    principal = Principal(user_id=None, email="cli", role=Role.admin, tenant_id=tenant_id)
    done = subject_access.export(runtime.backends, principal, tenant_id, contact_id, out, include_files=files)
    typer.echo(str(done.path))
    err.print(f"{done.records} record(s), {done.files} file(s)" + ("; the text search stopped short" if
                                                                  done.truncated else ""))


def register_mime_types(
    register: Annotated[str, typer.Argument(help="incoming, outgoing or internal")],
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug")],
    allow: Annotated[list[str] | None, typer.Option("--allow", help="A MIME type to accept (repeatable)")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Accept every type intake accepts again")] = False,
) -> None:
    """Show, narrow (--allow TYPE …) or reset (--reset) the file types a register accepts."""
    from ingest.detect import ALLOWED_MIME_TYPES

    try:
        kind = RegisterKind.parse(register)
    except ValueError:
        raise DmsError(f"unknown register {register!r}: incoming, outgoing or internal") from None
    if allow and reset:
        raise DmsError("--allow and --reset exclude each other")
    with unit_of_work(_engine(), write=bool(allow or reset)) as session:
        tenant_id = accounts.get_tenant(session, tenant).id
        if allow or reset:
            types = register_types.set_types(session, tenant_id, None, kind, None if reset else allow,
                                             accepted=ALLOWED_MIME_TYPES)
        else:
            types = register_types.allowed(session, tenant_id, kind)
    typer.echo(f"{kind.name}\t{' '.join(types) if types is not None else 'every accepted type'}")
