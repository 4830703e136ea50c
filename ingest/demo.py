"""`make run`'s demo: a commune, a clerk with a token, and generated French letters registered."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlmodel import select

from dms import accounts
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.demo import DEMO_CLERK, DEMO_TENANT, DEMO_TENANT_NAME
from dms.errors import Duplicate
from dms.models import Role, Tenant, User
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
        token = accounts.create_token(session, DEMO_CLERK, label="demo")
    principal = Principal(user_id=user.id, email=user.email, role=Role.clerk, tenant_id=tenant.id)
    created = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(letters):
            letter = samples.letter_text(seed)
            path = Path(tmp) / f"courrier-{seed + 1:02d}.pdf"
            samples.write_pdf(letter, path)
            try:
                ingest_file(runtime, principal, path, Intake(original_name=path.name, subject=letter.subject))
                created += 1
            except Duplicate:
                pass
    return token, created
