"""The route matrix's world and cases (issue 11): for every (method, path) of /openapi.json, how to build a
valid request, which roles must succeed, which must be refused (403), and what a user of another tenant must
get (404 on an object id, nothing of tenant A on a list). Not a test module itself: tests/test_route_matrix.py
parametrises over CASES.

The world holds two communes, A (whose objects every request targets) and B (the neighbour who must see
nothing of A), with one user of each tenant role in each, and the two federation users (curator, librarian,
tenant None). Requests that consume state (cancel, accept a proposal, retry a dead job…) build fresh objects
when they are meant to succeed, and reuse A's standing objects when they are meant to be refused.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from dms import accounts, jobs
from dms.db import unit_of_work
from dms.models import Role
from ingest.runtime import Runtime
from tests.conftest import TenantUser, make_tenant
from tests.thesaurus_service_data import PREFIXES, REGION, REGION_TTL

API = "/api/v1"
TENANT_ROLES = ("clerk", "agent", "archivist", "admin")
FEDERATION_ROLES = ("curator", "librarian")
ALL_ROLES = TENANT_ROLES + FEDERATION_ROLES
assert set(ALL_ROLES) == {r.value for r in Role}, "a role was added: give it a place in the matrix"

#: Routes an anonymous caller may use, with the reason. Everything else in /openapi.json answers 401.
PUBLIC = {
    ("GET", f"{API}/health"): "load balancers and monitoring probe it without a token; it names components "
    "and their state, no tenant data",
}
#: Public pages that are not in the OpenAPI document (include_in_schema=False or the document itself).
PUBLIC_UNLISTED = {
    "/openapi.json": "the API's shape is public; it holds no data",
    "/docs": "the offline Swagger page (static, served from /static/swagger)",
}

# Words that appear in exactly one tenant's objects, so a neighbour's answer can be searched for them.
MARK_A = "zorglubalpha"
MARK_B = "zorglubbeta"
EXT_A = "https://matrix-a.example/thesaurus/"
EXT_A_CONCEPT = EXT_A + "kiosque"
EXT_A_LABEL = "Kiosquematrice"
EXT_A_TTL = (
    PREFIXES
    + f"""@base <{EXT_A}> .
