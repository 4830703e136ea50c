"""The route matrix (issue 11): every route of /openapi.json, called by every kind of caller.

For each (method, path) of tests/route_matrix_cases.py: an anonymous caller and a bogus token get 401
(except the public routes, listed with their reason); every role that must succeed gets the success status
and sees tenant A's object in the answer; every other role gets 403; a user of tenant B gets 404 on A's
object ids and sees nothing of A on lists. A completeness test fails, naming the route, when the OpenAPI
document has a route without a case (or a case names a route that is gone).

One embedded stack and one world for the whole module: the matrix is about the API's gatekeeping, which is
the same code on both stacks (the tenant scoping of each engine has its contract tests in tests/contract).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.app import create_app
from dms import accounts
from dms.db import unit_of_work
from dms.models import ApiToken, User
from dms.models.base import utcnow
from tests.conftest import assert_all_metadata_valid, embedded_runtime_for, embedded_settings_for
from tests.route_matrix_cases import (
    ALL_ROLES,
    API,
    CASES,
    FEDERATION_ROLES,
    MARK_A,
    PUBLIC,
    PUBLIC_UNLISTED,
    Call,
    Case,
    World,
    assert_search_empty,
    build_world,
)

BY_KEY = {case.key: case for case in CASES}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    settings = embedded_settings_for(tmp_path_factory.mktemp("route-matrix"))
    runtime = embedded_runtime_for(settings)
    with TestClient(create_app(settings, runtime)) as client:
        yield build_world(runtime, client)
    assert_all_metadata_valid(runtime, "route matrix database")


def _ids(params: list[tuple]) -> list[str]:
    return [f"{case.name} :: {who}" for case, who, *_ in params]


def _refused(response, status: int, who: str, case: Case) -> None:
    assert response.status_code == status, (
        f"{case.name} for {who}: expected {status}, got {response.status_code}: {response.text[:300]}"
    )
    assert "detail" in response.json(), response.text


# --------------------------------------------------------------------------------------------- complete


def test_every_openapi_route_has_a_case(world):
    spec = world.client.get("/openapi.json").json()
    routes = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    covered = set(BY_KEY) | set(PUBLIC)
    missing = sorted(routes - covered)
    stale = sorted(covered - routes)
    assert not missing, (
        "routes without a case in tests/route_matrix_cases.py (add one: who succeeds, who is "
        "refused, what another tenant gets): " + ", ".join(f"{m} {p}" for m, p in missing)
    )
    assert not stale, "cases for routes that are gone: " + ", ".join(f"{m} {p}" for m, p in stale)
    assert len(CASES) == len(BY_KEY), "two cases for the same route"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_case_places_every_role(case):
    """Each role is expected to succeed, expected to be refused, or left out with a written reason; every
    route says what another tenant gets (404 on A's ids in the path or body, nothing of A on a list, or why
    there is nothing to probe); a route with an id in its path cannot skip that."""
    assert case.ok, f"{case.name}: nobody may call it?"
    assert set(case.ok) | set(case.forbidden) | set(case.unchecked) == set(ALL_ROLES)
    assert not set(case.ok) & set(case.unchecked)
    if case.cross == "404":
        assert case.cross_role, f"{case.name}: 404 for another tenant needs a tenant role that succeeds"
    elif case.cross == "absent":
        assert case.absent is not None and case.cross_role
    else:
        assert case.cross.startswith("n/a: "), f"{case.name}: say why another tenant has nothing to probe"
        ids = [name for name in re.findall(r"{(\w+)}", case.path) if name not in ("register",)]
        assert not ids or "federation-wide" in case.cross, (
            f"{case.name}: an id in the path ({ids}) must be 404 for another tenant"
        )


# ----------------------------------------------------------------------------------------- anonymous

ANONYMOUS = [(case, how) for case in CASES for how in ("anonymous", "invalid token")]


@pytest.mark.parametrize(("case", "who"), ANONYMOUS, ids=_ids(ANONYMOUS))
def test_anonymous_caller_gets_401(world, case, who):
    owner = world.actor("A", case.ok[0])
    call = case.build(world, owner, False)
    headers = {} if who == "anonymous" else {"Authorization": "Bearer dms_not-a-real-token"}
    response = call.send(world.client, headers)
    _refused(response, 401, who, case)
    assert response.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("key", sorted(PUBLIC), ids=[f"{m} {p} :: anonymous" for m, p in sorted(PUBLIC)])
def test_public_routes_answer_without_a_token(world, key):
    method, path = key
    response = world.client.request(method, path)
    assert response.status_code == 200, response.text
    assert world.actor("A", "clerk").user.slug not in response.text  # no tenant data on a public route


@pytest.mark.parametrize(
    "path", sorted(PUBLIC_UNLISTED), ids=[f"GET {p} :: anonymous" for p in sorted(PUBLIC_UNLISTED)]
)
def test_public_pages_outside_the_schema(world, path):
    response = world.client.get(path)
    assert response.status_code == 200, response.text
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]


def test_expired_and_revoked_tokens_get_401(world):
    clerk = world.actor("A", "clerk")
    url = f"{API}/records/{world['record_A']['id']}"
    tokens = {}
    with unit_of_work(world.runtime.backends.engine) as session:
        tokens["expired"] = accounts.create_token(session, clerk.user.email, expires_at=utcnow() - timedelta(1))
        tokens["revoked"] = accounts.create_token(session, clerk.user.email)
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == accounts.hash_token(tokens["revoked"]))).one()
        row.revoked_at = utcnow()
        session.add(row)
    for why, token in tokens.items():
        response = world.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, f"{why} token: {response.status_code}"
    assert world.client.get(url, headers=clerk.headers).status_code == 200


# ------------------------------------------------------------------------------------------ succeed

SUCCEED = [(case, world_role) for case in CASES for world_role in case.ok]


def _label(role: str, tenant: str = "A") -> str:
    return role if role in FEDERATION_ROLES else f"{role} of {tenant}"


@pytest.mark.parametrize(
    ("case", "who"), [(c, _label(r)) for c, r in SUCCEED], ids=[f"{c.name} :: {_label(r)}" for c, r in SUCCEED]
)
def test_right_user_succeeds_and_sees_tenant_a(world, case, who):
    actor = world.actor("A", who.split(" of ")[0])
    response = case.build(world, actor, True).send(world.client, actor.headers)
    assert response.status_code == case.status, f"{case.name} for {who}: {response.status_code} {response.text[:500]}"
    if case.check is not None:
        case.check(world, actor, response)


# ------------------------------------------------------------------------------------------- refuse

FORBID = [(case, _label(role)) for case in CASES for role in case.forbidden]


@pytest.mark.parametrize(("case", "who"), FORBID, ids=[f"{c.name} :: {w} (403)" for c, w in FORBID])
def test_user_without_the_role_gets_403(world, case, who):
    actor = world.actor("A", who.split(" of ")[0])
    response = case.build(world, actor, False).send(world.client, actor.headers)
    _refused(response, 403, who, case)


# ------------------------------------------------------------------------------------ other tenant

CROSS = [(case, _label(case.cross_role, "B")) for case in CASES if case.cross in ("404", "absent")]


@pytest.mark.parametrize(
    ("case", "who"),
    CROSS,
    ids=[f"{c.name} :: {w} ({'404' if c.cross == '404' else 'sees nothing of A'})" for c, w in CROSS],
)
def test_other_tenant_gets_404_or_nothing(world, case, who):
    actor = world.actor("B", case.cross_role)
    call = case.build(world, actor, False)
    response = call.send(world.client, actor.headers)
    if case.cross == "404":
        _refused(response, 404, who, case)
        assert set(response.json()) == {"detail"}, response.text
        asked = f"{call.url} {call.params} {call.json}"
        secrets = (MARK_A, world["record_A"]["id"], world["record_A"]["subject"], world["contact_A"]["name"])
        assert not [s for s in secrets if s in response.text and s not in asked], response.text
    else:
        assert response.status_code == 200, f"{case.name} for {who}: {response.status_code} {response.text[:300]}"
        case.absent(world, actor, response)


def test_foreign_ids_in_a_body_are_unknown(world):
    """Creating in B with A's ids as references fails exactly as with an id that does not exist: nothing
    tells B that the id is real, and nothing is created."""

    clerk_b = world.actor("B", "clerk")
    a_contact = world["contact_A"]["id"]
    nobody = "00000000-0000-0000-0000-000000000000"
    person_b = world.client.post(
        f"{API}/contacts", json={"kind": "person", "last_name": "Dupont"}, headers=clerk_b.headers
    ).json()["id"]
    details = []
    for ref in (a_contact, nobody):
        position = Call(
            "POST",
            f"{API}/contacts",
            json={"kind": "position", "role_title": "X", "organisation_id": ref, "person_id": person_b},
        )
        answer = position.send(world.client, clerk_b.headers)
        assert answer.status_code == 400, answer.text
        details.append(answer.json()["detail"].replace(ref, "ID"))
    assert details[0] == details[1] == "organisation ID is not a contact of this tenant", details
    foreign = {
        "sender_id": a_contact,
        "recipient_ids": a_contact,
        "treating_service": world["service_A"]["id"],
        "copy_services": world["service_A"]["id"],
        "reply_to_id": world["record_A"]["id"],
        "related_ids": world["record_A"]["id"],
        "mail_type": f"type-{MARK_A}",
    }
    with unit_of_work(world.runtime.backends.engine, write=False) as session:
        foreign["assignee_id"] = session.exec(
            select(User.id).where(User.email == world.actor("A", "agent").user.email)
        ).one()
    before = world.client.get(f"{API}/search", params={"q": ""}, headers=clerk_b.headers).json()["total"]
    for name, ref in foreign.items():
        fake = nobody if name != "mail_type" else "type-nothing"
        details = []
        for value in (ref, fake):
            answer = world.client.post(
                f"{API}/records",
                headers=clerk_b.headers,
                data={name: value},
                files={"file": ("x.txt", f"Lettre {name} {value}\n".encode(), "text/plain")},
            )
            assert answer.status_code == 400, (name, answer.text)
            details.append(answer.json()["detail"].replace(value, "ID"))
        assert details[0] == details[1], f"{name}: A's id is told apart from an unknown one: {details}"
    assert world.client.get(f"{API}/search", params={"q": ""}, headers=clerk_b.headers).json()["total"] == before
    transfers = [
        world.client.post(f"{API}/transfers", json={"ids": [ref]}, headers=world.actor("B", "archivist").headers)
        for ref in (world["record_A"]["id"], nobody)
    ]
    assert [t.status_code for t in transfers] == [404, 404]
    assert transfers[0].json()["detail"].replace(world["record_A"]["id"], "ID") == transfers[1].json()[
        "detail"
    ].replace(nobody, "ID")


# ------------------------------------------------------------------- agents: the mail of their services

AGENT_RECORD_CASES = [c for c in CASES if "{record_id}" in c.path and "agent" in c.ok]


@pytest.mark.parametrize(
    "case",
    AGENT_RECORD_CASES,
    ids=[f"{c.name} :: agent of A outside the record's services (404)" for c in AGENT_RECORD_CASES],
)
def test_agent_outside_the_records_services_gets_404(world, case):
    actor = world.actors[("A", "agent-elsewhere")]
    response = case.build(world, actor, False).send(world.client, actor.headers)
    _refused(response, 404, "an agent outside the record's services", case)


def test_agent_outside_the_records_services_finds_nothing(world):
    actor = world.actors[("A", "agent-elsewhere")]
    response = world.client.get(f"{API}/search", params={"q": MARK_A}, headers=actor.headers)
    assert response.status_code == 200, response.text
    assert_search_empty(world, actor, response)


def test_federation_users_cannot_read_a_tenants_records(world):
    """Curator and librarian have no tenant: every record route refuses them (403), search included."""
    record = world["record_A"]
    for role in FEDERATION_ROLES:
        actor = world.actor("A", role)
        for url, params in (
            (f"{API}/records/{record['id']}", None),
            (f"{API}/search", {"q": MARK_A}),
            (f"{API}/records/{record['id']}/metadata.xml", None),
            (f"{API}/records/{record['id']}/files/{record['files'][0]['id']}", None),
        ):
            response = world.client.get(url, params=params, headers=actor.headers)
            assert response.status_code == 403, (role, url, response.text)
