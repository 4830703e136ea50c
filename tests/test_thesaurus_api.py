"""The thesaurus over HTTP and the CLI: browse, autocomplete, import/export, refusals, tenant isolation,
and the proposals a commune makes to the regional curator; on both stacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from dms.db import unit_of_work
from dms.models import AuditEvent
from tests.conftest import make_tenant
from tests.thesaurus_service_data import PREFIXES, REGION, REGION_TTL, drop_schemes, make_curator
from thesaurus import skos

DMS = str(Path(sys.executable).with_name("dms"))
CYCLE_TTL = PREFIXES + f"""@base <{REGION}> .
<> a skos:ConceptScheme ; skos:hasTopConcept <a> .
<a> a skos:Concept ; skos:prefLabel "Alpha"@fr ; skos:broader <b> .
<b> a skos:Concept ; skos:prefLabel "Bêta"@fr ; skos:broader <a> .
"""
TWO_PREF_TTL = PREFIXES + f"""@base <{REGION}> .
<> a skos:ConceptScheme .
<education> a skos:Concept ; skos:prefLabel "Éducation"@fr , "Enseignement"@fr .
"""
EXTENSION_TTL = PREFIXES + """@base <https://namur.example/thesaurus/> .
<> a skos:ConceptScheme ; skos:prefLabel "Extension communale"@fr .
<plaine-de-jeux> a skos:Concept ; skos:inScheme <> ; skos:prefLabel "Plaine de jeux"@fr ;
   skos:broader <https://thesaurus.region.example/region/accueil-extrascolaire> .