<> a skos:ConceptScheme ; skos:prefLabel "Extension de la commune A"@fr ; skos:hasTopConcept <kiosque> .
<kiosque> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:prefLabel "{EXT_A_LABEL}"@fr .
"""
)
FORMAT_A = "MTXA-{register}/{year}/{number:05d}"


@dataclass(frozen=True)
class Actor:
    """A caller of the matrix: a role, the tenant it belongs to ("A", "B" or "federation") and its token."""

    role: str
    tenant: str
    user: TenantUser

    @property
    def headers(self) -> dict[str, str]:
        return self.user.headers

    @property
    def label(self) -> str:
        return self.role if self.tenant == "federation" else f"{self.role} of {self.tenant}"


@dataclass
class Call:
    """One HTTP request, ready for the TestClient."""

    method: str
    url: str
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None

    def send(self, client: TestClient, headers: dict[str, str] | None):
        kwargs: dict[str, Any] = {"headers": headers or {}}
        for name in ("params", "json", "data", "files"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return client.request(self.method, self.url, **kwargs)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class World:
    runtime: Runtime
    client: TestClient
    actors: dict[tuple[str, str], Actor] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def actor(self, tenant: str, role: str) -> Actor:
        return self.actors[("federation" if role in FEDERATION_ROLES else tenant, role)]

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]

    # ------------------------------------------------------------------------------ building objects

    def upload(self, tenant: str = "A", *, text: str | None = None, **fields) -> dict:
        clerk = self.actor(tenant, "clerk")
        fields.setdefault("treating_service", self[f"service_{tenant}"]["id"])
        fields.setdefault("subject", f"Matrice {uuid.uuid4().hex[:8]}")
        body = text or f"Courrier {uuid.uuid4().hex} pour la matrice des routes.\n"
        response = self.client.post(
            f"{API}/records",
            headers=clerk.headers,
            data=fields,
            files={"file": (f"{uuid.uuid4().hex[:8]}.txt", io.BytesIO(body.encode()), "text/plain")},
        )
        return _ok(response, 201)

    def fresh_record(self) -> dict:
        return self.upload("A")

    def fresh_cancelled_record(self) -> dict:
        record = self.upload("A")
        _ok(
            self.client.post(
                f"{API}/records/{record['id']}/cancel",
                json={"reason": "doublon"},
                headers=self.actor("A", "clerk").headers,
            )
        )
        return record

    def fresh_contact(self) -> dict:
        return _ok(
            self.client.post(
                f"{API}/contacts",
                json={"kind": "organisation", "name": f"Org {uuid.uuid4().hex}"},
                headers=self.actor("A", "clerk").headers,
            ),
            201,
        )

    def fresh_proposal(self) -> dict:
        body = {"kind": "new", "scheme": REGION, "pref_labels": {"fr": f"Proposition {uuid.uuid4().hex[:8]}"}}
        return _ok(
            self.client.post(f"{API}/thesaurus/proposals", json=body, headers=self.actor("A", "admin").headers), 201
        )

    def fresh_dead_job(self) -> int:
        engine = self.runtime.backends.engine
        with unit_of_work(engine) as session:
            job = jobs.enqueue(
                session,
                "matrix-broken",
                {"why": "matrix"},
                tenant_id=self.actor("A", "clerk").user.tenant_id,
                max_attempts=1,
            )
        [claimed] = jobs.claim(engine, kinds=["matrix-broken"], ids=[job.id])

        def broken(_job):
            raise ValueError("broken on purpose")

        assert not jobs.run_job(engine, claimed, {"matrix-broken": broken})
        return job.id

    def fresh_service(self) -> dict:
        code = f"S{uuid.uuid4().hex[:8]}"
        return _ok(
            self.client.post(
                f"{API}/services", json={"code": code, "name": code}, headers=self.actor("A", "admin").headers
            ),
            201,
        )


def build_world(runtime: Runtime, client: TestClient) -> World:
    world = World(runtime, client)
    for tenant, slug in (("A", f"matrix-a-{uuid.uuid4().hex[:6]}"), ("B", f"matrix-b-{uuid.uuid4().hex[:6]}")):
        for role in TENANT_ROLES:
            world.actors[(tenant, role)] = Actor(role, tenant, make_tenant(runtime, role=role, slug=slug))
    for role in FEDERATION_ROLES:
        email = f"{role}-{uuid.uuid4().hex[:8]}@region.example"
        with unit_of_work(runtime.backends.engine) as session:
            accounts.create_user(session, email, role=role, tenant_slug=None)
            token = accounts.create_token(session, email)
        world.actors[("federation", role)] = Actor(role, "federation", TenantUser("", "", email, token))
    # an agent of A outside every service (sees none of A's service mail)
    slug_a = world.actor("A", "clerk").user.slug
    world.actors[("A", "agent-elsewhere")] = Actor("agent", "A", make_tenant(runtime, role="agent", slug=slug_a))

    curator = world.actor("A", "curator")
    _ok(
        client.post(
            f"{API}/thesaurus/import",
            headers=curator.headers,
            files={"file": ("region.ttl", REGION_TTL.encode(), "text/turtle")},
        ),
        201,
    )
    for tenant, mark in (("A", MARK_A), ("B", MARK_B)):
        admin = world.actor(tenant, "admin")
        world.objects[f"service_{tenant}"] = (
            world.fresh_service()
            if tenant == "A"
            else _ok(
                client.post(f"{API}/services", json={"code": "COURRIER", "name": "Courrier"}, headers=admin.headers),
                201,
            )
        )
        service = world[f"service_{tenant}"]
        agent = world.actor(tenant, "agent").user.email
        _ok(client.post(f"{API}/services/{service['id']}/members", json={"user": agent}, headers=admin.headers), 201)
        world.objects[f"contact_{tenant}"] = _ok(
            client.post(
                f"{API}/contacts",
                json={"kind": "organisation", "name": f"Org{mark}"},
                headers=world.actor(tenant, "clerk").headers,
            ),
            201,
        )
        world.objects[f"mail_type_{tenant}"] = _ok(
            client.post(
                f"{API}/mail-types", json={"code": f"type-{mark}", "label": f"Type {mark}"}, headers=admin.headers
            ),
            201,
        )
        world.objects[f"record_{tenant}"] = world.upload(
            tenant,
            text=f"Lettre {mark} : demande de permis pour la forge communale.\n",
            subject=f"Demande {mark}",
            sender_id=world[f"contact_{tenant}"]["id"],
        )
    admin_a = world.actor("A", "admin")
    _ok(client.put(f"{API}/register-settings/outgoing", json={"format": FORMAT_A}, headers=admin_a.headers))
    _ok(
        client.post(
            f"{API}/thesaurus/import",
            headers=admin_a.headers,
            files={"file": ("ext.ttl", EXT_A_TTL.encode(), "text/turtle")},
        ),
        201,
    )
    world.objects["proposal_A"] = world.fresh_proposal()
    world.objects["dead_job_A"] = world.fresh_dead_job()
    bag = client.post(
        f"{API}/transfers", json={"ids": [world["record_A"]["id"]]}, headers=world.actor("A", "archivist").headers
    )
    assert bag.status_code == 200, bag.text
    world.objects["bag_A"] = bag.content
    build_library(world)  # issue 8: an item of A, its adoption by A, A's branding (tests/route_matrix_library.py)
    return world


# ---------------------------------------------------------------------------------------------- cases

Builder = Callable[[World, Actor, bool], Call]
Checker = Callable[[World, Actor, Any], None]


@dataclass(frozen=True)
class Case:
    """One route. ``build(world, actor, succeed)`` makes the request; ``succeed`` is True when the caller is
    meant to succeed, so state-consuming routes get a fresh object only then.

    ``cross``: "404" (a user of B with the first succeeding tenant role gets 404 on A's object), "absent"
    (B's answer succeeds and ``absent`` finds nothing of A in it), or a reason why
    another tenant has nothing to probe here. ``unchecked`` names roles that are neither asserted to succeed
    nor refused, with the reason."""

    method: str
    path: str
    ok: tuple[str, ...]
    build: Builder
    status: int = 200
    check: Checker | None = None
    cross: str = "404"
    absent: Checker | None = None
    unchecked: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def forbidden(self) -> tuple[str, ...]:
        return tuple(r for r in ALL_ROLES if r not in self.ok and r not in self.unchecked)

    @property
    def cross_role(self) -> str | None:
        return next((r for r in self.ok if r in TENANT_ROLES), None)


READERS = ("clerk", "agent", "archivist", "admin")
WRITERS = ("clerk", "admin")
THESAURUS_READERS = (*READERS, "curator")


def _record_url(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"{API}/records/{w['record_A']['id']}{suffix}"


def get(suffix_of: Callable[[World], str], **params) -> Builder:
    return lambda w, a, ok: Call("GET", suffix_of(w), params=params or None)


def has(*names: str) -> Checker:
    """The answer mentions A's objects (their ids or marks)."""

    def check(w: World, actor: Actor, response) -> None:
        for name in names:
            value = w[name]["id"] if isinstance(w.objects.get(name), dict) else name
            assert str(value) in response.text, f"{name} ({value}) missing from the answer to {actor.label}"

    return check


def lacks(*names: str) -> Checker:
    """The answer mentions none of A's objects (ids, marks, or strings computed from the world)."""

    def check(w: World, actor: Actor, response) -> None:
        for name in names:
            value = w[name]["id"] if isinstance(w.objects.get(name), dict) else name
            assert str(value) not in response.text, f"{actor.label} sees {name} ({value}) of tenant A"

    return check


def assert_search_empty(w: World, actor: Actor, response) -> None:
    """Nothing of A: no hit, a zero total, and no facet counting A's record either."""
    answer = response.json()
    assert answer["total"] == 0 and answer["hits"] == [], f"{actor.label} finds A's mail: {answer}"
    counts = [bucket.get("count", 0) for buckets in answer.get("facets", {}).values() for bucket in buckets]
    assert not any(counts), f"{actor.label} sees facets counting A's mail: {answer['facets']}"
    lacks("record_A", MARK_A)(w, actor, response)


def _lacks_dead_job(w: World, actor: Actor, response) -> None:
    assert w["dead_job_A"] not in [j["id"] for j in response.json()["jobs"]], f"{actor.label} sees A's dead job"


def _lacks_record(w: World, actor: Actor, response) -> None:
    """References are per tenant (B has its own E/…/00001): look for A's mark and id instead."""
    assert MARK_A not in response.text and w["record_A"]["id"] not in response.text, response.text[:500]


def _multipart_record(w: World, a: Actor, ok: bool) -> Call:
    body = f"Courrier {uuid.uuid4().hex} de la matrice.\n".encode()
    data = {"subject": "Nouvelle lettre", "sender_id": w["contact_A"]["id"]}
    return Call(
        "POST",
        f"{API}/records",
        data=data,
        files={"file": (f"{uuid.uuid4().hex[:8]}.txt", io.BytesIO(body), "text/plain")},
    )


def _fresh_or_standing(make: str, standing: str = "record_A") -> Callable[[World, bool], dict]:
    return lambda w, ok: getattr(w, make)() if ok else w[standing]


def _record_post(suffix: str, body: dict, make: str = "fresh_record", standing: str = "record_A") -> Builder:
    pick = _fresh_or_standing(make, standing)
    return lambda w, a, ok: Call("POST", f"{API}/records/{pick(w, ok)['id']}{suffix}", json=body)


def _concept_ref(w: World, a: Actor) -> str:
    return REGION + "education" if a.tenant == "federation" else EXT_A_CONCEPT


def _concept_ok(w: World, a: Actor, response) -> None:
    assert response.json()["uri"] == _concept_ref(w, a)


def _scheme_ref(w: World, a: Actor) -> str:
    return REGION if a.tenant == "federation" else EXT_A


def _seen_scheme(w: World, a: Actor, response) -> None:
    assert _scheme_ref(w, a) in response.text


def _autocomplete(w: World, a: Actor, ok: bool) -> Call:
    q = "educ" if a.tenant == "federation" else EXT_A_LABEL[:8]
    return Call("GET", f"{API}/thesaurus/autocomplete", params={"q": q})


def _autocomplete_ok(w: World, a: Actor, response) -> None:
    uri = REGION + "education" if a.tenant == "federation" else EXT_A_CONCEPT
    assert uri in [c["uri"] for c in response.json()]


def _thesaurus_import(w: World, a: Actor, ok: bool) -> Call:
    base = f"https://thesaurus.region.example/matrix-{uuid.uuid4().hex[:8]}/"
    if a.tenant != "federation":
        base = f"https://matrix-a.example/extra-{uuid.uuid4().hex[:8]}/"
    ttl = (
        PREFIXES + f'@base <{base}> .\n<> a skos:ConceptScheme ; skos:prefLabel "Matrice"@fr .\n'
        f'<c> a skos:Concept ; skos:inScheme <> ; skos:prefLabel "Concept {uuid.uuid4().hex[:6]}"@fr .\n'
    )
    return Call("POST", f"{API}/thesaurus/import", files={"file": ("m.ttl", ttl.encode(), "text/turtle")})


def _proposal_decision(verb: str) -> Builder:
    return lambda w, a, ok: Call(
        "POST",
        f"{API}/thesaurus/proposals/{(w.fresh_proposal() if ok else w['proposal_A'])['id']}/{verb}",
        json={"comment": "vu"},
    )


def _status_is(expected: str) -> Checker:
    def check(w: World, actor: Actor, response) -> None:
        assert response.json()["status"] == expected, response.text

    return check


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _register_export(w: World, a: Actor, ok: bool) -> Call:
    return Call("GET", f"{API}/registers/incoming/export", params={"from": _today(), "to": _today()})


def _sheet_reads(response, value: str) -> None:
    """The PDF's barcode reads ``value`` (zbar, as when the sheet comes back through the scanner)."""
    import pypdfium2 as pdfium

    from ingest.barcodes import decode_image

    assert response.headers["content-type"] == "application/pdf"
    page = pdfium.PdfDocument(response.content)[0]
    assert value in decode_image(page.render(scale=100 / 72, grayscale=True).to_pil()), value


def _register_export_ok(w: World, a: Actor, response) -> None:
    assert f"Demande {MARK_A}" in response.text and w["record_A"]["reference"] in response.text, response.text[:500]


def _contact_url(w: World, ok: bool, fresh: bool) -> str:
    contact = w.fresh_contact() if (ok and fresh) else w["contact_A"]
    return f"{API}/contacts/{contact['id']}"


def _member_delete(w: World, a: Actor, ok: bool) -> Call:
    if ok:
        service = w.fresh_service()
        clerk = w.actor("A", "clerk").user.email
        _ok(
            w.client.post(
                f"{API}/services/{service['id']}/members", json={"user": clerk}, headers=w.actor("A", "admin").headers
            ),
            201,
        )
        return Call("DELETE", f"{API}/services/{service['id']}/members/{clerk}")
    return Call("DELETE", f"{API}/services/{w['service_A']['id']}/members/{w.actor('A', 'agent').user.email}")


def _job_retry(w: World, a: Actor, ok: bool) -> Call:
    return Call("POST", f"{API}/jobs/{w.fresh_dead_job() if ok else w['dead_job_A']}/retry")


def _transfer_import(w: World, a: Actor, ok: bool) -> Call:
    return Call("POST", f"{API}/transfers/import", files={"file": ("bag.zip", w["bag_A"], "application/zip")})


def _imported(w: World, a: Actor, response) -> None:
    report = response.json()
    assert len(report["imported"]) + len(report["skipped"]) == 1 and not report["failed"], report


def _transfer_ok(w: World, a: Actor, response) -> None:
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["x-transfer-records"] == "1"


CASES: list[Case] = [
    # ---------------------------------------------------------------------------------------- records
    Case(
        "POST",
        f"{API}/records",
        WRITERS,
        _multipart_record,
        status=201,
        check=has("contact_A"),
        cross="n/a: registers in the caller's own tenant (a foreign sender id is refused like an unknown one: "
        "test_foreign_ids_in_a_body_are_unknown)",
    ),
    Case("GET", f"{API}/records/{{record_id}}", READERS, get(_record_url()), check=has("record_A", MARK_A)),
    Case(
        "PATCH",
        f"{API}/records/{{record_id}}",
        WRITERS,
        lambda w, a, ok: Call("PATCH", _record_url()(w), json={"description": "Modifié par la matrice"}),
        check=has("record_A"),
    ),
    Case(
        "GET",
        f"{API}/records/{{record_id}}/files/{{file_id}}",
        READERS,
        lambda w, a, ok: Call("GET", f"{_record_url()(w)}/files/{w['record_A']['files'][0]['id']}"),
        check=lambda w, a, r: MARK_A.encode() in r.content,
    ),
    Case(
        "GET",
        f"{API}/records/{{record_id}}/metadata.xml",
        READERS,
        get(_record_url("/metadata.xml")),
        check=has(MARK_A),
    ),
    Case("GET", f"{API}/records/{{record_id}}/metadata", READERS, get(_record_url("/metadata")), check=has("record_A")),
    Case(
        "GET",
        f"{API}/records/{{record_id}}/metadata/diff",
        READERS,
        lambda w, a, ok: Call("GET", _record_url("/metadata/diff")(w), params={"from": 1}),
    ),
    Case("GET", f"{API}/records/{{record_id}}/suggestions", READERS, get(_record_url("/suggestions"))),
    Case(
        "PUT",
        f"{API}/records/{{record_id}}/classification",
        WRITERS,
        lambda w, a, ok: Call(
            "PUT", _record_url("/classification")(w), json={"classification": None, "keywords": [REGION + "voirie"]}
        ),
        check=has("record_A"),
    ),
    Case(
        "GET",
        f"{API}/search",
        READERS,
        get(lambda w: f"{API}/search", q=MARK_A),
        check=lambda w, a, r: w["record_A"]["id"] in [h["id"] for h in r.json()["hits"]],
        cross="absent",
        absent=assert_search_empty,
    ),
    # --------------------------------------------------------------------------------------- workflow
    Case(
        "POST",
        f"{API}/records/{{record_id}}/transitions",
        ("clerk", "agent", "admin"),
        _record_post("/transitions", {"to": "proposed_to_manager", "comment": "matrice"}),
        check=_status_is("proposed_to_manager"),
    ),
    Case(
        "GET",
        f"{API}/records/{{record_id}}/transitions",
        READERS,
        get(_record_url("/transitions")),
        check=_status_is("created"),
    ),
    Case(
        "POST",
        f"{API}/records/{{record_id}}/notes",
        ("clerk", "agent", "admin"),
        lambda w, a, ok: Call("POST", _record_url("/notes")(w), json={"text": f"note {MARK_A}"}),
        status=201,
        check=has(MARK_A),
    ),
    Case("GET", f"{API}/records/{{record_id}}/notes", READERS, get(_record_url("/notes"))),
    Case(
        "POST",
        f"{API}/records/{{record_id}}/cancel",
        WRITERS,
        _record_post("/cancel", {"reason": "doublon"}),
        check=lambda w, a, r: r.json()["cancelled"] is True,
    ),
    Case(
        "POST",
        f"{API}/records/{{record_id}}/uncancel",
        ("admin",),
        _record_post("/uncancel", {"reason": "erreur"}, make="fresh_cancelled_record"),
        check=lambda w, a, r: r.json()["cancelled"] is False,
    ),
    Case(
        "GET",
        f"{API}/mail-types",
        READERS,
        get(lambda w: f"{API}/mail-types"),
        check=has(f"type-{MARK_A}"),
        cross="absent",
        absent=lacks(f"type-{MARK_A}"),
    ),
    Case(
        "POST",
        f"{API}/mail-types",
        ("admin",),
        lambda w, a, ok: Call(
            "POST", f"{API}/mail-types", json={"code": f"t-{uuid.uuid4().hex[:8]}", "label": "Matrice"}
        ),
        status=201,
        cross="n/a: creates in the caller's own tenant; codes are per tenant",
    ),
    Case(
        "PATCH",
        f"{API}/mail-types/{{code}}",
        ("admin",),
        lambda w, a, ok: Call("PATCH", f"{API}/mail-types/type-{MARK_A}", json={"label": f"Type {MARK_A}"}),
        check=has(f"type-{MARK_A}"),
    ),
    Case(
        "GET",
        f"{API}/services",
        READERS,
        get(lambda w: f"{API}/services"),
        check=has("service_A"),
        cross="absent",
        absent=lacks("service_A"),
    ),
    Case(
        "POST",
        f"{API}/services",
        ("admin",),
        lambda w, a, ok: Call("POST", f"{API}/services", json={"code": f"S{uuid.uuid4().hex[:8]}", "name": "M"}),
        status=201,
        cross="n/a: creates in the caller's own tenant; codes are per tenant",
    ),
    Case(
        "GET",
        f"{API}/services/{{service}}/members",
        READERS,
        get(lambda w: f"{API}/services/{w['service_A']['id']}/members"),
        check=lambda w, a, r: w.actor("A", "agent").user.email in r.text,
    ),
    Case(
        "POST",
        f"{API}/services/{{service}}/members",
        ("admin",),
        lambda w, a, ok: Call(
            "POST",
            f"{API}/services/{w['service_A']['id']}/members",
            json={"user": w.actor(a.tenant if a.tenant != "federation" else "A", "clerk").user.email},
        ),
        status=201,
        check=has("service_A"),
    ),
    Case(
        "DELETE",
        f"{API}/services/{{service}}/members/{{user}}",
        ("admin",),
        _member_delete,
        check=lambda w, a, r: r.json() == {"removed": True},
    ),
    Case(
        "GET",
        f"{API}/register-settings",
        READERS,
        get(lambda w: f"{API}/register-settings"),
        check=has("MTXA-"),
        cross="absent",
        absent=lacks("MTXA-"),
    ),
    Case(
        "PUT",
        f"{API}/register-settings/{{register}}",
        ("admin",),
        lambda w, a, ok: Call("PUT", f"{API}/register-settings/internal", json={"format": "I/{year}/{number:05d}"}),
        cross="n/a: sets the caller's own tenant's format; the register is a name, not an id",
    ),
    Case(
        "GET",
        f"{API}/registers/{{register}}/export",
        ("clerk", "archivist", "admin"),
        _register_export,
        check=_register_export_ok,
        cross="absent",
        absent=_lacks_record,
    ),
    # -------------------------------------------------------------------- barcode sheets (docs/intake.md)
    Case(
        "GET",
        f"{API}/barcodes/separator.pdf",
        WRITERS,
        get(lambda w: f"{API}/barcodes/separator.pdf"),
        check=lambda w, a, r: _sheet_reads(r, "DMS-SEPARATOR"),
        cross="n/a: the separator sheet is the same for every commune and names nothing of theirs",
    ),
    Case(
        "GET",
        f"{API}/records/{{record_id}}/scan-sheet.pdf",
        WRITERS,
        get(_record_url("/scan-sheet.pdf")),
        check=lambda w, a, r: _sheet_reads(r, f"DMS-SCAN:{w['record_A']['id']}"),
    ),
    # --------------------------------------------------------------------------------------- contacts
    Case(
        "POST",
        f"{API}/contacts",
        ("clerk", "agent", "admin"),
        lambda w, a, ok: Call(
            "POST", f"{API}/contacts", json={"kind": "person", "first_name": "Anne", "last_name": f"Matrice{MARK_A}"}
        ),
        status=201,
        check=has(MARK_A),
        cross="n/a: creates in the caller's own tenant (a foreign organisation id is refused like an unknown "
        "one: test_foreign_ids_in_a_body_are_unknown)",
    ),
    Case(
        "GET",
        f"{API}/contacts",
        READERS,
        get(lambda w: f"{API}/contacts", q="Org"),
        check=has("contact_A"),
        cross="absent",
        absent=lacks("contact_A", MARK_A),
    ),
    Case(
        "GET",
        f"{API}/contacts/{{contact_id}}",
        READERS,
        lambda w, a, ok: Call("GET", _contact_url(w, ok, fresh=False)),
        check=has("contact_A"),
    ),
    Case(
        "PATCH",
        f"{API}/contacts/{{contact_id}}",
        ("clerk", "agent", "admin"),
        lambda w, a, ok: Call("PATCH", _contact_url(w, ok, fresh=True), json={"city": "Namur"}),
        check=lambda w, a, r: r.json()["address"]["city"] == "Namur",
    ),
    Case(
        "DELETE",
        f"{API}/contacts/{{contact_id}}",
        ("clerk", "agent", "admin"),
        lambda w, a, ok: Call("DELETE", _contact_url(w, ok, fresh=True)),
        check=lambda w, a, r: r.json()["active"] is False,
    ),
    # -------------------------------------------------------------------------------------- transfers
    Case(
        "POST",
        f"{API}/transfers",
        ("archivist", "admin"),
        lambda w, a, ok: Call("POST", f"{API}/transfers", json={"ids": [w["record_A"]["id"]]}),
        check=_transfer_ok,
    ),
    Case(
        "POST",
        f"{API}/transfers/import",
        ("archivist", "admin"),
        _transfer_import,
        check=_imported,
        cross="n/a: imports into the caller's own tenant (a bag carries no ids of the importer)",
    ),
    # ------------------------------------------------------------------------------------- thesaurus
    Case(
        "GET",
        f"{API}/thesaurus/schemes",
        THESAURUS_READERS,
        get(lambda w: f"{API}/thesaurus/schemes"),
        check=_seen_scheme,
        cross="absent",
        absent=lacks(EXT_A),
    ),
    Case(
        "GET",
        f"{API}/thesaurus/autocomplete",
        THESAURUS_READERS,
        _autocomplete,
        check=_autocomplete_ok,
        cross="absent",
        absent=lacks(EXT_A_CONCEPT),
    ),
    Case(
        "GET",
        f"{API}/thesaurus/concepts/{{ref}}",
        THESAURUS_READERS,
        lambda w, a, ok: Call("GET", f"{API}/thesaurus/concepts/{_concept_ref(w, a)}"),
        check=_concept_ok,
    ),
    Case(
        "GET",
        f"{API}/thesaurus/export",
        THESAURUS_READERS,
        lambda w, a, ok: Call("GET", f"{API}/thesaurus/export", params={"scheme": _scheme_ref(w, a)}),
        check=_seen_scheme,
    ),
    Case(
        "POST",
        f"{API}/thesaurus/import",
        ("curator", "admin"),
        _thesaurus_import,
        status=201,
        cross="n/a: a commune imports its own extension (tenant scope), the curator the regional schemes",
    ),
    Case(
        "POST",
        f"{API}/thesaurus/proposals",
        ("admin",),
        lambda w, a, ok: Call(
            "POST",
            f"{API}/thesaurus/proposals",
            json={"kind": "new", "scheme": REGION, "pref_labels": {"fr": f"Idée {uuid.uuid4().hex[:8]}"}},
        ),
        status=201,
        cross="n/a: a proposal is made in the caller's own tenant",
    ),
    Case(
        "GET",
        f"{API}/thesaurus/proposals",
        ("admin", "curator"),
        get(lambda w: f"{API}/thesaurus/proposals"),
        check=has("proposal_A"),
        cross="absent",
        absent=lacks("proposal_A"),
    ),
    Case(
        "POST",
        f"{API}/thesaurus/proposals/{{proposal_id}}/accept",
        ("curator",),
        _proposal_decision("accept"),
        check=_status_is("accepted"),
        cross="n/a: federation-wide object decided by the regional curator only (any tenant user: 403)",
    ),
    Case(
        "POST",
        f"{API}/thesaurus/proposals/{{proposal_id}}/reject",
        ("curator",),
        _proposal_decision("reject"),
        check=_status_is("rejected"),
        cross="n/a: federation-wide object decided by the regional curator only (any tenant user: 403)",
    ),
    # ------------------------------------------------------------------------------------------- jobs
    Case(
        "GET",
        f"{API}/jobs",
        ("admin",),
        get(lambda w: f"{API}/jobs", status="dead"),
        check=lambda w, a, r: w["dead_job_A"] in [j["id"] for j in r.json()["jobs"]],
        cross="absent",
        absent=_lacks_dead_job,
    ),
    Case("POST", f"{API}/jobs/{{job_id}}/retry", ("admin",), _job_retry, check=_status_is("queued")),
]


# ------------------------------------------------------- issue 11: tokens, the access log, subject access, types


def _fresh_token_id(w: World, email: str) -> str:
    from dms import tokens

    with unit_of_work(w.runtime.backends.engine) as session:
        return tokens.issue(session, email, label="matrice").row.id


def _token_revoke(w: World, a: Actor, ok: bool) -> Call:
    """The caller's own fresh token when it must succeed; A's clerk's otherwise (B's user: 404)."""
    owner = a.user.email if ok else w.actor("A", "clerk").user.email
    return Call("DELETE", f"{API}/tokens/{_fresh_token_id(w, owner)}")


def _subject_access_ok(w: World, a: Actor, response) -> None:
    import zipfile

    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert w["record_A"]["id"] in archive.read("records.csv").decode("utf-8-sig")


CASES += [
    Case(
        "GET",
        f"{API}/tokens",
        ALL_ROLES,
        get(lambda w: f"{API}/tokens"),
        check=lambda w, a, r: r.json()["tokens"] and "hash" not in r.text,
        cross="n/a: lists the caller's own tokens (an admin asking for another tenant's user gets 404: "
        "tests/test_tokens.py)",
    ),
    Case(
        "POST",
        f"{API}/tokens",
        ALL_ROLES,
        lambda w, a, ok: Call("POST", f"{API}/tokens", json={"label": "matrice", "expires_in_days": 7}),
        status=201,
        check=lambda w, a, r: r.json()["token"].startswith("dms_") and r.json()["state"] == "active",
        cross="n/a: makes a token for the caller only",
    ),
    Case(
        "DELETE",
        f"{API}/tokens/{{token_id}}",
        ALL_ROLES,
        _token_revoke,
        check=lambda w, a, r: r.json()["state"] == "revoked",
    ),
    Case(
        "GET",
        f"{API}/records/{{record_id}}/access-log",
        ("admin",),
        get(_record_url("/access-log")),
        check=has("record_A"),
    ),
    Case(
        "GET",
        f"{API}/contacts/{{contact_id}}/subject-access",
        ("admin",),
        lambda w, a, ok: Call("GET", f"{_contact_url(w, ok, fresh=False)}/subject-access"),
        check=_subject_access_ok,
    ),
    Case(
        "GET",
        f"{API}/register-settings/mime-types",
        READERS,
        get(lambda w: f"{API}/register-settings/mime-types"),
        check=lambda w, a, r: set(r.json()["registers"]) == {"incoming", "outgoing", "internal"},
        cross="n/a: answers the caller's own tenant's lists; no id in the path",
    ),
    Case(
        "PUT",
        f"{API}/register-settings/{{register}}/mime-types",
        ("admin",),
        lambda w, a, ok: Call("PUT", f"{API}/register-settings/internal/mime-types",
                              json={"mime_types": ["application/pdf", "text/plain"]}),
        check=lambda w, a, r: r.json()["mime_types"] == ["application/pdf", "text/plain"],
        cross="n/a: sets the caller's own tenant's list; the register is a name, not an id",
    ),
]

# retention, holds and the audit export (issue 7): their cases and lazily built objects live beside them
from tests.retention_matrix import CASES as _RETENTION_CASES  # noqa: E402

CASES += _RETENTION_CASES


# ------------------------------------------------------------------------ issue 8: the shared library
from tests.route_matrix_library import LIBRARY_CASES, build_library  # noqa: E402

CASES += LIBRARY_CASES
