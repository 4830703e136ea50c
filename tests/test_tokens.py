"""API tokens over their life (issue 11): expiry and revocation enforced, the value shown once, only its hash
kept; a user manages their own tokens, a tenant admin those of their tenant's users (both stacks)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from dms import accounts, tokens
from dms.db import unit_of_work
from dms.errors import BadInput
from dms.models import ApiToken, AuditEvent
from dms.models.base import utcnow
from tests.conftest import embedded_runtime_for, embedded_settings_for, make_tenant

DMS = str(Path(sys.executable).with_name("dms"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_user_creates_uses_lists_and_revokes_their_token(client, runtime):
    clerk = make_tenant(runtime)
    made = client.post("/api/v1/tokens", headers=clerk.headers, json={"label": "script de scan"})
    assert made.status_code == 201, made.text
    body = made.json()
    token = body["token"]
    assert token.startswith("dms_") and body["state"] == "active"
    days = (body_time(body["expires_at"]) - utcnow()).days
    assert 88 <= days <= 90, body  # the default lifetime: 90 days
    assert client.get("/api/v1/tokens", headers=bearer(token)).status_code == 200
    with unit_of_work(runtime.backends.engine, write=False) as session:
        row = session.get(ApiToken, body["id"])
        assert row.token_hash == accounts.hash_token(token) and token not in row.token_hash
    listed = client.get("/api/v1/tokens", headers=clerk.headers).json()["tokens"]
    assert body["id"] in [t["id"] for t in listed]
    assert token not in str(listed) and row.token_hash not in str(listed), "a listing shows a token or its hash"
    revoked = client.delete(f"/api/v1/tokens/{body['id']}", headers=bearer(token))
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    refused = client.get("/api/v1/tokens", headers=bearer(token))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/tokens", headers=clerk.headers).status_code == 200  # the other token still works
    with unit_of_work(runtime.backends.engine, write=False) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_id == body["id"])).all()
    assert sorted(actions) == ["token.created", "token.revoked"]


def body_time(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_an_expired_token_gets_401(client, runtime):
    clerk = make_tenant(runtime)
    issued = client.post("/api/v1/tokens", headers=clerk.headers, json={"expires_in_days": 1}).json()
    assert client.get("/api/v1/tokens", headers=bearer(issued["token"])).status_code == 200
    with unit_of_work(runtime.backends.engine) as session:
        row = session.get(ApiToken, issued["id"])
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert client.get("/api/v1/tokens", headers=bearer(issued["token"])).status_code == 401
    listed = {t["id"]: t["state"] for t in client.get("/api/v1/tokens", headers=clerk.headers).json()["tokens"]}
    assert listed[issued["id"]] == "expired"


def test_admins_manage_their_tenants_tokens_and_nobody_else_does(client, runtime):
    clerk = make_tenant(runtime)
    admin = make_tenant(runtime, role="admin", slug=clerk.slug)
    colleague = make_tenant(runtime, role="agent", slug=clerk.slug)
    stranger = make_tenant(runtime, role="admin")
    issued = client.post("/api/v1/tokens", headers=clerk.headers, json={"label": "x"}).json()
    # the clerk's tokens: their admin sees them, a colleague and another commune's admin do not
    seen = client.get("/api/v1/tokens", params={"user": clerk.email}, headers=admin.headers)
    assert seen.status_code == 200 and issued["id"] in seen.text
    for other in (colleague, stranger):
        answer = client.get("/api/v1/tokens", params={"user": clerk.email}, headers=other.headers)
        assert answer.status_code == 404 and issued["id"] not in answer.text
        answer = client.delete(f"/api/v1/tokens/{issued['id']}", headers=other.headers)
        assert answer.status_code == 404 and set(answer.json()) == {"detail"}
    assert client.get("/api/v1/tokens", headers=bearer(issued["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{issued['id']}", headers=admin.headers).json()["state"] == "revoked"
    assert client.get("/api/v1/tokens", headers=bearer(issued["token"])).status_code == 401
    again = client.delete(f"/api/v1/tokens/{issued['id']}", headers=admin.headers)  # idempotent
    assert again.status_code == 200 and again.json()["revoked_at"] == client.get(
        "/api/v1/tokens", params={"user": clerk.email}, headers=admin.headers
    ).json()["tokens"][-1]["revoked_at"]


@pytest.mark.parametrize("body", [{"expires_in_days": 0}, {"expires_in_days": 400}, {"label": "x" * 201},
                                  {"token": "dms_mine"}])
def test_bad_token_requests_are_refused(client, runtime, body):
    clerk = make_tenant(runtime)
    before = len(client.get("/api/v1/tokens", headers=clerk.headers).json()["tokens"])
    assert client.post("/api/v1/tokens", headers=clerk.headers, json=body).status_code == 400
    assert len(client.get("/api/v1/tokens", headers=clerk.headers).json()["tokens"]) == before


def test_lifetimes():
    assert tokens.parse_lifetime("90d") == timedelta(days=90)
    assert tokens.parse_lifetime("12h") == timedelta(hours=12)
    assert tokens.parse_lifetime("2w") == timedelta(weeks=2)
    assert tokens.parse_lifetime("1y") == timedelta(days=365)
    assert tokens.parse_lifetime("30") == timedelta(days=30)
    assert tokens.parse_lifetime("never") is None and tokens.parse_lifetime(None) is None
    for bad in ("0d", "-1d", "soon", "10m", "999999y"):
        with pytest.raises(BadInput):
            tokens.parse_lifetime(bad)


def test_the_cli_creates_lists_and_revokes_tokens(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")

    def dms(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([DMS, *args], env=env, capture_output=True, text=True, timeout=120)
        assert (done.returncode == 0) == ok, done.stderr
        return done

    dms("migrate")
    dms("tenant", "create", "andenne", "--name", "Andenne")
    dms("user", "create", "anne@andenne.be", "--tenant", "andenne", "--role", "clerk")
    forever = dms("token", "create", "anne@andenne.be").stdout.strip()
    short = dms("token", "create", "anne@andenne.be", "--expires-in", "90d", "--label", "scanner").stdout.strip()
    assert forever.startswith("dms_") and short.startswith("dms_") and "\n" not in short
    lines = [line.split("\t") for line in dms("token", "list", "anne@andenne.be").stdout.splitlines()]
    assert [line[1] for line in lines] == ["active", "active"]
    assert lines[0][4] == "never" and lines[1][2] == "scanner" and lines[1][4] != "never"
    assert forever not in str(lines) and short not in str(lines)
    dms("token", "revoke", lines[1][0])
    states = [line.split("\t")[1] for line in dms("token", "list", "anne@andenne.be").stdout.splitlines()]
    assert states == ["active", "revoked"]
    assert dms("token", "revoke", "no-such-id", ok=False).stderr.strip() == "dms: error: no such token"
    assert "invalid lifetime" in dms("token", "create", "anne@andenne.be", "--expires-in", "soon", ok=False).stderr
    runtime = embedded_runtime_for(embedded_settings_for(tmp_path))
    with unit_of_work(runtime.backends.engine, write=False) as session:
        with pytest.raises(Exception, match="expired or revoked"):
            accounts.authenticate(session, short)
        assert accounts.authenticate(session, forever).email == "anne@andenne.be"
