"""Records classified with concepts, and searches expanded with the thesaurus, on both stacks."""

from __future__ import annotations

from tests.conftest import make_tenant
from tests.thesaurus_service_data import PLAN, REGION, REGION_TTL, plan_ttl, regional

FILLERS = [
    "Madame, Monsieur, nous vous informons que la collecte des encombrants aura lieu le mardi.",
    "Le collège communal a examiné votre demande de stationnement devant le numéro 12 de la rue Haute.",
    "Veuillez trouver ci-joint le procès-verbal de la réunion du conseil communal du mois de mars.",
    "Nous accusons réception de votre candidature au poste de secrétaire administratif.",
    "La salle des fêtes est réservée pour votre mariage le samedi 14 juin, de 18 à 23 heures.",
]


def post(client, user, text: str, name: str, **fields):
    response = client.post(
        "/api/v1/records",
        headers=user.headers,
        files={"file": (name, text.encode(), "text/plain")},
        data={"subject": name.removesuffix(".txt").replace("-", " "), **fields},
    )
    assert response.status_code == 201, response.text
    return response.json()


def search(client, user, q: str) -> dict:
    response = client.get("/api/v1/search", params={"q": q}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_narrower_keyword_found_by_broader_label_and_synonym_direct_first(client, runtime):
    clerk = make_tenant(runtime)
    with regional(runtime, REGION_TTL, plan_ttl()):
        for i, text in enumerate(FILLERS):
            post(client, clerk, text, f"courrier-{i}.txt")
        direct = post(client, clerk, "Nous souhaitons parler de l'éducation de nos enfants au conseil de quartier.",
                      "lettre-parents.txt")
        filed = post(client, clerk, "Demande d'inscription pour les mercredis après-midi au centre du village.",
                     "inscription-mercredis.txt", keywords=REGION + "accueil-extrascolaire",
                     classification=PLAN + "1.31")
        assert filed["keywords"] == [REGION + "accueil-extrascolaire"]
        assert filed["classification"] == PLAN + "1.31"

        answer = search(client, clerk, "éducation")
        ids = [hit["id"] for hit in answer["hits"]]
        assert ids[:2] == [direct["id"], filed["id"]], answer
        assert "Accueil extrascolaire" in answer["expanded"]
        keywords = answer["facets"]["keywords"]
        assert {"value": REGION + "accueil-extrascolaire", "label": "Accueil extrascolaire", "count": 1} in keywords
        assert answer["facets"]["classification"][0]["label"] == "État civil"

        for synonym in ("Enseignement", "enseignements", "ONDERWIJS"):
            found = [hit["id"] for hit in search(client, clerk, synonym)["hits"]]
            assert filed["id"] in found, synonym
        # the narrower concept's own label and synonym find it too, and nothing else
        assert [hit["id"] for hit in search(client, clerk, "garderie")["hits"]] == [filed["id"]]
        # filters on the concept facets
        response = client.get("/api/v1/search", headers=clerk.headers,
                               params={"q": "", "filter": f"keywords:{REGION}accueil-extrascolaire"})
        assert [hit["id"] for hit in response.json()["hits"]] == [filed["id"]]


def test_unknown_or_deprecated_concepts_are_refused(client, runtime):
    clerk = make_tenant(runtime)
    with regional(runtime, REGION_TTL, plan_ttl()):
        response = client.post(
            "/api/v1/records", headers=clerk.headers,
            files={"file": ("x.txt", b"Une lettre quelconque.", "text/plain")},
            data={"keywords": REGION + "nope"},
        )
        assert response.status_code == 400
        assert REGION + "nope" in response.json()["detail"]
        response = client.post(
            "/api/v1/records", headers=clerk.headers,
            files={"file": ("y.txt", b"Une autre lettre.", "text/plain")},
            data={"classification": REGION + "voirie"},  # a thesaurus concept, not a class of the plan
        )
        assert response.status_code == 400
        assert "classification plan" in response.json()["detail"]
