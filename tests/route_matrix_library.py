"""The route matrix's cases for the shared library (issue 8), appended to tests/route_matrix_cases.CASES.

The catalog is federation-wide: every user reads every item, so routes on an item id say why another tenant has
nothing to probe; what belongs to a commune (its adoptions, its branding, its letters) is 404 or absent for B.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from tests.library_fixtures import png, reply_docx
from tests.route_matrix_cases import (
    ALL_ROLES,
    API,
    MARK_A,
    READERS,
    Actor,
    Call,
    Case,
    World,
    _ok,
    has,
    lacks,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FEDERATION_WIDE = "n/a: federation-wide catalog: every commune reads (and names) every item"


def _publish(w: World, **fields) -> dict:
    admin = w.actor("A", "admin")
    data = {"kind": "letter_template", "version": "1.0.0", "title": f"Modèle {MARK_A} {uuid.uuid4().hex[:6]}", **fields}
    return _ok(w.client.post(f"{API}/library/items", headers=admin.headers, data=data,
                             files={"file": ("m.docx", reply_docx(marker=uuid.uuid4().hex), DOCX)}), 201)


def _new_version(w: World, item: dict) -> str:
    version = f"1.{uuid.uuid4().int % 10**8}.0"
    _ok(w.client.post(f"{API}/library/items/{item['id']}/versions", headers=w.actor("A", "admin").headers,
                      data={"version": version}, files={"file": ("m.docx", reply_docx(marker=version), DOCX)}), 201)
    return version


def _submitted(w: World, item: dict) -> str:
    version = _new_version(w, item)
    _ok(w.client.post(f"{API}/library/items/{item['id']}/versions/{version}/submit",
                      headers=w.actor("A", "admin").headers, json={}))
    return version


def _label(w: World, item: dict, version: str) -> None:
    librarian = w.actor("A", "librarian")
    for to in ("in_review", "labelled"):
        _ok(w.client.post(f"{API}/library/items/{item['id']}/versions/{version}/review", headers=librarian.headers,
                          json={"to": to}))


def _fresh_outdated_adoption(w: World) -> dict:
    item = _publish(w)
    adoption = _ok(w.client.post(f"{API}/library/adoptions", headers=w.actor("A", "admin").headers,
                                 json={"item": item["id"]}), 201)
    _label(w, item, _submitted(w, item))
    return adoption


def build_library(world: World) -> None:
    admin = world.actor("A", "admin")
    item = _publish(world, slug=f"matrice-{uuid.uuid4().hex[:6]}")
    world.objects["lib_item_A"] = item
    world.objects["lib_adoption_A"] = _ok(world.client.post(f"{API}/library/adoptions", headers=admin.headers,
                                                            json={"item": item["id"]}), 201)
    _ok(world.client.put(f"{API}/library/branding", headers=admin.headers, json={"name": f"Commune {MARK_A}"}))
    exported = world.client.get(f"{API}/library/items/{item['id']}/export", headers=admin.headers)
    assert exported.status_code == 200, exported.text
    world.objects["lib_zip_A"] = exported.content


def _renamed_zip(w: World) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(w["lib_zip_A"]))
    members = {name: source.read(name) for name in source.namelist()}
    meta = json.loads(members["library-item.json"])
    meta["slug"] = f"import-{uuid.uuid4().hex[:8]}"
    members["library-item.json"] = json.dumps(meta).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _item_url(suffix: str = ""):
    return lambda w: f"{API}/library/items/{w['lib_item_A']['id']}{suffix}"


def _get(url_of, **params):
    return lambda w, a, ok: Call("GET", url_of(w), params=params or None)


def _version_post(verb: str, body: dict, fresh) -> object:
    def build(w: World, a: Actor, ok: bool) -> Call:
        version = fresh(w, w["lib_item_A"]) if ok else "1.0.0"
        return Call("POST", f"{API}/library/items/{w['lib_item_A']['id']}/versions/{version}/{verb}", json=body)

    return build


def _label_is(expected: str):
    return lambda w, a, r: r.json()["label"] == expected


LIBRARY_CASES: list[Case] = [
    Case("GET", f"{API}/library/items", ALL_ROLES, _get(lambda w: f"{API}/library/items", q="modele"),
         check=has("lib_item_A"), cross="n/a: federation-wide catalog: every commune searches every item"),
    Case("POST", f"{API}/library/items", ("admin",),
         lambda w, a, ok: Call("POST", f"{API}/library/items",
                               data={"kind": "letter_template", "version": "1.0.0", "title": "Modèle matrice"},
                               files={"file": ("m.docx", reply_docx(marker=uuid.uuid4().hex), DOCX)}),
         status=201, cross="n/a: publishes in the name of the caller's own commune"),
    Case("GET", f"{API}/library/items/{{item_ref}}", ALL_ROLES, _get(_item_url()), check=has("lib_item_A"),
         cross=FEDERATION_WIDE),
    Case("POST", f"{API}/library/items/{{item_ref}}/versions", ("admin",),
         lambda w, a, ok: Call("POST", _item_url("/versions")(w), data={"version": f"2.{uuid.uuid4().int % 10**8}.0"},
                               files={"file": ("m.docx", reply_docx(marker=uuid.uuid4().hex), DOCX)}),
         status=201, cross=FEDERATION_WIDE + "; only its publisher adds versions (B: 403, tests/test_library.py)"),
    Case("GET", f"{API}/library/items/{{item_ref}}/versions/{{version}}/download", ALL_ROLES,
         _get(_item_url("/versions/1.0.0/download")), check=lambda w, a, r: r.content[:2] == b"PK",
         cross=FEDERATION_WIDE),
    Case("POST", f"{API}/library/items/{{item_ref}}/versions/{{version}}/submit", ("admin",),
         _version_post("submit", {"comment": "matrice"}, _new_version), check=_label_is("submitted"),
         cross=FEDERATION_WIDE + "; only its publisher submits (B: 403)"),
    Case("POST", f"{API}/library/items/{{item_ref}}/versions/{{version}}/review", ("librarian",),
         _version_post("review", {"to": "in_review"}, _submitted), check=_label_is("in_review"),
         cross=FEDERATION_WIDE + "; reviewed by the regional librarian only"),
    Case("GET", f"{API}/library/reviews", ("librarian",), _get(lambda w: f"{API}/library/reviews"),
         cross="n/a: the region's review queue, federation-wide"),
    Case("POST", f"{API}/library/items/{{item_ref}}/reuse", ("admin",),
         lambda w, a, ok: Call("POST", _item_url("/reuse")(w), json={"version": "1.0.0"}),
         check=lambda w, a, r: r.json()["version"]["version"] == "1.0.0",
         cross=FEDERATION_WIDE + "; the declaration is the caller's own commune's"),
    Case("GET", f"{API}/library/items/{{item_ref}}/export", ALL_ROLES, _get(_item_url("/export")),
         check=lambda w, a, r: r.headers["content-type"] == "application/zip", cross=FEDERATION_WIDE),
    Case("POST", f"{API}/library/import", ("admin",),
         lambda w, a, ok: Call("POST", f"{API}/library/import",
                               files={"file": ("item.zip", _renamed_zip(w), "application/zip")}),
         status=201, cross="n/a: imports in the name of the caller's own commune"),
    Case("GET", f"{API}/library/adoptions", READERS, _get(lambda w: f"{API}/library/adoptions"),
         check=has("lib_adoption_A"), cross="absent", absent=lacks("lib_adoption_A")),
    Case("POST", f"{API}/library/adoptions", ("admin",),
         lambda w, a, ok: Call("POST", f"{API}/library/adoptions",
                               json={"item": (_publish(w) if ok else w["lib_item_A"])["id"]}),
         status=201, cross="n/a: adopts into the caller's own commune's set"),
    Case("POST", f"{API}/library/adoptions/{{adoption_id}}/update", ("admin",),
         lambda w, a, ok: Call("POST", f"{API}/library/adoptions/"
                               f"{(_fresh_outdated_adoption(w) if ok else w['lib_adoption_A'])['id']}/update", json={}),
         check=lambda w, a, r: r.json()["update_available"] is False),
    Case("POST", f"{API}/library/adoptions/{{adoption_id}}/render", ("clerk", "admin"),
         lambda w, a, ok: Call("POST", f"{API}/library/adoptions/{w['lib_adoption_A']['id']}/render",
                               json={"record_id": w["record_A"]["id"]}),
         status=201, check=lambda w, a, r: r.json()["reply_to"]["id"] == w["record_A"]["id"]),
    Case("GET", f"{API}/library/branding", ALL_ROLES, _get(lambda w: f"{API}/library/branding"),
         check=lambda w, a, r: a.tenant == "federation" or MARK_A in r.text,
         cross="absent", absent=lacks(MARK_A)),
    Case("PUT", f"{API}/library/branding", ("admin", "librarian"),
         lambda w, a, ok: Call("PUT", f"{API}/library/branding", json={"phone": "081 00 00 00"}),
         check=lambda w, a, r: r.json()["fields"]["phone"] == "081 00 00 00",
         cross="n/a: sets the caller's own commune's branding (the librarian: the regional base)"),
    Case("PUT", f"{API}/library/branding/logo", ("admin", "librarian"),
         lambda w, a, ok: Call("PUT", f"{API}/library/branding/logo",
                               files={"file": ("logo.png", png((10, 20, 30)), "image/png")}),
         check=lambda w, a, r: r.json()["logo"] is not None,
         cross="n/a: sets the caller's own commune's logo (the librarian: the regional base)"),
]
