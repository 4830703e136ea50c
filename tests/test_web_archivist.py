"""The archivist's pages (issue 9): schedules, due list, holds, disposition batches and certificates, over HTTP
and in a real browser. An archivist runs a batch to a destruction certificate in headless Chromium (the same
Playwright + axe-core setup as tests/test_web_browser.py), every page passes axe; commune A never reaches
commune B's batch, hold or certificate by id. Screenshots under test-artifacts/web/."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlmodel import select

from api.app import create_app
from api.web import archivist_pages
from dms import disposition, holds, retention
from dms.db import unit_of_work
from dms.models import DispositionBatch, File, RecordRetention, Tombstone
from tests import test_web_browser as browser_tests
from tests.retention_data import PLAN, PLAN_TTL, register
from tests.thesaurus_service_data import regional
from tests.web_browser_thread import run_in_browser
from tests.web_support import signed_in, web_user

LATER = date.today() + timedelta(days=3 * 366)


# the browser tests' fixtures (axe-core, the app served by uvicorn) and their page helper
axe_source, served, Visit = browser_tests.axe_source, browser_tests.served, browser_tests.Visit


@pytest.fixture
def app(runtime):
    return create_app(runtime.settings, runtime)


@contextmanager
def own_plan(runtime):
    """The retention tests' plan under URIs of its own (tests sharing the production database never clash);
    yields the base of its URIs."""
    base = f"https://retention-{uuid.uuid4().hex[:8]}.example/plan/"
    with regional(runtime, PLAN_TTL.replace(PLAN, base)):
        yield base


def schedules_csv(base: str) -> bytes:
    return ("class;notation;trigger;event;period;final_action;legal_reference\r\n"
            f"{base}1;;registered;;P1Y;DESTROY;Tableau de tri communal, 1.1\r\n"
            f"{base}2;;closed;;P6M;TRANSFER;Tableau de tri communal, 2.3\r\n").encode()


def proposed_batch(runtime, tenant_id: str, base: str, subjects: list[str]) -> tuple[str, list[str]]:
    """Records of a class whose period (one year after registration) has run out by LATER, closed, swept:
    the id of the proposed DESTROY batch and the records' ids."""
    ids = [register(runtime, tenant_id, subject, base + "1") for subject in subjects]
    with unit_of_work(runtime.backends.engine) as session:
        for record_id in ids:
            retention.close(session, tenant_id, None, record_id)
    report = retention.sweep(runtime.backends.engine, tenant_id, today=LATER)
    assert report.proposed == len(ids)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return session.get(RecordRetention, ids[0]).batch_id, ids


def _import_schedules(client, csrf: str, base: str):
    return client.post("/retention/schedules/import", data={"csrf_token": csrf},
                       files={"file": ("tableau.csv", schedules_csv(base), "text/csv")}, follow_redirects=False)


# ------------------------------------------------------------------------------------------------ HTTP


