"""The web interface over HTTP (no browser): sign-in, sessions, CSRF, login throttling, roles, languages, and
tenant isolation on every page that takes an id: another commune's ids are missing (404), never shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import web
from api.app import create_app
from api.web import i18n
from dms import login_throttle, passwords, saved_searches
from dms.db import unit_of_work
from ingest import samples
from tests.conftest import embedded_settings_for
from tests.web_support import PASSWORD, csrf_of, login, principal_for, signed_in, web_user

ROOT = Path(__file__).resolve().parents[1]
WRONG = "not the password"  # noqa: S105


@pytest.fixture
def app(runtime):
    return create_app(runtime.settings, runtime)


def _drop(client: TestClient, csrf: str, tmp_path: Path, seed: int = 0) -> str:
    path = tmp_path / f"scan-{uuid.uuid4().hex[:8]}.pdf"
    samples.write_pdf(samples.letter_text(seed), path, pages=1)
    with path.open("ab") as handle:  # unique bytes: never a duplicate of another test's scan
        handle.write(f"\n% {uuid.uuid4().hex}\n".encode())
    answer = client.post("/inbox/upload", files={"file": (path.name, path.read_bytes(), "application/pdf")},
                         headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _register(client: TestClient, csrf: str, item_id: str, **fields) -> str:
    data = {"csrf_token": csrf, "subject": fields.pop("subject", "Courrier"), "register": "incoming", **fields}
    answer = client.post(f"/inbox/{item_id}/register", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("/records/")[1].split("?")[0]


# ------------------------------------------------------------------------------------ sign-in, sessions


def test_login_session_cookie_and_logout(runtime, app):
    clerk = web_user(runtime, "clerk")
    client = TestClient(app)
    assert client.get("/inbox", follow_redirects=False).headers["location"] == "/login?next=/inbox"
    answer = login(client, clerk)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "dms_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over http here; over https (or DMS_WEB_COOKIE_SECURE=true) it is
    page = client.get("/inbox")
    assert page.status_code == 200 and clerk.email in page.text
    csrf = csrf_of(page.text)
    other, _ = signed_in(app, clerk)  # a second browser
    with unit_of_work(runtime.backends.engine) as session:
        passwords.set_password(session, clerk.email, PASSWORD + "!")  # a new password signs out everywhere
    assert other.get("/inbox", follow_redirects=False).status_code == 303
    client = TestClient(app)
    assert login(client, clerk, password=PASSWORD + "!").status_code == 303
    csrf = csrf_of(client.get("/inbox").text)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/inbox", follow_redirects=False).status_code == 303  # the server forgot the session
    # the Bearer API is unchanged and does not accept the session
    assert client.get("/api/v1/search?q=x").status_code == 401


def test_secure_cookie_when_configured(tmp_path):
    from tests.conftest import embedded_runtime_for

    runtime = embedded_runtime_for(embedded_settings_for(tmp_path, web_cookie_secure="true"))
    clerk = web_user(runtime, "clerk")
    answer = login(TestClient(create_app(runtime.settings, runtime)), clerk)
    assert "Secure" in answer.headers["set-cookie"]


def test_wrong_password_and_login_csrf(runtime, app):
    clerk = web_user(runtime, "clerk")
    client = TestClient(app)
    wrong = login(client, clerk, password=WRONG)
    assert wrong.status_code == 401 and "Adresse e-mail ou mot de passe incorrect." in wrong.text
    unknown = client.post("/login", data={"email": "nobody@x.example", "password": "x" * 12,
                                          "csrf_token": csrf_of(client.get("/login").text)})
    assert unknown.status_code == 401 and "Adresse e-mail ou mot de passe incorrect." in unknown.text
    forged = TestClient(app).post("/login", data={"email": clerk.email, "password": PASSWORD, "csrf_token": "x"},
                                  follow_redirects=False)
    assert forged.status_code == 403 and "dms_session" not in forged.headers.get("set-cookie", "")


def test_login_is_rate_limited_per_account_in_the_database(runtime, app):
    clerk = web_user(runtime, "clerk")
    for _ in range(login_throttle.MAX_PER_ACCOUNT):
        assert login(TestClient(app), clerk, password=WRONG).status_code == 401
    # another client (another server would share the same table): even the right password is refused now
    blocked = login(TestClient(create_app(runtime.settings, runtime)), clerk)
    assert blocked.status_code == 429
    assert "Trop de tentatives de connexion échouées" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0


def test_login_is_rate_limited_per_address(runtime, app):
    others = [web_user(runtime, "clerk") for _ in range(3)]
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    with unit_of_work(runtime.backends.engine) as session:  # earlier failures from this address
        for n in range(login_throttle.MAX_PER_ADDRESS):
            login_throttle.failed(session, f"guess-{n}@x.example", address)
    with unit_of_work(runtime.backends.engine) as session:
        with pytest.raises(login_throttle.TooManyAttempts):
            login_throttle.check(session, others[0].email, address)
        login_throttle.check(session, others[0].email, "10.0.0.1")  # another address is not blocked


# ---------------------------------------------------------------------------------------------- CSRF


def test_every_state_change_needs_the_csrf_token(runtime, app, tmp_path):
    clerk = web_user(runtime, "clerk")
    client, csrf = signed_in(app, clerk)
    item = _drop(client, csrf, tmp_path)
    path = tmp_path / "x.pdf"
    samples.write_pdf(samples.letter_text(1), path)
    refused = [
        client.post("/inbox/upload", files={"file": ("x.pdf", path.read_bytes(), "application/pdf")}),
        client.post("/inbox/upload", files={"file": ("x.pdf", path.read_bytes(), "application/pdf")},
                    headers={"X-CSRF-Token": "forged"}),
        client.post(f"/inbox/{item}/register", data={"subject": "x"}),
        client.post(f"/inbox/{item}/discard", data={"csrf_token": "forged"}),
        client.post("/search/saved", data={"name": "x", "q": "x"}),
        client.post("/logout"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert client.get(f"/inbox/{item}").status_code == 200  # nothing changed
    # without JavaScript the form posts the chosen files at once, with the token in a field
    other = tmp_path / "y.pdf"
    samples.write_pdf(samples.letter_text(2), other)
    plain = client.post("/inbox/upload", data={"csrf_token": csrf}, follow_redirects=False,
                        files=[("file", ("x.pdf", path.read_bytes(), "application/pdf")),
                               ("file", ("y.pdf", other.read_bytes(), "application/pdf"))])
    assert plain.status_code == 303 and plain.headers["location"] == "/inbox"
    assert client.get("/inbox").text.count('href="/inbox/') == 3
    record = _register(client, csrf, item, subject="Avec le jeton")
    assert client.get(f"/records/{record}").status_code == 200


# ------------------------------------------------------------------------------------ the clerk's flow


def test_register_from_the_inbox_with_fields_then_workflow(runtime, app, tmp_path):
    from dms import contacts, tenant_services

    admin = web_user(runtime, "admin")
    clerk = web_user(runtime, "clerk", slug=admin.slug)
    with unit_of_work(runtime.backends.engine) as session:
        service = tenant_services.create(session, admin.tenant_id, None, "urb", "Urbanisme")
        sender = contacts.create(session, admin.tenant_id, None, "organisation", {"name": "SPW Territoire"})
    client, csrf = signed_in(app, clerk)
    item = _drop(client, csrf, tmp_path)
    options = client.get("/ui/contacts?q=spw")
    assert sender.id in options.text and "SPW Territoire" in options.text
    record = _register(client, csrf, item, subject="Permis", sender_id=sender.id, treating_service=service.id,
                       mail_type="lettre", due_date="2030-01-31", received_at="2026-11-02")
    page = client.get(f"/records/{record}?registered=1")
    assert page.status_code == 200
    for shown in ("Courrier enregistré sous le numéro", "SPW Territoire", "Urbanisme", "31/01/2030",
                  "record.registered", "ArchiveUnit"):
        assert shown in page.text, shown
    assert client.get(f"/inbox/{item}").status_code == 404  # registered: gone from the inbox
    # the workflow buttons are the clerk's next states; taking one is audited and shown in the history
    assert 'value="proposed_to_manager"' in page.text
    moved = client.post(f"/records/{record}/transition", data={"csrf_token": csrf, "to": "proposed_to_manager"},
                        follow_redirects=False)
    assert moved.status_code == 303
    page = client.get(f"/records/{record}")
    assert "record.transition" in page.text and 'value="proposed_to_agent"' in page.text
    illegal = client.post(f"/records/{record}/transition", data={"csrf_token": csrf, "to": "closed"})
    assert illegal.status_code == 409
    xml = client.get(f"/records/{record}/metadata.xml")
    assert xml.status_code == 200 and b"ArchiveUnit" in xml.content
    today = client.get("/register/today")
    assert "Permis" in today.text
    # the file preview is inline, framable by this site only
    file_id = re.search(rf'/records/{record}/files/([0-9a-f-]+)\?download=1', page.text).group(1)
    preview = client.get(f"/records/{record}/files/{file_id}")
    assert preview.status_code == 200 and preview.headers["content-disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    # reads through the web are in the access log like the API's (who saw which record, file, XML)
    from dms import access_log

    with unit_of_work(runtime.backends.engine, write=False) as session:
        reads = {(e.action, e.detail.count('"web"') > 0) for e in access_log.for_record(session, admin.tenant_id,
                                                                                        record)}
    assert {(access_log.RECORD_READ, True), (access_log.FILE_READ, True), (access_log.METADATA_READ, True)} <= reads
    # every page keeps the strict CSP: no inline script anywhere
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and " onclick=" not in page.text


def test_search_page_facets_expansion_and_saved_searches(runtime, app, tmp_path):
    from tests.thesaurus_service_data import REGION_TTL, regional

    clerk = web_user(runtime, "clerk")
    client, csrf = signed_in(app, clerk)
    marker = uuid.uuid4().hex[:10]
    record = _register(client, csrf, _drop(client, csrf, tmp_path), subject=f"Ordures {marker}")
    found = client.get(f"/search?q={marker}")
    assert found.status_code == 200 and f"/records/{record}" in found.text
    assert "<mark>" in found.text, found.text.split("<main")[1][:3000]
    assert 'name="filter" value="register:incoming"' in found.text
    filtered = client.get(f"/search?q={marker}&filter=register:outgoing")
    assert f"/records/{record}" not in filtered.text
    with regional(runtime, REGION_TTL):
        expanded = client.get("/search?q=déchets")
        assert "Également recherché" in expanded.text and "Ordures" in expanded.text
    saved = client.post("/search/saved", data={"csrf_token": csrf, "name": "Mes ordures", "q": marker,
                                               "filter": "register:incoming"}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get("/search")
    saved_id = re.search(r'href="/search/saved/([0-9a-f-]+)">Mes ordures', page.text).group(1)
    again = client.get(f"/search/saved/{saved_id}", follow_redirects=False)
    assert again.headers["location"] == f"/search?q={marker}&filter=register%3Aincoming"


# ------------------------------------------------------------------------------------ roles and nav


def test_nav_and_pages_follow_the_permission_model(runtime, app):
    admin = web_user(runtime, "admin")
    agent = web_user(runtime, "agent", slug=admin.slug)
    clerk = web_user(runtime, "clerk", slug=admin.slug)
    archivist = web_user(runtime, "archivist", slug=admin.slug)
    admin_client, _ = signed_in(app, admin)
    agent_client, _ = signed_in(app, agent)
    clerk_client, _ = signed_in(app, clerk)
    archivist_client, _ = signed_in(app, archivist)

    def nav(client):
        home = client.get("/").text
        return re.findall(r'<li><a href="([^"]+)"', home.split('aria-label="Navigation principale"')[1]
                          .split("</nav>")[0])

    # each role's bar lists exactly the pages it may open: every entry answers 200, every other page 403
    every = [entry.href for entry in web.nav.ENTRIES]
    for client in (admin_client, agent_client, clerk_client, archivist_client):
        shown = nav(client)
        assert shown and set(shown) <= set(every)
        for href in every:
            status = client.get(href).status_code
            assert status == (200 if href in shown else 403), (href, status, shown)
    assert {"/inbox", "/register/today", "/search"} <= set(nav(clerk_client))
    assert "/my-mail" in nav(agent_client) and "/inbox" not in nav(agent_client)
    assert "/search" in nav(archivist_client) and "/inbox" not in nav(archivist_client)
    assert {"/admin/users", "/admin/services", "/admin/mail-types"} <= set(nav(admin_client))
    assert not {"/admin/users", "/admin/services", "/admin/mail-types"} & set(nav(clerk_client))


def test_agent_sees_only_the_mail_of_their_services(runtime, app, tmp_path):
    from dms import tenant_services

    admin = web_user(runtime, "admin")
    clerk = web_user(runtime, "clerk", slug=admin.slug)
    agent = web_user(runtime, "agent", slug=admin.slug)
    with unit_of_work(runtime.backends.engine) as session:
        mine = tenant_services.create(session, admin.tenant_id, None, "urb", "Urbanisme")
        other = tenant_services.create(session, admin.tenant_id, None, "fin", "Finances")
        tenant_services.add_member(session, admin.tenant_id, None, agent.email, "urb")
    client, csrf = signed_in(app, clerk)
    visible = _register(client, csrf, _drop(client, csrf, tmp_path), subject="Pour le service urbanisme",
                        treating_service=mine.id, due_date="2030-05-01")
    hidden = _register(client, csrf, _drop(client, csrf, tmp_path), subject="Pour les finances",
                       treating_service=other.id)
    agent_client, _ = signed_in(app, agent)
    mail = agent_client.get("/my-mail").text
    assert "Pour le service urbanisme" in mail and "01/05/2030" in mail and "Pour les finances" not in mail
    assert agent_client.get(f"/records/{visible}").status_code == 200
    assert agent_client.get(f"/records/{hidden}").status_code == 404


# ---------------------------------------------------------------------------------- tenant isolation


def test_another_communes_ids_are_missing_on_every_page(runtime, app, tmp_path):
    """Commune B's inbox item, record, file, saved search, service and mail type, asked for by a user of
    commune A on every web route that takes an id: 404, and B's data is never in the page."""
    from dms import contacts, mail_types, tenant_services

    admin_b = web_user(runtime, "admin")
    client_b, csrf_b = signed_in(app, admin_b)
    item_b = _drop(client_b, csrf_b, tmp_path)
    record_b = _register(client_b, csrf_b, _drop(client_b, csrf_b, tmp_path), subject="Secret de B")
    file_b = re.search(rf'/records/{record_b}/files/([0-9a-f-]+)', client_b.get(f"/records/{record_b}").text)[1]
    with unit_of_work(runtime.backends.engine) as session:
        service_b = tenant_services.create(session, admin_b.tenant_id, None, "secret", "Service B")
        mail_types.create(session, admin_b.tenant_id, None, "type-b", "Type de B")
        contacts.create(session, admin_b.tenant_id, None, "organisation", {"name": "Contact secret de B"})
        saved_b = saved_searches.save(session, principal_for(runtime, admin_b), "B", "secret", []).id

    admin_a = web_user(runtime, "admin")
    client, csrf = signed_in(app, admin_a)
    data = {"csrf_token": csrf}
    cases = {
        ("GET", "/inbox/{item_id}"): f"/inbox/{item_b}",
        ("GET", "/inbox/{item_id}/file"): f"/inbox/{item_b}/file",
        ("POST", "/inbox/{item_id}/register"): f"/inbox/{item_b}/register",
        ("POST", "/inbox/{item_id}/discard"): f"/inbox/{item_b}/discard",
        ("GET", "/records/{record_id}"): f"/records/{record_b}",
        ("GET", "/records/{record_id}/files/{file_id}"): f"/records/{record_b}/files/{file_b}",
        ("GET", "/records/{record_id}/metadata.xml"): f"/records/{record_b}/metadata.xml",
        ("POST", "/records/{record_id}/transition"): f"/records/{record_b}/transition",
        ("POST", "/records/{record_id}/notes"): f"/records/{record_b}/notes",
        ("POST", "/records/{record_id}/cancel"): f"/records/{record_b}/cancel",
        ("GET", "/search/saved/{saved_id}"): f"/search/saved/{saved_b}",
        ("POST", "/search/saved/{saved_id}/delete"): f"/search/saved/{saved_b}/delete",
        ("POST", "/admin/services/{service_id}/members"): f"/admin/services/{service_b.id}/members",
        ("POST", "/admin/mail-types/{code}/active"): "/admin/mail-types/type-b/active",
    }
    web_routes = {(method, route.path) for module in web.PAGE_MODULES for route in module.router.routes
                  if "{" in route.path for method in route.methods if method != "HEAD"}
    no_tenant_data = {("GET", "/lang/{code}")}  # the language switcher: its parameter is a language code
    # the archivist's and the library's pages have their own cases: tests/test_web_archivist.py, test_web_library.py
    no_tenant_data |= {(m, r.path) for mod in (web.archivist_pages, web.library_pages) for r in mod.router.routes
                       for m in r.methods}
    assert web_routes - no_tenant_data == set(cases), "a web page with an id has no isolation case here: add it"
    fields = {"to": "proposed_to_manager", "text": "x", "reason": "x", "subject": "x", "user": admin_a.email,
              "active": "false"}
    for (method, _template), url in cases.items():
        answer = client.get(url) if method == "GET" else client.post(url, data={**data, **fields})
        assert answer.status_code == 404, (url, answer.status_code, answer.text[:300])
        assert "Secret de B" not in answer.text
    # and a search, the contact picker and the inbox list find nothing of B's
    assert "Secret de B" not in client.get("/search?q=secret").text
    assert "Contact secret de B" not in client.get("/ui/contacts?q=contact").text
    assert item_b not in client.get("/inbox").text
    # nothing of B changed
    assert client_b.get(f"/inbox/{item_b}").status_code == 200
    assert "Contact secret de B" in client_b.get("/ui/contacts?q=contact").text
    assert client_b.get(f"/search/saved/{saved_b}", follow_redirects=False).status_code == 303


