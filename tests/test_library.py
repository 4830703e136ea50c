"""The shared library (issue 8), through HTTP on both stacks: publish, label, adopt, render a reply with the
commune's branding over the region's, reuse shown on the item page; the refusals (publiccode.yml, an existing
version, templates that try to run code); the catalog's own search; zip import and export."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import select

from dms import accounts
from dms.db import unit_of_work
from dms.library import catalog, templates
from dms.models import LibraryItem, Record, RegisterKind
from tests.conftest import TenantUser, make_tenant
from tests.library_fixtures import PUBLICCODE, png, reply_docx, reply_odt
from tests.registry_helpers import API, contact, mail, ok

DOCX_MIME = templates.MIME["docx"]
B_BLUE = (0, 0, 255)


def librarian(runtime) -> TenantUser:
    email = f"librarian-{uuid.uuid4().hex[:8]}@region.example"
    with unit_of_work(runtime.backends.engine) as session:
        accounts.create_user(session, email, role="librarian", tenant_slug=None)
        token = accounts.create_token(session, email)
    return TenantUser("", "", email, token)


def publish(client, admin: TenantUser, data: bytes, *, kind: str = "letter_template", version: str = "1.0.0",
            filename: str = "reponse.docx", mime: str = DOCX_MIME, **fields):
    fields.setdefault("title", f"Réponse type {uuid.uuid4().hex[:6]}")
    return client.post(f"{API}/library/items", headers=admin.headers, data={"kind": kind, "version": version, **fields},
                       files={"file": (filename, data, mime)})


def pdf_of(client, user: TenantUser, record: dict) -> PdfReader:
    pdf = next(f for f in record["files"] if f["mime"] == "application/pdf")
    response = client.get(f"{API}/records/{record['id']}/files/{pdf['id']}", headers=user.headers)
    assert response.status_code == 200, response.text
    return PdfReader(io.BytesIO(response.content))


def test_publish_label_adopt_render_and_reuse(client, runtime, tmp_path: Path):
    admin_a = make_tenant(runtime, role="admin")
    admin_b = make_tenant(runtime, role="admin")
    clerk_b = make_tenant(runtime, role="clerk", slug=admin_b.slug)
    region = librarian(runtime)

    # the region's base branding; commune B overrides its name, address and logo, and inherits the footer
    ok(client.put(f"{API}/library/branding", headers=region.headers,
                  json={"footer": "Avec le soutien de la Région wallonne", "name": "Région wallonne",
                        "signatories": [{"name": "Anne Régionale", "title": "Directrice"}]}))
    ok(client.put(f"{API}/library/branding/logo", headers=region.headers,
                  files={"file": ("region.png", png((0, 200, 0)), "image/png")}))
    ok(client.put(f"{API}/library/branding", headers=admin_b.headers,
                  json={"name": "Commune de Beta", "street": "Place du Marché 12", "postal_code": "5000",
                        "city": "Betaville", "signatories": [{"name": "Jean Bourgmestre", "title": "Bourgmestre"}]}))
    brand = ok(client.put(f"{API}/library/branding/logo", headers=admin_b.headers,
                          files={"file": ("b.png", png(B_BLUE), "image/png")}))
    assert brand["fields"]["name"] == "Commune de Beta" and brand["logo"] == "commune"
    assert "footer" in brand["inherited"] and brand["fields"]["footer"] == "Avec le soutien de la Région wallonne"

    # A publishes a DOCX reply template
    item = ok(publish(client, admin_a, reply_docx(), slug=f"reponse-{uuid.uuid4().hex[:6]}",
                      description="Accusé de réception d'une demande", changelog="Première version"), 201)
    assert item["publisher"]["slug"] == admin_a.slug and item["licence"] == "EUPL-1.2"
    [v1] = item["versions"]
    assert v1["version"] == "1.0.0" and v1["labelled"] is False and v1["template_format"] == "docx"
    assert "record.reference" in v1["placeholders"] and len(v1["sha256"]) == 64
    base = f"{API}/library/items/{item['id']}"

    # the same version again is refused, whatever its bytes
    again = client.post(f"{base}/versions", headers=admin_a.headers, data={"version": "1.0.0"},
                        files={"file": ("r.docx", reply_docx(marker="autre"), DOCX_MIME)})
    assert again.status_code == 409, again.text
    # B may not add versions to A's item
    assert client.post(f"{base}/versions", headers=admin_b.headers, data={"version": "9.0.0"},
                       files={"file": ("r.docx", reply_docx(), DOCX_MIME)}).status_code == 403

    # the region labels 1.0.0: submitted -> in_review -> labelled
    assert ok(client.post(f"{base}/versions/1.0.0/submit", headers=admin_a.headers, json={}))["label"] == "submitted"
    queue = ok(client.get(f"{API}/library/reviews", headers=region.headers))["reviews"]
    assert item["id"] in [entry["item"]["id"] for entry in queue]
    refused = client.post(f"{base}/versions/1.0.0/review", headers=region.headers, json={"to": "labelled"})
    assert refused.status_code == 409, refused.text  # not in review yet
    ok(client.post(f"{base}/versions/1.0.0/review", headers=region.headers, json={"to": "in_review"}))
    labelled = ok(client.post(f"{base}/versions/1.0.0/review", headers=region.headers,
                              json={"to": "labelled", "comment": "Conforme à la charte régionale"}))
    assert labelled["labelled"] is True
    assert client.post(f"{base}/versions/1.0.0/review", headers=admin_a.headers,
                       json={"to": "labelled"}).status_code == 403

    # B adopts it (the newest labelled version by default)
    adopted = ok(client.post(f"{API}/library/adoptions", headers=admin_b.headers, json={"item": item["slug"]}), 201)
    assert adopted["version"]["version"] == "1.0.0" and adopted["version"]["labelled"] is True
    assert adopted["update_available"] is False

    # one of B's incoming letters, from a contact
    sender = contact(client, clerk_b, name="Service public de Wallonie", street="Place de la Wallonie 1",
                     postal_code="5100", city="Namur")
    incoming = mail(client, clerk_b, tmp_path, sender_id=sender["id"], subject="Demande de permis d'urbanisme")
    assert incoming["register"] == "incoming"

    answer = ok(client.post(f"{API}/library/adoptions/{adopted['id']}/render", headers=clerk_b.headers,
                            json={"record_id": incoming["id"]}), 201)
    out = answer["record"]
    assert out["register"] == "outgoing" and out["reply_to_id"] == incoming["id"]
    assert out["recipient_ids"] == [sender["id"]]
    assert answer["template"]["version"]["labelled"] is True
    assert [f["mime"] for f in out["files"]] == ["application/pdf", DOCX_MIME]

    text = "\n".join(page.extract_text() for page in pdf_of(client, clerk_b, out).pages)
    flat = " ".join(text.split())
    for expected in ("Commune de Beta", "Place du Marché 12", "5000 Betaville", incoming["reference"],
                     "Service public de Wallonie", "Jean Bourgmestre", "Avec le soutien de la Région wallonne"):
        assert expected in flat, f"{expected!r} missing from the PDF: {flat}"
    assert "{{" not in text and "Région wallonne," not in flat  # B's own name, not the region's
    images = [image.image.convert("RGB") for page in pdf_of(client, clerk_b, out).pages for image in page.images]
    assert any(image.getpixel((image.width // 2, image.height // 2)) == B_BLUE for image in images), "B's logo"

    # the outgoing record is in B's register, linked to the incoming one, with its number and metadata
    stored = ok(client.get(f"{API}/records/{out['id']}", headers=clerk_b.headers))
    assert stored["reference"] == out["reference"] and stored["reply_to_id"] == incoming["id"]
    with unit_of_work(runtime.backends.engine, write=False) as session:
        row = session.get(Record, out["id"])
        assert row.tenant_id == admin_b.tenant_id and row.register_code == RegisterKind.outgoing.value
    meta = client.get(f"{API}/records/{out['id']}/metadata.xml", headers=clerk_b.headers)
    assert meta.status_code == 200 and out["reference"] in meta.text
    assert client.get(f"{API}/records/{out['id']}", headers=admin_a.headers).status_code == 404

    # A's item page lists B as a user of 1.0.0
    page = ok(client.get(base, headers=admin_a.headers))
    [version] = page["versions"]
    assert [u["slug"] for u in version["used_by"]] == [admin_b.slug]
    assert [(u["slug"], u["version"]) for u in page["used_by"]] == [(admin_b.slug, "1.0.0")]
    assert [r["to"] for r in version["reviews"]] == ["submitted", "in_review", "labelled"]

    # a newer version, once labelled, is offered to B, who updates in one step
    ok(client.post(f"{base}/versions", headers=admin_a.headers, data={"version": "1.1.0", "changelog": "Signature"},
                   files={"file": ("r.docx", reply_docx(marker="v1.1"), DOCX_MIME)}), 201)
    assert ok(client.get(f"{API}/library/adoptions", headers=admin_b.headers))["adoptions"][0]["update_available"] \
        is False  # 1.1.0 is not labelled yet
    ok(client.post(f"{base}/versions/1.1.0/submit", headers=admin_a.headers, json={}))
    ok(client.post(f"{base}/versions/1.1.0/review", headers=region.headers, json={"to": "in_review"}))
    ok(client.post(f"{base}/versions/1.1.0/review", headers=region.headers, json={"to": "labelled"}))
    [listed] = ok(client.get(f"{API}/library/adoptions", headers=clerk_b.headers))["adoptions"]
    assert listed["update_available"] is True and listed["newer_labelled_version"]["version"] == "1.1.0"
    updated = ok(client.post(f"{API}/library/adoptions/{adopted['id']}/update", headers=admin_b.headers, json={}))
    assert updated["version"]["version"] == "1.1.0" and updated["update_available"] is False
    page = ok(client.get(base, headers=admin_a.headers))
    assert [(u["slug"], u["version"]) for u in page["used_by"]] == [(admin_b.slug, "1.1.0")]

    # downloads are counted; the catalog search finds the item with its facets, record search does not
    download = client.get(f"{base}/versions/1.0.0/download", headers=admin_b.headers)
    assert download.status_code == 200 and download.headers["x-library-label"] == "labelled"
    assert ok(client.get(base, headers=admin_a.headers))["versions"][1]["downloads"] == 1
    found = ok(client.get(f"{API}/library/items", headers=clerk_b.headers,
                          params={"q": "accusé réception", "filter": "label:labelled"}))
    assert item["id"] in [hit["id"] for hit in found["hits"]]
    assert {"value": "letter_template", "count": found["total"]} in found["facets"]["kind"]
    assert admin_a.slug in [b["value"] for b in found["facets"]["publisher"]]
    records_hits = ok(client.get(f"{API}/search", headers=clerk_b.headers, params={"q": "accusé réception"}))
    assert item["id"] not in [hit["id"] for hit in records_hits["hits"]]
    catalog_hits = ok(client.get(f"{API}/library/items", headers=clerk_b.headers, params={"q": "permis"}))
    assert incoming["id"] not in [hit["id"] for hit in catalog_hits["hits"]]


def test_publiccode_and_licence_are_checked(client, runtime):
    admin = make_tenant(runtime, role="admin")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("courrier.xsl", "<xsl:stylesheet xmlns:xsl='http://www.w3.org/1999/XSL/Transform'/>")
        archive.writestr("publiccode.yml", PUBLICCODE.replace("legal:\n  license: EUPL-1.2\n", "legal: {}\n"))
    response = publish(client, admin, package.getvalue(), kind="code", filename="courrier.zip",
                       mime="application/zip")
    assert response.status_code == 400, response.text
    assert "legal.license" in response.json()["detail"]

    no_licence = client.post(f"{API}/library/items", headers=admin.headers,
                             data={"kind": "code", "version": "1.0.0", "title": "Scripts"},
                             files={"file": ("s.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip"),
                                    "publiccode": ("publiccode.yml", PUBLICCODE.replace("  license: EUPL-1.2\n", ""),
                                                   "text/yaml")})
    assert no_licence.status_code == 400 and "legal.license" in no_licence.json()["detail"]

    good = ok(client.post(f"{API}/library/items", headers=admin.headers,
                          data={"kind": "code", "version": "2.0.0", "title": "Scripts XSLT"},
                          files={"file": ("s.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip"),
                                 "publiccode": ("publiccode.yml", PUBLICCODE, "text/yaml")}), 201)
    assert good["versions"][0]["publiccode"].startswith("publiccodeYmlVersion")
    assert good["licence"] == "EUPL-1.2"
    bad_licence = publish(client, admin, b"<schema/>", kind="schema", filename="s.xsd", mime="application/xml",
                          licence="EUPL-9.9")
    assert bad_licence.status_code == 400 and "EUPL-9.9" in bad_licence.json()["detail"]
    spdx = ok(publish(client, admin, b"<schema/>", kind="schema", filename="s.xsd", mime="application/xml",
                      licence="mit or apache-2.0"), 201)
    assert spdx["licence"] == "MIT OR Apache-2.0"
    with unit_of_work(runtime.backends.engine, write=False) as session:
        titles = [i.title["fr"] for i in session.exec(select(LibraryItem).where(LibraryItem.publisher_id
                                                                                == admin.tenant_id))]
    assert sorted(titles) == sorted(["Scripts XSLT", spdx["title"]["fr"]])  # the refused ones left nothing


ATTACKS = [
    "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "{% macro run() %}{{ self.__init__.__globals__.__builtins__.open('MARKER', 'w') }}{% endmacro %}{{ run() }}",
    "{{ record.reference | attr('__class__') }}",
    "{% set x = namespace() %}",
    "{# touch MARKER #}",
]


@pytest.mark.parametrize("attack", ATTACKS, ids=["call", "popen", "macro", "filter", "set", "comment"])
def test_a_template_that_runs_code_is_refused_at_publication(embedded_runtime, attack, tmp_path: Path):
    from fastapi.testclient import TestClient

    from api.app import create_app

    client = TestClient(create_app(embedded_runtime.settings, embedded_runtime))
    admin = make_tenant(embedded_runtime, role="admin")
    marker = tmp_path / "MARKER"
    payload = attack.replace("MARKER", str(marker))
    for data, name in ((reply_docx(extra_paragraphs=[payload]), "x.docx"), (reply_odt(extra=payload), "x.odt")):
        response = publish(client, admin, data, filename=name)
        assert response.status_code == 400, response.text
        assert "template refused" in response.json()["detail"]
    assert not marker.exists()
    with unit_of_work(embedded_runtime.backends.engine, write=False) as session:
        assert session.exec(select(LibraryItem)).all() == []


def test_a_stored_template_that_runs_code_is_refused_at_rendering(client, runtime, tmp_path: Path):
    """Even a template that bypassed publication (an older installation, a restored database) is checked again
    at rendering: the render fails, nothing runs, no outgoing record is made."""
    admin = make_tenant(runtime, role="admin")
    clerk = make_tenant(runtime, role="clerk", slug=admin.slug)
    marker = tmp_path / "MARKER"
    evil = reply_docx(extra_paragraphs=[f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}"])
    principal = accounts.Principal(user_id=None, email="x", role=accounts.Role.admin, tenant_id=admin.tenant_id)
    new = catalog.VersionInput(version="1.0.0", filename="evil.docx")
    prepared = catalog.Prepared(data=evil, mime=DOCX_MIME, filename="evil.docx",
                                template=templates.TemplateInfo(format="docx"))
    stored = catalog.store(runtime.backends, prepared)
    with unit_of_work(runtime.backends.engine) as session:
        item, _version, _job = catalog.create_item(
            session, principal, catalog.ItemInput(kind="letter_template", title="Piège"), new, prepared, stored)
    adopted = ok(client.post(f"{API}/library/adoptions", headers=admin.headers, json={"item": item.id}), 201)
    incoming = mail(client, clerk, tmp_path)
    before = ok(client.get(f"{API}/search", headers=clerk.headers, params={"filter": "register:outgoing"}))["total"]
    response = client.post(f"{API}/library/adoptions/{adopted['id']}/render", headers=clerk.headers,
                           json={"record_id": incoming["id"]})
    assert response.status_code == 400 and "not a plain field name" in response.json()["detail"], response.text
    assert not marker.exists()
    with unit_of_work(runtime.backends.engine, write=False) as session:
        outgoing = session.exec(select(Record).where(Record.tenant_id == admin.tenant_id,
                                                     Record.register_code == RegisterKind.outgoing.value)).all()
    assert outgoing == [] and before == 0


def test_odt_template_renders_with_the_regional_logo_when_the_commune_has_none(client, runtime, tmp_path: Path):
    admin = make_tenant(runtime, role="admin")
    clerk = make_tenant(runtime, role="clerk", slug=admin.slug)
    item = ok(publish(client, admin, reply_odt(), filename="reponse.odt", mime=templates.MIME["odt"]), 201)
    assert item["versions"][0]["template_format"] == "odt"
    adopted = ok(client.post(f"{API}/library/adoptions", headers=admin.headers,
                             json={"item": item["id"], "version": "1.0.0"}), 201)
    incoming = mail(client, clerk, tmp_path)
    out = ok(client.post(f"{API}/library/adoptions/{adopted['id']}/render", headers=clerk.headers,
                         json={"record_id": incoming["id"], "subject": "Votre demande"}), 201)["record"]
    assert out["subject"] == "Votre demande"
    assert [f["mime"] for f in out["files"]] == ["application/pdf", templates.MIME["odt"]]
    as_docx = ok(client.post(f"{API}/library/adoptions/{adopted['id']}/render", headers=clerk.headers,
                             json={"record_id": incoming["id"], "format": "docx"}), 201)["record"]
    docx_file = as_docx["files"][1]
    assert docx_file["mime"] == DOCX_MIME and docx_file["name"].endswith(".docx")
    body = client.get(f"{API}/records/{as_docx['id']}/files/{docx_file['id']}", headers=clerk.headers).content
    assert zipfile.ZipFile(io.BytesIO(body)).read("word/document.xml").count(incoming["reference"].encode()) == 1
    flat = " ".join(" ".join(p.extract_text() for p in pdf_of(client, clerk, out).pages).split())
    assert incoming["reference"] in flat and admin.slug.title() in flat  # the tenant's name by default


def test_zip_export_import_and_unsafe_archives(client, runtime):
    admin_a = make_tenant(runtime, role="admin")
    admin_b = make_tenant(runtime, role="admin")
    item = ok(publish(client, admin_a, reply_docx(), maintainers=["greffe@a.example"]), 201)
    ok(client.post(f"{API}/library/items/{item['id']}/versions", headers=admin_a.headers, data={"version": "1.2.0"},
                   files={"file": ("r.docx", reply_docx(marker="v2"), DOCX_MIME)}), 201)
    exported = client.get(f"{API}/library/items/{item['id']}/export", headers=admin_b.headers)
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert "library-item.json" in names and len([n for n in names if n.startswith("versions/")]) == 2

    # the same slug exists here: refused; renamed, it becomes B's item with the same bytes
    files = {"file": ("item.zip", exported.content, "application/zip")}
    assert client.post(f"{API}/library/import", headers=admin_b.headers, files=files).status_code == 409
    renamed = _rewrite_metadata(exported.content, slug=f"copie-{uuid.uuid4().hex[:6]}")
    imported = ok(client.post(f"{API}/library/import", headers=admin_b.headers,
                              files={"file": ("item.zip", renamed, "application/zip")}), 201)
    assert imported["publisher"]["slug"] == admin_b.slug
    assert [v["sha256"] for v in imported["versions"]] == [v["sha256"] for v in
                                                           ok(client.get(f"{API}/library/items/{item['id']}",
                                                                         headers=admin_a.headers))["versions"]]
    assert all(v["label"] == "none" for v in imported["versions"])

    # a fork (isBasedOn) by B is listed on A's page; a reuse declaration names B as a user of 1.2.0
    fork = ok(publish(client, admin_b, reply_docx(marker="fork"), based_on=item["slug"], based_on_version="1.0.0"),
              201)
    assert fork["based_on"]["slug"] == item["slug"] and fork["based_on"]["version"] == "1.0.0"
    unknown = publish(client, admin_b, reply_docx(), based_on=item["slug"], based_on_version="7.0.0")
    assert unknown.status_code == 400 and "based_on" in unknown.json()["detail"], unknown.text
    ok(client.post(f"{API}/library/items/{item['id']}/reuse", headers=admin_b.headers,
                   json={"version": "1.2.0", "since": "2026-01-15"}))
    page = ok(client.get(f"{API}/library/items/{item['slug']}", headers=admin_a.headers))
    assert [f["id"] for f in page["forks"]] == [fork["id"]]
    assert [(u["slug"], u["version"], u["since"]) for u in page["used_by"]] == [(admin_b.slug, "1.2.0", "2026-01-15")]

    for name, archive, words in [
        ("zip-slip", _zip({"../../evil.txt": b"x", "library-item.json": b"{}"}), "escapes"),
        ("absolute", _zip({"/etc/passwd": b"x"}), "escapes"),
        ("bomb", _zip({"library-item.json": b"{}", "versions/1.0.0/bomb.docx": b"\0" * (20 * 1024 * 1024)}),
         "suspiciously"),
        ("tampered", _tamper(renamed), "SHA-256"),
        ("not a zip", b"hello", "not a zip"),
    ]:
        response = client.post(f"{API}/library/import", headers=admin_b.headers,
                               files={"file": ("x.zip", archive, "application/zip")})
        assert response.status_code == 400, (name, response.text)
        assert words in response.json()["detail"], (name, response.text)
    huge = _zip({"library-item.json": b"{}", "versions/1.0.0/huge.docx": b"\0" * (51 * 1024 * 1024)})
    response = client.post(f"{API}/library/import", headers=admin_b.headers,
                           files={"file": ("x.zip", huge, "application/zip")})
    assert response.status_code == 413 and "larger than" in response.json()["detail"], response.text


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _rewrite_metadata(data: bytes, **changes) -> bytes:
    import json

    source = zipfile.ZipFile(io.BytesIO(data))
    members = {name: source.read(name) for name in source.namelist()}
    meta = json.loads(members["library-item.json"])
    meta.update(changes)
    members["library-item.json"] = json.dumps(meta).encode()
    return _zip(members)


def _tamper(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {name: source.read(name) for name in source.namelist()}
    first = next(name for name in members if name.startswith("versions/"))
    members[first] = members[first] + b"tampered"
    return _zip(members)


def test_rendering_without_libreoffice_is_a_clear_503(monkeypatch, tmp_path: Path):
    """`make run` works without LibreOffice: only rendering answers 503, naming what to install."""
    from dms.errors import BackendUnavailable
    from dms.library import rendering

    monkeypatch.delenv("DMS_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendUnavailable) as caught:
        rendering.to_pdf(reply_docx(), "docx")
    assert caught.value.status == 503 and "libreoffice-writer-nogui" in caught.value.message


def test_reindex_and_fsck_know_the_catalog(embedded_runtime):
    """The catalog is rebuilt by `dms reindex` with the records, and its blobs are referenced for `dms fsck`."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from dms.fsck import fsck
    from dms.library import INDEX_KIND, INDEX_SCOPE
    from dms.reindex import reindex
    from dms.search import SearchQuery

    client = TestClient(create_app(embedded_runtime.settings, embedded_runtime))
    admin = make_tenant(embedded_runtime, role="admin")
    item = ok(publish(client, admin, reply_docx()), 201)
    ok(client.put(f"{API}/library/branding/logo", headers=admin.headers,
                  files={"file": ("b.png", png(B_BLUE), "image/png")}))
    index = embedded_runtime.backends.search
    browse = SearchQuery(tenant_id=INDEX_SCOPE, kind=INDEX_KIND)
    assert [hit.id for hit in index.search(browse).hits] == [item["id"]]
    index.clear()
    assert index.search(browse).total == 0
    reindex(embedded_runtime.backends)
    assert [hit.id for hit in index.search(browse).hits] == [item["id"]]
    report = fsck(embedded_runtime.backends)
    assert report.healthy and report.unreferenced == [] and report.checked == 2