def test_archivist_pages_over_http_with_roles_and_csrf(runtime, app):
    with own_plan(runtime) as base:
        archivist = web_user(runtime, "archivist")
        client, csrf = signed_in(app, archivist)
        assert client.get("/").status_code == 200 and 'href="/retention"' in client.get("/").text  # in the nav
        # a CSV import without the CSRF token changes nothing; with it, the schedules are listed
        refused = client.post("/retention/schedules/import", files={"file": ("t.csv", schedules_csv(base))},
                              follow_redirects=False)
        assert refused.status_code == 403
        assert "Tableau de tri communal" not in client.get("/retention/schedules").text
        bad = client.post("/retention/schedules/import", data={"csrf_token": csrf},
                          files={"file": ("t.csv", b"class;period\r\nx;P1Y\r\n", "text/csv")})
        assert bad.status_code == 400
        done = _import_schedules(client, csrf, base)
        assert done.status_code == 303 and done.headers["location"] == "/retention/schedules?imported=2"
        page = client.get("/retention/schedules")
        assert "Tableau de tri communal, 2.3" in page.text and "P6M" in page.text and "R2" in page.text
        assert client.get("/retention/schedules/export.csv").content.decode("utf-8-sig").startswith("class;")
        rule = {"csrf_token": csrf, "class_ref": "R4", "trigger": "closed", "period": "P30Y",
                "final_action": "RETAIN_PERMANENTLY", "legal_reference": "Délibérations : conservation permanente"}
        assert client.post("/retention/schedules", data={**rule, "period": "10 ans"}).status_code == 400
        assert client.post("/retention/schedules", data=rule, follow_redirects=False).status_code == 303
        page = client.get("/retention/schedules").text
        assert "Délibérations : conservation permanente" in page and "P30Y" in page

        # the due list shows the proposed batch's records; the batch walks to AUTHORIZED over HTTP
        batch_id, ids = proposed_batch(runtime, archivist.tenant_id, base, ["Accusé échu A", "Accusé échu B"])
        due = client.get("/retention")
        assert "Accusé échu A" in due.text and f"/retention/batches/{batch_id}" in due.text
        assert client.post(f"/retention/batches/{batch_id}/approve", data={}).status_code == 403  # no CSRF
        assert client.post(f"/retention/batches/{batch_id}/approve", data={"csrf_token": csrf}).status_code == 200
        xml = client.post(f"/retention/batches/{batch_id}/authorization-request", data={"csrf_token": csrf})
        assert xml.status_code == 200 and b"AuthorizationControlAuthorityRequest" in xml.content
        assert client.post(f"/retention/batches/{batch_id}/authorize",
                           data={"csrf_token": csrf, "reference": "  "}).status_code == 400
        client.post(f"/retention/batches/{batch_id}/authorize", data={"csrf_token": csrf, "reference": "AE/42"})
        assert "Exécuter la destruction" in client.get(f"/retention/batches/{batch_id}").text

        # a hold on one of them, placed and lifted through the pages; held, it leaves the batch
        placed = client.post("/retention/holds", data={"csrf_token": csrf, "name": "Recours", "scope": "records",
                                                       "record_ids": ids[1], "reason": "Recours au Conseil d'État"},
                             follow_redirects=False)
        assert placed.status_code == 303
        hold_url = placed.headers["location"]
        assert "Accusé échu B" in client.get(hold_url).text
        with unit_of_work(runtime.backends.engine, write=False) as session:
            assert session.get(RecordRetention, ids[1]).batch_id is None
        assert "Recours" in client.get("/retention/holds").text
        client.post(hold_url + "/lift", data={"csrf_token": csrf, "reason": "rejeté"})
        assert "levé le" in client.get(hold_url).text
        assert client.post("/retention/holds", data={"csrf_token": csrf, "name": "x", "scope": "classification",
                                                     "class_ref": "nope"}).status_code == 400

        # a batch given back: its records wait for a decision on the due list; decided, they are due again
        restored = client.post(f"/retention/batches/{batch_id}/restore",
                               data={"csrf_token": csrf, "reason": "à revoir"}, follow_redirects=False)
        assert restored.status_code == 303 and "rendu" in client.get(f"/retention/batches/{batch_id}").text
        due = client.get("/retention").text
        assert f"/retention/records/{ids[0]}/review" in due and "à réexaminer" in due
        decided = client.post(f"/retention/records/{ids[0]}/review", data={"csrf_token": csrf, "decision": "DESTROY"},
                              follow_redirects=False)
        assert decided.status_code == 303
        with unit_of_work(runtime.backends.engine, write=False) as session:
            assert session.get(RecordRetention, ids[0]).state == "ELIGIBLE"

        # a transfer batch: executed, then the archives' accession reference recorded
        permit = register(runtime, archivist.tenant_id, "Permis de bâtir rue Haute", base + "2")
        with unit_of_work(runtime.backends.engine) as session:
            retention.close(session, archivist.tenant_id, None, permit)
        retention.sweep(runtime.backends.engine, archivist.tenant_id, today=LATER)
        with unit_of_work(runtime.backends.engine, write=False) as session:
            transfer_id = session.get(RecordRetention, permit).batch_id
        for step, data in (("approve", {}), ("authorization-request", {}), ("authorize", {"reference": "AE/T/1"}),
                           ("execute", {})):
            answer = client.post(f"/retention/batches/{transfer_id}/{step}", data={"csrf_token": csrf, **data})
            assert answer.status_code == 200, (step, answer.text[:300])
        page = client.get(f"/retention/batches/{transfer_id}").text
        assert "exécuté" in page and "Enregistrer la prise en charge" in page
        client.post(f"/retention/batches/{transfer_id}/accession", data={"csrf_token": csrf, "reference": "ACC-77"})
        page = client.get(f"/retention/batches/{transfer_id}").text
        assert "ACC-77" in page and "pris en charge par les Archives" in page

        client.cookies.set("dms_lang", "nl")
        dutch = client.get(f"/retention/batches/{transfer_id}").text
        assert '<html lang="nl">' in dutch and "Borderel nr." in dutch and "overdracht aan het Rijksarchief" in dutch
        client.cookies.set("dms_lang", "fr")

        # other roles: no entry in the navigation, 403 on the pages
        clerk = web_user(runtime, "clerk", slug=archivist.slug)
        clerk_client, _ = signed_in(app, clerk)
        assert 'href="/retention"' not in clerk_client.get("/").text
        for url in ("/retention", "/retention/schedules", "/retention/holds", "/retention/batches",
                    f"/retention/batches/{batch_id}", "/retention/certificates"):
            assert clerk_client.get(url).status_code == 403, url


