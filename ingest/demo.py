"""`make run`'s demo: a commune, a clerk with a token, and generated French letters registered."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlmodel import select

from dms import accounts, contacts, mail_types, passwords, tenant_services
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.demo import (
    DEMO_CLERK,
    DEMO_MAIL_TYPES,
    DEMO_ORGANISATIONS,
    DEMO_PASSWORD,
    DEMO_SERVICES,
    DEMO_TENANT,
    DEMO_TENANT_NAME,
)
from dms.errors import Duplicate
from dms.models import Contact, Role, Tenant, User
from ingest import samples
from ingest.pipeline import Intake, ingest_file
from ingest.runtime import Runtime


def prepare_demo(runtime: Runtime, *, letters: int = 6) -> tuple[str, int]:
    """Idempotent: a second run only issues a new token and registers nothing twice."""
    engine = runtime.backends.engine
    with unit_of_work(engine) as session:
        tenant = session.exec(select(Tenant).where(Tenant.slug == DEMO_TENANT)).first()
        if tenant is None:
            tenant = accounts.create_tenant(session, DEMO_TENANT, DEMO_TENANT_NAME)
        user = session.exec(select(User).where(User.email == DEMO_CLERK)).first()
        if user is None:
            user = accounts.create_user(session, DEMO_CLERK, role=Role.clerk.value, tenant_slug=DEMO_TENANT,
                                        name="Greffe de la commune")
        if not user.password_hash:  # so the web interface can be tried at once (docs/web.md)
            passwords.set_password(session, DEMO_CLERK, DEMO_PASSWORD)
        token = accounts.create_token(session, DEMO_CLERK, label="demo")
    principal = Principal(user_id=user.id, email=user.email, role=Role.clerk, tenant_id=tenant.id)
    with unit_of_work(engine) as session:
        senders = _directory(session, tenant.id, [samples.letter_text(seed) for seed in range(letters)])
    created = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(letters):
            letter = samples.letter_text(seed)
            path = Path(tmp) / f"courrier-{seed + 1:02d}.pdf"
            samples.write_pdf(letter, path)
            try:
                mail = {"sender_id": senders[letter.sender_email], "mail_type": "lettre",
                        "treating_service_id": DEMO_SERVICES[letter.topic][0]}
                ingest_file(runtime, principal, path, Intake(original_name=path.name, subject=letter.subject,
                                                             mail=mail))
                created += 1
            except Duplicate:
                pass
    return token, created


def _directory(session, tenant_id: str, letters: list[samples.SampleLetter]) -> dict[str, str]:
    """Services, mail types and contacts so that the demo looks like a commune's registry (idempotent); the
    senders of the sample letters are contacts, so an e-mail from one of them is matched (docs/intake.md)."""
    have = {row.code for row in tenant_services.list_services(session, tenant_id)}
    for code, name in DEMO_SERVICES.values():
        if code not in have:
            tenant_services.create(session, tenant_id, None, code, name)
    types = {row.code for row in mail_types.list_types(session, tenant_id, include_inactive=True)}
    for code, label in DEMO_MAIL_TYPES:
        if code not in types:
            mail_types.create(session, tenant_id, None, code, label)
    known = {row.email: row.id for row in session.exec(select(Contact).where(Contact.tenant_id == tenant_id))}
    for name, email, street, postcode, city in DEMO_ORGANISATIONS:
        if email not in known:
            known[email] = contacts.create(session, tenant_id, None, "organisation", {
                "name": name, "email": email, "street": street, "postal_code": postcode, "city": city,
                "country": "Belgique"}).id
    for letter in letters:
        if letter.sender_email not in known:
            postcode, _, city = letter.sender_address[1].partition(" ")
            known[letter.sender_email] = contacts.create(session, tenant_id, None, "person", {
                "first_name": letter.sender.split(" ", 1)[0], "last_name": letter.surname,
                "email": letter.sender_email, "street": letter.sender_address[0], "postal_code": postcode,
                "city": city, "country": "Belgique"}).id
    return known
