"""Shared steps of the web interface tests (not a test module): users with passwords, a commune's own
classification plan, signing in through the login form, the app served by uvicorn for a real browser."""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from fastapi.testclient import TestClient

from dms import passwords
from dms.db import unit_of_work
from tests.conftest import TenantUser, make_tenant
from tests.thesaurus_service_data import PLAN_CLASSES, PREFIXES, regional

PASSWORD = "correct horse battery staple"  # noqa: S105 (a test user's)


def web_user(runtime, role: str = "clerk", slug: str | None = None) -> TenantUser:
    user = make_tenant(runtime, role=role, slug=slug)
    with unit_of_work(runtime.backends.engine) as session:
        passwords.set_password(session, user.email, PASSWORD)
    return user


@contextmanager
def commune_plan(runtime) -> Iterator[str]:
    """The sample letters' classification plan as a regional plan, and two keywords ("Abri de jardin", which
    the first letter names, and "Déchets ménagers"), with URIs unique to this use (tests that share the
    production database never clash), removed afterwards. Yields the base of the plan's URIs."""
    base = f"https://plan-{uuid.uuid4().hex[:8]}.example/plan/"
    lines = [PREFIXES, f"@base <{base}> .",
             '<> a skos:ConceptScheme ; dct:title "Plan de classement"@fr ; skos:hasTopConcept <1> , <2> , <4> .']
    for top, label in (("1", "Administration générale"), ("2", "Travaux publics et territoire"), ("4", "Finances")):
        lines.append(f'<{top}> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "{top}" ;'
                     f' skos:prefLabel "{label}"@fr .')
    for code, label, alts in PLAN_CLASSES.values():
        alt = " , ".join(f'"{a}"@fr' for a in alts)
        lines.append(f'<{code}> a skos:Concept ; skos:inScheme <> ; skos:broader <{code.split(".")[0]}> ;'
                     f' skos:notation "{code}" ; skos:prefLabel "{label}"@fr ; skos:altLabel {alt} .')
    words = base.replace("/plan/", "/mots/")
    keywords = [PREFIXES, f"@base <{words}> .", '<> a skos:ConceptScheme ; dct:title "Mots-clés"@fr .',
                '<abri> a skos:Concept ; skos:inScheme <> ; skos:prefLabel "Abri de jardin"@fr .',
                '<dechets> a skos:Concept ; skos:inScheme <> ; skos:prefLabel "Déchets ménagers"@fr ;'
                ' skos:altLabel "Ordures"@fr .']
    with regional(runtime, "\n".join(lines) + "\n", "\n".join(keywords) + "\n"):
        yield base


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, user: TenantUser, password: str = PASSWORD):
    page = client.get("/login")
    data = {"email": user.email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"}
    return client.post("/login", data=data, follow_redirects=False)


def signed_in(app, user: TenantUser) -> tuple[TestClient, str]:
    """A client with a session for ``user`` and the session's CSRF token."""
    client = TestClient(app)
    answer = login(client, user)
    assert answer.status_code == 303, answer.text
    home = client.get("/")
    assert home.status_code == 200, home.text
    return client, csrf_of(home.text)


@dataclass
class Served:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app) -> Served:
    """The app on a free loopback port, in a background thread, until ``stop``."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return Served(url=f"http://127.0.0.1:{port}", server=server, thread=thread)


def principal_for(runtime, user: TenantUser):
    from sqlmodel import select

    from dms.models import User

    with unit_of_work(runtime.backends.engine, write=False) as session:
        row = session.exec(select(User).where(User.email == user.email)).one()
        return passwords.principal_of(row)