def test_another_communes_batch_hold_and_certificate_are_missing(runtime, app):
    """Commune B's batch, hold and certificate asked for by commune A's archivist on every archivist route that
    takes an id: 404, nothing of B in the page, and nothing of B changed."""
    with own_plan(runtime) as base:
        archivist_b = web_user(runtime, "archivist")
        client_b, csrf_b = signed_in(app, archivist_b)
        _import_schedules(client_b, csrf_b, base)
        batch_b, (record_b,) = proposed_batch(runtime, archivist_b.tenant_id, base, ["Secret de B"])
        done_b, _ = proposed_batch(runtime, archivist_b.tenant_id, base, ["Secret détruit de B"])
        with unit_of_work(runtime.backends.engine) as session:
            disposition.approve(session, archivist_b.tenant_id, None, done_b)
        with unit_of_work(runtime.backends.engine) as session:
            disposition.request_authorization(session, archivist_b.tenant_id, None, done_b,
                                              schema_dir=runtime.settings.seda_schema_dir)
        with unit_of_work(runtime.backends.engine) as session:
            disposition.authorize(session, archivist_b.tenant_id, None, done_b, "AE/B")
        disposition.execute(runtime.backends, archivist_b.tenant_id, None, done_b)
        with unit_of_work(runtime.backends.engine) as session:
            hold_b = holds.place(session, archivist_b.tenant_id, None, name="Gel secret de B",
                                 class_uri=base + "4").id
            certificate = session.get(DispositionBatch, done_b).certificate_record_id
            file_b = session.exec(select(File.id).where(File.record_id == certificate)).first()

        archivist_a = web_user(runtime, "archivist")
        client, csrf = signed_in(app, archivist_a)
        cases = {
            ("POST", "/retention/records/{record_id}/review"): f"/retention/records/{record_b}/review",
            ("POST", "/retention/batches/{batch_id}/accession"): f"/retention/batches/{done_b}/accession",
            ("GET", "/retention/holds/{hold_id}"): f"/retention/holds/{hold_b}",
            ("POST", "/retention/holds/{hold_id}/lift"): f"/retention/holds/{hold_b}/lift",
            ("GET", "/retention/batches/{batch_id}"): f"/retention/batches/{batch_b}",
            ("POST", "/retention/batches/{batch_id}/approve"): f"/retention/batches/{batch_b}/approve",
            ("POST", "/retention/batches/{batch_id}/authorization-request"):
                f"/retention/batches/{batch_b}/authorization-request",
            ("POST", "/retention/batches/{batch_id}/authorize"): f"/retention/batches/{batch_b}/authorize",
            ("POST", "/retention/batches/{batch_id}/restore"): f"/retention/batches/{batch_b}/restore",
            ("POST", "/retention/batches/{batch_id}/execute"): f"/retention/batches/{batch_b}/execute",
            ("GET", "/retention/certificates/{batch_id}"): f"/retention/certificates/{done_b}",
            ("GET", "/retention/certificates/{batch_id}/files/{file_id}"):
                f"/retention/certificates/{done_b}/files/{file_b}",
        }
        routes = {(method, route.path) for route in archivist_pages.router.routes if "{" in route.path
                  for method in route.methods if method != "HEAD"}
        assert routes == set(cases), "an archivist page with an id has no isolation case here: add it"
        for (method, _template), url in cases.items():
            answer = client.get(url) if method == "GET" else client.post(
                url, data={"csrf_token": csrf, "reference": "AE/A", "reason": "x", "decision": "RETAIN"})
            assert answer.status_code == 404, (url, answer.status_code, answer.text[:300])
            assert "Secret" not in answer.text and "secret" not in answer.text
        for url in ("/retention", "/retention/holds", "/retention/batches", "/retention/certificates"):
            page = client.get(url)
            assert page.status_code == 200 and "de B" not in page.text, url
        # B's own pages still show everything, unchanged
        assert "Gel secret de B" in client_b.get(f"/retention/holds/{hold_b}").text
        assert "Proposé" in client_b.get(f"/retention/batches/{batch_b}").text or \
            "proposé" in client_b.get(f"/retention/batches/{batch_b}").text
        assert client_b.get(f"/retention/certificates/{done_b}/files/{file_b}").status_code == 200


# --------------------------------------------------------------------------------------------- browser


def test_an_archivist_runs_a_batch_to_a_destruction_certificate(runtime, served, axe_source, tmp_path):
    with own_plan(runtime) as base:
        archivist = web_user(runtime, "archivist")
        run_in_browser(_archivist_flow, runtime, served, axe_source, tmp_path, archivist, base)


