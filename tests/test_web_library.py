"""The shared library's pages (issue 9): catalog with facets, item page (versions, labels, "used by"), the publish
form (a file upload with the CSRF token), the adopt button, the regional librarian's label review; buttons only
for who may act. Over HTTP on both stacks, and every page in a real browser with axe-core."""

from __future__ import annotations

import re
import uuid

import pytest

from api.app import create_app
from dms import accounts, passwords
from dms.db import unit_of_work
from dms.library import templates
from tests import test_web_browser as browser_tests
from tests.conftest import TenantUser
from tests.library_fixtures import reply_docx
from tests.web_browser_thread import run_in_browser
from tests.web_support import PASSWORD, signed_in, web_user

DOCX = templates.MIME["docx"]
axe_source, served, Visit = browser_tests.axe_source, browser_tests.served, browser_tests.Visit


@pytest.fixture
def app(runtime):
    return create_app(runtime.settings, runtime)


def web_librarian(runtime) -> TenantUser:
    email = f"librarian-{uuid.uuid4().hex[:8]}@region.example"
    with unit_of_work(runtime.backends.engine) as session:
        accounts.create_user(session, email, role="librarian", tenant_slug=None)
        passwords.set_password(session, email, PASSWORD)
    return TenantUser("", "", email, "")


def _publish(client, csrf: str, title: str, *, version: str = "1.0.0", data: bytes | None = None, **fields):
    form = {"csrf_token": csrf, "kind": "letter_template", "version": version, "title": title,
            "description": "Accusé de réception type pour les demandes de permis", **fields}
    return client.post("/library/publish", data=form, follow_redirects=False,
                       files={"file": ("reponse.docx", data or reply_docx(marker=uuid.uuid4().hex), DOCX)})