def test_keywords_come_from_the_regional_thesaurus(embedded_runtime):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from dms import vocabulary
    from tests.thesaurus_service_data import REGION, REGION_TTL

    with unit_of_work(embedded_runtime.backends.engine) as session:
        vocabulary.import_skos(session, REGION_TTL.encode(), filename="region.ttl", tenant_id=None)
    client = TestClient(create_app(embedded_runtime.settings, embedded_runtime))
    admin = make_tenant(embedded_runtime, role="admin")
    unknown = publish(client, admin, reply_docx(), keywords=[REGION + "nowhere"])
    assert unknown.status_code == 400 and "nowhere" in unknown.json()["detail"]
    item = ok(publish(client, admin, reply_docx(), title="Inscription scolaire", keywords=[REGION + "ecole"]), 201)
    assert item["keywords"] == [REGION + "ecole"]
    found = ok(client.get(f"{API}/library/items", headers=admin.headers, params={"q": "école"}))
    assert [hit["id"] for hit in found["hits"]] == [item["id"]]
    assert found["facets"]["keywords"] == [{"value": REGION + "ecole", "count": 1, "label": "École"}]
    filtered = ok(client.get(f"{API}/library/items", headers=admin.headers,
                             params={"filter": f"keywords:{REGION}ecole"}))
    assert filtered["total"] == 1