"""


@pytest.fixture
def region(runtime, client):
    curator = make_curator(runtime)
    response = client.post("/api/v1/thesaurus/import", headers=curator.headers,
                           files={"file": ("region.ttl", REGION_TTL.encode(), "text/turtle")})
    assert response.status_code == 201, response.text
    yield curator, response.json()
    drop_schemes(runtime)


def export(client, user, fmt: str = "turtle") -> bytes:
    response = client.get("/api/v1/thesaurus/export", params={"format": fmt}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.content


def test_import_browse_autocomplete_export(client, runtime, region):
    curator, summary = region
    assert summary["version"] == 1 and summary["concepts"] == 8 and summary["kind"] == "thesaurus"
    clerk = make_tenant(runtime)

    schemes = client.get("/api/v1/thesaurus/schemes", headers=clerk.headers).json()
    assert [s["uri"] for s in schemes] == [REGION]
    assert [c["label"] for c in schemes[0]["top_concepts"]] == ["Éducation", "Environnement", "Voirie"]

    concept = client.get(f"/api/v1/thesaurus/concepts/{REGION}education", headers=clerk.headers,
                         params={"lang": "nl"}).json()
    assert concept["label"] == "Onderwijs"
    assert concept["alt_labels"] == {"fr": ["Enseignement"]}
    assert [c["label"] for c in concept["children"]] == ["Buitenschoolse opvang", "School"]
    by_id = client.get(f"/api/v1/thesaurus/concepts/{concept['children'][0]['id']}", headers=clerk.headers).json()
    assert by_id["uri"] == REGION + "accueil-extrascolaire"
    assert [b["uri"] for b in by_id["broader"]] == [REGION + "education"]

    for prefix in ("éduc", "EDUC", "educ"):
        found = client.get("/api/v1/thesaurus/autocomplete", params={"q": prefix, "lang": "fr"},
                           headers=clerk.headers).json()
        assert found[0]["label"] == "Éducation" and found[0]["uri"] == REGION + "education"
    found = client.get("/api/v1/thesaurus/autocomplete", params={"q": "ecl"}, headers=clerk.headers).json()
    assert [f["label"] for f in found] == ["Éclairage public"]

    # the library's own round trip (links stated one way come back both ways), from the database
    original = skos.supported_triples(skos.to_graph(skos.load(REGION_TTL.encode())))
    for fmt in ("turtle", "xml"):
        assert skos.supported_triples(skos.parse_graph(export(client, clerk, fmt))) == original

    assert client.post("/api/v1/thesaurus/import", headers=clerk.headers,
                       files={"file": ("r.ttl", REGION_TTL.encode())}).status_code == 403
    again = client.post("/api/v1/thesaurus/import", headers=curator.headers,
                        files={"file": ("region.ttl", REGION_TTL.encode())})
    assert again.json()["version"] == 2


@pytest.mark.parametrize("bad, uris", [(CYCLE_TTL, [REGION + "a", REGION + "b"]),
                                       (TWO_PREF_TTL, [REGION + "education"])])
def test_refused_file_names_the_uris_and_changes_nothing(client, runtime, region, bad, uris):
    curator, _ = region
    before = export(client, curator)
    response = client.post("/api/v1/thesaurus/import", headers=curator.headers,
                           files={"file": ("bad.ttl", bad.encode())})
    assert response.status_code == 400
    body = response.json()
    assert sorted({p["uri"] for p in body["problems"]}) == uris
    assert all(uri in body["detail"] for uri in uris)
    assert export(client, curator) == before
    schemes = client.get("/api/v1/thesaurus/schemes", headers=curator.headers).json()
    assert schemes[0]["version"] == 1


def test_cli_import_refusal_and_export(runtime, region, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMS_")}
    env["DMS_DATA_DIR"] = str(runtime.settings.resolved_data_dir)
    env["DMS_DATABASE_URL"] = runtime.settings.resolved_database_url

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([DMS, "thesaurus", *args], env=env, capture_output=True, text=True, timeout=120)

    before = cli("export", "--format", "turtle").stdout
    bad = tmp_path / "cycle.ttl"
    bad.write_text(CYCLE_TTL)
    done = cli("import", str(bad))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert any(f"<{REGION}a>" in line and "cycle" in line for line in lines)
    assert any(f"<{REGION}b>" in line for line in lines)
    assert lines[-1].startswith("dms: error:") and "nothing changed" in lines[-1]
    bad.write_text(TWO_PREF_TTL)
    done = cli("import", str(bad))
    assert done.returncode == 1 and f"<{REGION}education>" in done.stderr
    assert cli("export").stdout == before

    good = tmp_path / "region.xml"
    assert cli("export", "--format", "xml", "--output", str(good)).returncode == 0
    done = cli("import", str(good), "--scheme", REGION)
    assert done.returncode == 0, done.stderr
    assert "version 2" in done.stdout and "8 concepts" in done.stdout and "relations" in done.stdout


def test_extension_is_visible_to_its_tenant_only(client, runtime, region):
    admin = make_tenant(runtime, role="admin")
    other = make_tenant(runtime)
    response = client.post("/api/v1/thesaurus/import", headers=admin.headers,
                           files={"file": ("ext.ttl", EXTENSION_TTL.encode())})
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "extension"
    uri = "https://namur.example/thesaurus/plaine-de-jeux"
    mine = client.get(f"/api/v1/thesaurus/concepts/{uri}", headers=admin.headers)
    assert mine.status_code == 200 and mine.json()["path"][0]["label"] == "Éducation"
    assert client.get(f"/api/v1/thesaurus/concepts/{uri}", headers=other.headers).status_code == 404
    parent = client.get(f"/api/v1/thesaurus/concepts/{REGION}accueil-extrascolaire", headers=admin.headers).json()
    assert [c["label"] for c in parent["children"]] == ["Plaine de jeux"]
    parent = client.get(f"/api/v1/thesaurus/concepts/{REGION}accueil-extrascolaire", headers=other.headers).json()
    assert parent["children"] == []
    assert client.get("/api/v1/thesaurus/autocomplete", params={"q": "plaine"},
                      headers=other.headers).json() == []
    # an extension's links must reach the regional thesaurus
    dangling = EXTENSION_TTL.replace("accueil-extrascolaire", "nowhere")
    response = client.post("/api/v1/thesaurus/import", headers=admin.headers,
                           files={"file": ("ext.ttl", dangling.encode())})
    assert response.status_code == 400 and response.json()["problems"][0]["uri"] == uri


def test_proposals_accept_and_reject(client, runtime, region):
    curator, _ = region
    admin = make_tenant(runtime, role="admin")
    clerk = make_tenant(runtime, slug=admin.slug)
    new = {"kind": "new", "pref_labels": {"fr": "Cantine scolaire", "nl": "Schoolrestaurant"},
           "broader": [REGION + "ecole"], "comment": "Beaucoup de courrier des parents à ce sujet."}
    assert client.post("/api/v1/thesaurus/proposals", json=new, headers=clerk.headers).status_code == 403
    proposed = client.post("/api/v1/thesaurus/proposals", json=new, headers=admin.headers)
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert proposal["status"] == "pending" and proposal["concept"].startswith(REGION)
    assert client.post(f"/api/v1/thesaurus/proposals/{proposal['id']}/accept", json={},
                       headers=admin.headers).status_code == 403
    pending = client.get("/api/v1/thesaurus/proposals", params={"status": "pending"}, headers=curator.headers).json()
    assert [p["id"] for p in pending] == [proposal["id"]]

    accepted = client.post(f"/api/v1/thesaurus/proposals/{proposal['id']}/accept", json={"comment": "Bienvenue."},
                           headers=curator.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["version"] == 2
    concept = client.get(f"/api/v1/thesaurus/concepts/{proposal['concept']}", headers=clerk.headers).json()
    assert concept["label"] == "Cantine scolaire" and concept["broader"][0]["uri"] == REGION + "ecole"

    cycle = client.post("/api/v1/thesaurus/proposals", headers=admin.headers, json={
        "kind": "change", "concept": REGION + "education", "broader": [REGION + "ecole-primaire"]}).json()
    refused = client.post(f"/api/v1/thesaurus/proposals/{cycle['id']}/accept", json={}, headers=curator.headers)
    assert refused.status_code == 400 and REGION + "education" in refused.json()["detail"]
    rejected = client.post(f"/api/v1/thesaurus/proposals/{cycle['id']}/reject",
                           json={"comment": "Créerait un cycle."}, headers=curator.headers)
    assert rejected.json()["status"] == "rejected" and "Créerait un cycle." in rejected.json()["comment"]
    assert client.post(f"/api/v1/thesaurus/proposals/{cycle['id']}/accept", json={},
                       headers=curator.headers).status_code == 409

    deprecate = client.post("/api/v1/thesaurus/proposals", headers=admin.headers, json={
        "kind": "deprecate", "concept": REGION + "ecole-primaire", "replaced_by": [REGION + "ecole"]}).json()
    assert client.post(f"/api/v1/thesaurus/proposals/{deprecate['id']}/accept", json={},
                       headers=curator.headers).json()["version"] == 3
    old = client.get(f"/api/v1/thesaurus/concepts/{REGION}ecole-primaire", headers=clerk.headers).json()
    assert old["deprecated"] is True and [c["uri"] for c in old["replaced_by"]] == [REGION + "ecole"]
    mine = client.get("/api/v1/thesaurus/proposals", headers=admin.headers).json()
    assert [p["status"] for p in mine] == ["accepted", "rejected", "accepted"]

    with unit_of_work(runtime.backends.engine, write=False) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.tenant_id == admin.tenant_id)).all()
    assert actions.count("thesaurus.proposed") == 3
    assert "thesaurus.proposal_accepted" in actions and "thesaurus.proposal_rejected" in actions
