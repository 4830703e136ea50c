"""A record's keywords and classification are in its SEDA metadata, and correcting them makes a new version."""

from __future__ import annotations

from lxml import etree

from metadata import parse_archive_unit
from tests.conftest import make_tenant
from tests.test_thesaurus_search import post
from tests.thesaurus_service_data import PLAN, REGION, REGION_TTL, plan_ttl, regional

SEDA = "{fr:gouv:culture:archivesdefrance:seda:v2.3}"


def metadata(client, user, record_id: str, **params) -> bytes:
    response = client.get(f"/api/v1/records/{record_id}/metadata.xml", headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    return response.content


def test_concepts_are_described_and_a_correction_is_a_new_version(client, runtime):
    clerk = make_tenant(runtime)
    with regional(runtime, REGION_TTL, plan_ttl()):
        record = post(client, clerk, "Demande d'inscription pour les mercredis après-midi.", "inscription.txt",
                      keywords=REGION + "accueil-extrascolaire", classification=PLAN + "1.31")
        first = parse_archive_unit(metadata(client, clerk, record["id"]))
        keywords = [(k.label, k.uri) for k in first.keywords]
        assert keywords == [("Accueil extrascolaire", REGION + "accueil-extrascolaire")]
        assert first.classification.notation == "1.31" and first.classification.uri == PLAN + "1.31"
        assert first.classification.label == "État civil"
        root = etree.fromstring(metadata(client, clerk, record["id"]))
        assert root.findtext(f".//{SEDA}FilePlanPosition") == "1.31"

        versions = client.get(f"/api/v1/records/{record['id']}/metadata", headers=clerk.headers).json()
        corrected = client.put(f"/api/v1/records/{record['id']}/classification", headers=clerk.headers,
                               json={"classification": PLAN + "2.75", "keywords": [REGION + "eclairage-public"]})
        assert corrected.status_code == 200, corrected.text
        after = client.get(f"/api/v1/records/{record['id']}/metadata", headers=clerk.headers).json()
        assert _count(after) == _count(versions) + 1
        now = parse_archive_unit(metadata(client, clerk, record["id"]))
        assert [k.uri for k in now.keywords] == [REGION + "eclairage-public"]
        assert now.classification.notation == "2.75"
        older = parse_archive_unit(metadata(client, clerk, record["id"], version=_count(versions)))
        assert [k.uri for k in older.keywords] == [REGION + "accueil-extrascolaire"]


def _count(listing) -> int:
    versions = listing["versions"] if isinstance(listing, dict) else listing
    return len(versions)
