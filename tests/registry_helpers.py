"""Shared steps of the mail-registry tests: a commune with an admin, services, contacts and mail."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.conftest import TenantUser, make_tenant
from tests.test_records_api import letter_pdf, upload

API = "/api/v1"


def colleague(runtime, of: TenantUser, role: str) -> TenantUser:
    return make_tenant(runtime, role=role, slug=of.slug)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def service(client, admin: TenantUser, code: str) -> dict:
    return ok(client.post(f"{API}/services", json={"code": code, "name": code.title()}, headers=admin.headers), 201)


def contact(client, user: TenantUser, **fields) -> dict:
    fields.setdefault("kind", "organisation")
    if fields["kind"] == "organisation":
        fields.setdefault("name", f"SPW {uuid.uuid4().hex[:6]}")
    return ok(client.post(f"{API}/contacts", json=fields, headers=user.headers), 201)


def mail(client, user: TenantUser, tmp_path: Path, **fields) -> dict:
    """One registered letter (unique bytes, so never a duplicate)."""
    token = uuid.uuid4().hex
    path = letter_pdf(tmp_path, text=f"Courrier {token} concernant la voirie communale.", name=f"{token}.pdf")
    fields.setdefault("subject", f"Courrier {token[:8]}")
    return ok(upload(client, user, path, **fields), 201)