# -------------------------------------------------------------------------------------- languages


def test_language_from_switcher_then_accept_language_then_french(runtime, app):
    clerk = web_user(runtime, "clerk")
    client = TestClient(app)
    assert '<html lang="fr">' in client.get("/login").text
    german = client.get("/login", headers={"Accept-Language": "de-BE,de;q=0.9"}).text
    assert '<html lang="de">' in german and "Passwort" in german
    client.get("/lang/nl?next=/login")
    dutch = client.get("/login", headers={"Accept-Language": "de"}).text
    assert '<html lang="nl">' in dutch and "Wachtwoord" in dutch
    assert client.get("/lang/en?next=https://evil.example", follow_redirects=False).headers["location"] == "/"
    signed, _ = signed_in(app, clerk)
    signed.cookies.set(i18n.COOKIE, "en")
    assert "Incoming mail" in signed.get("/inbox").text


def test_catalogues_are_complete_and_up_to_date():
    """Every string of the templates and page modules is in the committed catalogues, translated."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    web = ROOT / "api/web"
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                        "lstrip_blocks": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    wanted = {msg[2] if isinstance(msg[2], str) else msg[2][0]
              for msg in extract_from_dir(str(web), method_map, options, keywords=keywords)}
    for language in ("nl", "de", "en"):
        with (web / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and (
            all(m.string) if isinstance(m.string, tuple) else True)}
        assert not wanted - have, f"{language}: untranslated {sorted(wanted - have)[:10]}"


# ------------------------------------------------------------------------------------------ the CLI


def test_cli_set_password_reads_stdin(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(tmp_path / "var")
    dms = str(Path(sys.executable).with_name("dms"))

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([dms, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin)

    assert run("migrate").returncode == 0
    assert run("tenant", "create", "ciney").returncode == 0
    assert run("user", "create", "greffe@ciney.be", "--tenant", "ciney").returncode == 0
    short = run("user", "set-password", "greffe@ciney.be", stdin="short\n")
    assert short.returncode == 1 and "shorter than" in short.stderr
    done = run("user", "set-password", "greffe@ciney.be", stdin="un mot de passe solide\n")
    assert done.returncode == 0, done.stderr
    from dms.db import get_engine
    from dms.passwords import attempt_login

    url = embedded_settings_for(tmp_path).resolved_database_url
    with unit_of_work(get_engine(url)) as session:
        assert attempt_login(session, "greffe@ciney.be", "un mot de passe solide", "127.0.0.1") is not None