def _archivist_flow(browser, runtime, served, axe_source, tmp_path, archivist, base):
    visit = Visit(browser, served.url, axe_source, f"archivist-{runtime.settings.search_url[:4]}")
    page = visit.page
    try:
        visit.login(archivist)
        visit.go("/retention/schedules")
        visit.accessible("01-schedules-empty")
        csv = tmp_path / "tableau-de-tri.csv"
        csv.write_bytes(schedules_csv(base))
        page.get_by_label("Fichier CSV").set_input_files(str(csv))
        page.get_by_role("button", name="Importer").click()
        page.wait_for_load_state("networkidle")
        assert "Import réussi : 2 ligne(s)." in page.content()
        visit.accessible("02-schedules-imported")

        # records of a class whose period has run out, swept into a proposed batch (through the services); one
        # more, of a batch given back, waits for the archivist's decision on the due list
        given_back, (to_review,) = proposed_batch(runtime, archivist.tenant_id, base, ["Dossier à revoir"])
        with unit_of_work(runtime.backends.engine) as session:
            disposition.restore(session, archivist.tenant_id, None, given_back, "à revoir")
        batch_id, ids = proposed_batch(runtime, archivist.tenant_id, base,
                                       ["Accusé de réception périmé", "Invitation périmée"])
        spared = register(runtime, archivist.tenant_id, "Courrier gelé", base + "1")

        # a hold placed from the holds page on another record
        visit.go("/retention/holds")
        visit.accessible("03-holds")
        page.get_by_label("Nom", exact=True).fill("Contentieux voirie")
        page.get_by_label("Motif", exact=True).fill("Recours en cours")
        page.get_by_label("Des documents désignés un par un").check()
        page.get_by_label("Identifiants des documents (un par ligne)").fill(spared)
        page.get_by_role("button", name="Poser le gel").click()
        page.wait_for_load_state("networkidle")
        assert "Courrier gelé" in page.content() and "/retention/holds/" in page.url
        visit.accessible("04-hold")

        visit.go("/retention")
        assert "Accusé de réception périmé" in page.content() and "Dossier à revoir" in page.content()
        visit.accessible("05-due-list")
        page.get_by_label("Décision pour", exact=False).select_option("RETAIN")
        page.get_by_label("Conserver jusqu'au (facultatif)").fill((date.today() + timedelta(days=400)).isoformat())
        page.get_by_role("button", name="Décider").click()
        page.wait_for_load_state("networkidle")
        assert "Dossier à revoir" not in page.content()  # kept for another year: no longer due
        page.get_by_role("link", name="Bordereaux").first.click()
        page.wait_for_load_state("networkidle")
        visit.accessible("06-batches")
        page.locator(f'a[href="/retention/batches/{batch_id}"]').first.click()
        page.wait_for_load_state("networkidle")
        assert "Invitation périmée" in page.content()
        visit.accessible("07-batch-proposed")

        page.get_by_role("button", name="Approuver le bordereau").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#batch-state").inner_text() == "approuvé"
        visit.accessible("08-batch-approved")
        with page.expect_download() as request:
            page.get_by_role("button", name="Télécharger la demande d'autorisation").click()
        xml = request.value.path().read_bytes()
        assert b"AuthorizationControlAuthorityRequest" in xml and b"Invitation" in xml
        visit.go(f"/retention/batches/{batch_id}")
        assert page.locator("#batch-state").inner_text() == "en attente d'autorisation"
        visit.accessible("09-batch-awaiting")
        page.get_by_label("Référence de l'autorisation des Archives").fill("AE/NAM/2026/0117")
        page.get_by_role("button", name="Enregistrer l'autorisation").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#batch-state").inner_text() == "autorisé" and "AE/NAM/2026/0117" in page.content()
        visit.accessible("10-batch-authorized")

        page.get_by_role("button", name="Exécuter la destruction").click()
        page.wait_for_load_state("networkidle")
        assert f"/retention/certificates/{batch_id}" in page.url
        assert "AE/NAM/2026/0117" in page.content()
        visit.accessible("11-certificate")
        with page.expect_download() as pdf:
            page.get_by_role("link", name=re.compile(r"certificat-destruction-\d+\.pdf")).click()
        assert pdf.value.suggested_filename.endswith(".pdf")
        assert pdf.value.path().read_bytes().startswith(b"%PDF")
        visit.go("/retention/certificates")
        assert f"/retention/certificates/{batch_id}" in page.content()
        visit.accessible("12-certificates")
        visit.go(f"/retention/batches/{batch_id}")
        assert page.locator("#batch-state").inner_text() == "exécuté"
        visit.accessible("13-batch-executed")
    finally:
        visit.close()

    with unit_of_work(runtime.backends.engine, write=False) as session:
        for record_id in ids:  # destroyed: tombstone kept, files gone
            assert session.get(RecordRetention, record_id).state == "DESTROYED"
            assert session.get(Tombstone, record_id).authorization_reference == "AE/NAM/2026/0117"
            assert not session.exec(select(File).where(File.record_id == record_id)).all()
        assert session.exec(select(File).where(File.record_id == spared)).all()  # never in the batch