def test_publish_label_adopt_and_used_by_through_the_pages(runtime, app):
    marker = uuid.uuid4().hex[:8]
    title = f"Accusé de réception {marker}"
    admin_a = web_user(runtime, "admin")
    client_a, csrf_a = signed_in(app, admin_a)
    assert 'href="/library"' in client_a.get("/").text
    assert client_a.get("/library/publish").status_code == 200

    # the publish form: refused without the CSRF token (nothing published), published with it
    refused = client_a.post("/library/publish", data={"kind": "letter_template", "version": "1.0.0", "title": title},
                            files={"file": ("reponse.docx", reply_docx(), DOCX)}, follow_redirects=False)
    assert refused.status_code == 403
    assert title not in client_a.get(f"/library?q={marker}").text
    bad = _publish(client_a, csrf_a, title, data=b"not a template")
    assert bad.status_code == 400 and title not in client_a.get(f"/library?q={marker}").text
    done = _publish(client_a, csrf_a, title, slug=f"accuse-{marker}")
    assert done.status_code == 303 and done.headers["location"] == f"/library/items/accuse-{marker}?published=1"
    item_url = f"/library/items/accuse-{marker}"
    page = client_a.get(item_url).text
    assert title in page and "1.0.0" in page and "EUPL-1.2" in page and "sans label" in page
    assert "Demander le label" in page  # the publishing commune's admin
    assert _publish(client_a, csrf_a, title, slug=f"accuse-{marker}").status_code == 409  # the slug is taken
    client_a.post(f"{item_url}/versions/1.0.0/submit", data={"csrf_token": csrf_a})
    assert "soumis" in client_a.get(item_url).text

    # another commune's admin may not submit A's version; sees no button for it
    admin_b = web_user(runtime, "admin")
    client_b, csrf_b = signed_in(app, admin_b)
    assert "Demander le label" not in client_b.get(item_url).text
    assert client_b.post(f"{item_url}/versions/1.0.0/submit", data={"csrf_token": csrf_b}).status_code in (403, 409)

    # the regional librarian's review page: in review, then labelled
    region = web_librarian(runtime)
    librarian, csrf_l = signed_in(app, region)
    assert 'href="/library/reviews"' in librarian.get("/library").text
    queue = librarian.get("/library/reviews").text
    assert title in queue and f"{item_url}/versions/1.0.0/review" in queue
    assert librarian.post(f"{item_url}/versions/1.0.0/review",
                          data={"csrf_token": csrf_l, "to": "labelled"}).status_code == 409  # not in review yet
    for step in ("in_review", "labelled"):
        moved = librarian.post(f"{item_url}/versions/1.0.0/review", data={"csrf_token": csrf_l, "to": step},
                               follow_redirects=False)
        assert moved.status_code == 303, moved.text
    assert title not in librarian.get("/library/reviews").text
    assert client_a.get("/library/reviews").status_code == 403  # a commune's admin is not the librarian
    assert 'href="/library/reviews"' not in client_a.get("/library").text

    # the catalog with facets: kind and label filters find the labelled template
    found = client_b.get("/library", params={"q": marker, "filter": ["kind:letter_template", "label:labelled"]})
    assert title in found.text and "labellisé" in found.text
    assert 'value="kind:letter_template"' in found.text and 'value="label:labelled"' in found.text
    assert 'value="licence:EUPL-1.2"' in found.text
    assert title not in client_b.get("/library", params={"q": marker, "filter": "label:rejected"}).text

    # B adopts it: the button, then "adopted" and B in "used by"; a clerk sees no button and may not adopt
    page_b = client_b.get(item_url).text
    assert "Adopter ce modèle" in page_b
    assert client_b.post(f"{item_url}/adopt", data={}).status_code == 403  # no CSRF token
    adopted = client_b.post(f"{item_url}/adopt", data={"csrf_token": csrf_b}, follow_redirects=False)
    assert adopted.status_code == 303
    page_b = client_b.get(item_url).text
    assert "Votre commune a adopté ce modèle (version 1.0.0)" in page_b and "Adopter ce modèle" not in page_b
    assert admin_b.slug.title() in page_b  # "used by"
    assert client_b.post(f"{item_url}/adopt", data={"csrf_token": csrf_b}).status_code == 409
    clerk_b = web_user(runtime, "clerk", slug=admin_b.slug)
    client_c, csrf_c = signed_in(app, clerk_b)
    page_c = client_c.get(item_url).text
    assert "Adopter ce modèle" not in page_c and "Publier un élément" not in client_c.get("/library").text
    assert client_c.post(f"{item_url}/adopt", data={"csrf_token": csrf_c}).status_code == 403
    assert client_c.get("/library/publish").status_code == 403

    # the download is counted
    got = client_c.get(f"{item_url}/versions/1.0.0/download")
    assert got.status_code == 200 and got.content[:2] == b"PK"
    assert re.search(r"<dt>Téléchargements</dt><dd>1</dd>", client_c.get(item_url).text)
    assert client_c.get("/library/items/no-such-item").status_code == 404


def test_the_library_pages_pass_axe_in_a_browser(runtime, served, axe_source, tmp_path):
    marker = uuid.uuid4().hex[:8]
    admin = web_user(runtime, "admin")
    region = web_librarian(runtime)
    template = tmp_path / "accuse.docx"
    template.write_bytes(reply_docx(marker=marker))
    run_in_browser(_library_flow, runtime, served, axe_source, marker, admin, region, template)


