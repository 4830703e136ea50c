"""`dms user set-password EMAIL`: the password a user signs in to the web interface with."""

from __future__ import annotations

import sys

import typer

from dms import passwords
from dms.db import get_engine, unit_of_work
from dms.settings import get_settings


def user_set_password(email: str) -> None:
    """Set a user's web password: asked twice on a terminal, else read from the first line of stdin."""
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work(get_engine(get_settings().resolved_database_url)) as session:
        user = passwords.set_password(session, email, password)
    typer.echo(f"password set for {user.email}")
