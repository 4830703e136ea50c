"""The web interface in a real browser: Debian's Chromium, headless, driven by Playwright (never a downloaded
browser). A clerk signs in, drops scans, accepts a suggestion, registers with Ctrl+Enter and finds the mail by
search; every page built is checked with axe-core (no serious or critical violation) and for CSP reports.
Screenshots are kept under test-artifacts/web/."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from api.app import create_app
from dms import contacts, tenant_services
from dms.db import unit_of_work
from ingest import samples
from ingest.pipeline import Intake, ingest_file
from tests.conftest import TenantUser
from tests.web_support import PASSWORD, commune_plan, principal_for, serve, web_user

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BLOCKING = ("serious", "critical")
URBANISME = next(seed for seed in range(50) if samples.letter_text(seed).topic == "URB")


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = subprocess.run([str(ROOT / "scripts/web-test-deps.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()
    return Path(path).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def served(runtime):
    running = serve(create_app(runtime.settings, runtime))
    yield running
    running.stop()


class Visit:
    """One browser page with its CSP reports collected, and an axe check of what it shows."""

    def __init__(self, browser, base: str, axe: str, name: str):
        self.context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="fr-BE")
        self.page = self.context.new_page()
        self.base, self.axe, self.name = base, axe, name
        self.csp: list[str] = []
        self.page.on("console", lambda msg: self.csp.append(msg.text)
                     if "Content Security Policy" in msg.text else None)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def go(self, path: str):
        answer = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return answer

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{step}.png"), full_page=True)

    def accessible(self, step: str) -> None:
        """axe-core, evaluated in the page (the CSP stays on), fails on a serious or critical violation."""
        self.shot(step)
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(self.axe)
        result = self.page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
        (ARTIFACTS / f"{self.name}-{step}.axe.json").write_text(json.dumps(
            [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
             for v in result["violations"]], indent=1), encoding="utf-8")  # the minor ones too, for a reader
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
               for v in result["violations"] if v["impact"] in BLOCKING]
        assert not bad, f"{step}: accessibility violations:\n" + "\n".join(bad)
        assert not self.csp, f"{step}: CSP violations: {self.csp}"

    def login(self, user: TenantUser) -> None:
        self.go("/login")
        self.page.get_by_label("Adresse e-mail").fill(user.email)
        self.page.get_by_label("Mot de passe").fill(PASSWORD)
        self.page.get_by_role("button", name="Se connecter").click()
        self.page.wait_for_load_state("networkidle")

    def close(self) -> None:
        self.context.close()


def _pdf(tmp_path: Path, seed: int, marker: str) -> Path:
    letter = samples.letter_text(seed)
    path = tmp_path / f"scan-{seed}-{marker}.pdf"
    samples.write_pdf(letter, path)
    return path


def test_clerk_drops_registers_and_finds_a_scan(runtime, served, browser, axe_source, tmp_path):
    clerk = web_user(runtime, "clerk")
    letter = samples.letter_text(URBANISME)
    with unit_of_work(runtime.backends.engine) as session:
        contacts.create(session, clerk.tenant_id, None, "person",
                        {"first_name": letter.sender.split(" ", 1)[0], "last_name": letter.surname,
                         "name": letter.sender})
    with commune_plan(runtime) as plan:
        _clerk_flow(runtime, served, browser, axe_source, tmp_path, clerk, plan)


def _clerk_flow(runtime, served, browser, axe_source, tmp_path, clerk, plan):
    letter = samples.letter_text(URBANISME)
    marker = uuid.uuid4().hex[:8]
    files = [_pdf(tmp_path, URBANISME, marker), _pdf(tmp_path, URBANISME + 7, marker)]
    visit = Visit(browser, served.url, axe_source, f"clerk-{runtime.settings.search_url[:4]}")
    page = visit.page
    try:
        visit.go("/inbox")
        assert "/login" in page.url  # not signed in: sent to the login page
        visit.accessible("01-login")
        visit.login(clerk)
        visit.go("/inbox")
        visit.accessible("02-inbox")
        config = page.evaluate("() => [htmx.version, htmx.config.includeIndicatorStyles, htmx.config.allowEval]")
        assert config == ["2.0.11", False, False]  # the vendored htmx, configured from the meta tag

        # two scans dropped at once, each with its progress bar
        page.evaluate("""([names, contents]) => {
            const data = new DataTransfer();
            names.forEach((name, i) => {
              const bytes = Uint8Array.from(atob(contents[i]), c => c.charCodeAt(0));
              data.items.add(new File([bytes], name, {type: 'application/pdf'}));
            });
            const zone = document.getElementById('upload-form');
            zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
        }""", [[f.name for f in files], [base64.b64encode(f.read_bytes()).decode() for f in files]])
        page.locator("#upload-progress li.ok").nth(1).wait_for(timeout=60_000)
        assert page.locator("#upload-progress progress").count() == 2
        page.locator("#inbox-items tbody tr").nth(1).wait_for()
        visit.accessible("03-dropped")

        page.get_by_role("link", name=f"Enregistrer {files[0].name}").click()
        page.wait_for_load_state("networkidle")
        visit.accessible("04-form")

        # the suggested class of the plan, accepted in one click
        suggestion = page.locator("[data-accept-classification]").first
        assert "Urbanisme" in suggestion.inner_text()
        suggestion.click()
        assert page.locator("#classification").input_value() == f"{plan}2.73"
        # the suggested keyword, accepted; another found in the thesaurus; the sender from the directory
        page.get_by_role("button", name="Accepter tous les mots-clés suggérés").click()
        assert page.get_by_label("Abri de jardin").is_checked()
        page.get_by_label("Ajouter un mot-clé du thésaurus").fill("ordur")
        page.get_by_role("button", name="Déchets ménagers").click()
        assert page.locator("#keyword-list input[type=checkbox]:checked").count() == 2
        page.get_by_label("Expéditeur", exact=True).fill(letter.surname.lower())
        page.get_by_role("button", name=re.compile(letter.surname)).click()
        assert letter.surname in page.locator("#sender-chosen").inner_text()
        page.get_by_label("Objet").fill(f"Permis {marker} {letter.subject}")
        page.get_by_label("Date de réception").focus()
        page.keyboard.press("Control+Enter")  # register in one keystroke
        page.wait_for_url("**/records/**")
        page.wait_for_load_state("networkidle")
        banner = page.get_by_role("status").first.inner_text()
        assert "Courrier enregistré sous le numéro" in banner
        reference = page.locator("h1 .reference").inner_text()
        assert page.locator("iframe").count() == 1  # the PDF preview, served by the app
        meta = page.locator("dl.meta").inner_text()
        assert "Urbanisme" in meta and "Abri de jardin" in meta and "Déchets ménagers" in meta
        assert f"{letter.sender}" in meta
        visit.accessible("05-record")

        visit.go("/search")
        page.get_by_label("Rechercher dans le courrier").fill(marker)
        page.get_by_role("button", name="Rechercher", exact=True).click()
        page.wait_for_load_state("networkidle")
        results = page.locator("ol.results li")
        assert results.count() == 1
        assert reference in results.first.inner_text()
        visit.accessible("06-search")

        visit.go("/register/today")
        assert reference in page.locator("table").inner_text()
        visit.accessible("07-today")
    finally:
        visit.close()


def test_every_page_passes_axe(embedded_runtime, browser, axe_source, tmp_path):
    """The pages of each role, in French and in another language, with data in them."""
    runtime = embedded_runtime
    admin = web_user(runtime, "admin")
    agent = web_user(runtime, "agent", slug=admin.slug)
    with commune_plan(runtime) as plan:
        _walk_pages(runtime, admin, agent, browser, axe_source, tmp_path, plan)


def _walk_pages(runtime, admin, agent, browser, axe_source, tmp_path, plan):
    with unit_of_work(runtime.backends.engine) as session:
        service = tenant_services.create(session, admin.tenant_id, None, "urb", "Urbanisme")
        tenant_services.add_member(session, admin.tenant_id, None, agent.email, "urb")
        contacts.create(session, admin.tenant_id, None, "organisation", {"name": "SPW Mobilité", "city": "Namur"})
    path = _pdf(tmp_path, URBANISME, "axe")
    done = ingest_file(runtime, principal_for(runtime, admin), path, Intake(
        original_name=path.name, subject="Demande de permis", mail={"treating_service_id": service.id}))
    record_id = done.record.id
    running = serve(create_app(runtime.settings, runtime))
    try:
        visit = Visit(browser, running.url, axe_source, "admin")
        try:
            visit.login(admin)
            for step, path in [("home", "/"), ("record", f"/records/{record_id}"), ("search", "/search?q=permis"),
                               ("users", "/admin/users"), ("services", "/admin/services"),
                               ("contacts", "/admin/contacts"), ("mail-types", "/admin/mail-types"),
                               ("thesaurus", "/admin/thesaurus?q=urba"),
                               ("concept", f"/admin/thesaurus/concept?ref={plan}2"),
                               ("my-mail", "/my-mail"), ("not-found", "/records/nope")]:
                visit.go(path)
                visit.accessible(f"page-{step}")
            visit.go("/lang/nl?next=/search?q=permis")
            assert visit.page.locator("html").get_attribute("lang") == "nl"
            visit.accessible("page-search-nl")
        finally:
            visit.close()
        visit = Visit(browser, running.url, axe_source, "agent")
        try:
            visit.login(agent)
            visit.go("/my-mail")
            assert "Demande de permis" in visit.page.locator("main").inner_text()
            visit.accessible("agent-my-mail")
        finally:
            visit.close()
    finally:
        running.stop()