def _library_flow(browser, runtime, served, axe_source, marker, admin, region, template):
    visit = Visit(browser, served.url, axe_source, f"library-{runtime.settings.search_url[:4]}")
    page = visit.page
    try:
        visit.login(admin)
        visit.go("/library/publish")
        visit.accessible("01-publish")
        page.get_by_label("Titre (en français)").fill(f"Réponse type {marker}")
        page.get_by_label("Description").fill("Modèle d'accusé de réception")
        page.get_by_label("Fichier (DOCX ou ODT", exact=False).set_input_files(str(template))
        page.get_by_role("button", name="Publier").click()
        page.wait_for_load_state("networkidle")
        assert "/library/items/" in page.url and "Élément publié." in page.content()
        visit.accessible("02-item")
        page.get_by_role("button", name="Demander le label").click()
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name="Adopter ce modèle").click()
        page.wait_for_load_state("networkidle")
        assert "Votre commune a adopté ce modèle" in page.content()
        visit.accessible("03-item-adopted")
        visit.go(f"/library?q={marker}")
        visit.accessible("04-catalog")
        page.get_by_label("modèle de lettre", exact=False).first.check()
        page.get_by_role("button", name="Filtrer").click()
        page.wait_for_load_state("networkidle")
        assert f"Réponse type {marker}" in page.content() and "filter=kind" in page.url
        visit.accessible("05-catalog-filtered")
    finally:
        visit.close()
    visit = Visit(browser, served.url, axe_source, f"library-{runtime.settings.search_url[:4]}-region")
    page = visit.page
    try:
        visit.login(region)
        visit.go("/library/reviews")
        assert f"Réponse type {marker}" in page.content()
        visit.accessible("06-reviews")
        row = page.locator("tr", has_text=f"Réponse type {marker}")
        row.get_by_role("button", name="Enregistrer la décision").click()
        page.wait_for_load_state("networkidle")
        row = page.locator("tr", has_text=f"Réponse type {marker}")
        row.get_by_label("Décision").select_option("labelled")
        row.get_by_role("button", name="Enregistrer la décision").click()
        page.wait_for_load_state("networkidle")
        assert f"Réponse type {marker}" not in page.content()
        visit.accessible("07-reviews-done")
    finally:
        visit.close()


def test_every_library_page_with_an_id_answers_404_for_an_unknown_item(runtime, app):
    """Catalog items are federation-wide (any commune reads any item, docs/library.md): what a commune owns, its
    adoption, is only reached through its own session; an id that names no item is missing on every page."""
    from api.web import library_pages

    admin = web_user(runtime, "admin")
    client, csrf = signed_in(app, admin)
    cases = {
        ("GET", "/library/items/{item_ref}"): "/library/items/{ref}",
        ("GET", "/library/items/{item_ref}/versions/{version}/download"):
            "/library/items/{ref}/versions/1.0.0/download",
        ("POST", "/library/items/{item_ref}/adopt"): "/library/items/{ref}/adopt",
        ("POST", "/library/items/{item_ref}/versions/{version}/submit"): "/library/items/{ref}/versions/1.0.0/submit",
        ("POST", "/library/items/{item_ref}/versions/{version}/review"): "/library/items/{ref}/versions/1.0.0/review",
    }
    routes = {(method, route.path) for route in library_pages.router.routes if "{" in route.path
              for method in route.methods if method != "HEAD"}
    assert routes == set(cases), "a library page with an id has no case here: add it"
    region = web_librarian(runtime)
    librarian, csrf_l = signed_in(app, region)
    for (method, template), url in cases.items():
        url = url.format(ref=f"no-such-{uuid.uuid4().hex[:8]}")
        who, token = (librarian, csrf_l) if template.endswith("/review") else (client, csrf)
        answer = who.get(url) if method == "GET" else who.post(url, data={"csrf_token": token, "to": "in_review"})
        assert answer.status_code == 404, (url, answer.status_code, answer.text[:200])


def test_the_library_speaks_the_users_language(runtime, app):
    admin = web_user(runtime, "admin")
    client, csrf = signed_in(app, admin)
    marker = uuid.uuid4().hex[:8]
    assert _publish(client, csrf, f"Modèle {marker}").status_code == 303
    client.cookies.set("dms_lang", "nl")
    page = client.get("/library", params={"q": marker}).text
    assert '<html lang="nl">' in page and "Gedeelde bibliotheek" in page and "briefsjabloon" in page
    client.cookies.set("dms_lang", "de")
    assert "Aufbewahrung" not in page and "Veröffentlichen" in client.get("/library/publish").text
