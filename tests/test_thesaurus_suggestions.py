"""Classification and keyword suggestions at intake: label matching from the first letter, then learning
from filings."""

from __future__ import annotations

from dms import classification, records
from dms.db import unit_of_work
from ingest import samples
from tests.conftest import make_tenant
from tests.thesaurus_service_data import PREFIXES, REGION, REGION_TTL, import_text, plan_ttl, plan_uri

# A commune's own keywords, one per topic of the sample letters, whose labels the letters never contain:
# only what the clerks filed can suggest them. ``named`` ones are the topic's word, which the letters say.
THEMES = {"URB": "Autorisations de bâtir", "FIN": "Recettes fiscales", "EC": "Actes authentiques",
          "VOI": "Mobilité", "SUB": "Vie associative", "ENV": "Tranquillité publique",
          "POP": "Inscription des habitants"}
NAMED = {"URB": "Urbanisme", "FIN": "Taxe", "EC": "État civil", "VOI": "Voirie", "SUB": "Subside",
         "ENV": "Voisinage", "POP": "Domiciliation"}
KEYWORDS = "https://commune.example/mots-cles/"


def keywords_ttl() -> str:
    lines = [PREFIXES, f"@base <{KEYWORDS}> .", '<> a skos:ConceptScheme ; dct:title "Mots-clés de la commune"@fr .']
    for code in THEMES:
        lines.append(f'<theme-{code}> a skos:Concept ; skos:inScheme <> ; skos:prefLabel "{THEMES[code]}"@fr .')
        lines.append(f'<named-{code}> a skos:Concept ; skos:inScheme <> ; skos:prefLabel "{NAMED[code]}"@fr .')
    return "\n".join(lines) + "\n"


def theme_uri(topic: str) -> str:
    return f"{KEYWORDS}theme-{topic}"


def named_uri(topic: str) -> str:
    return f"{KEYWORDS}named-{topic}"


def file_letters(runtime, tenant_id: str, seeds: range, keywords=lambda letter: []) -> list[str]:
    ids = []
    with unit_of_work(runtime.backends.engine) as session:
        for seed in seeds:
            letter = samples.letter_text(seed)
            record = records.register(session, tenant_id, None, records.NewRecord(
                subject=letter.subject, description=letter.text, classification=plan_uri(letter.topic),
                keywords=keywords(letter),
            ), schema_dir=runtime.settings.seda_schema_dir)
            ids.append(record.record.id)
    return ids


def suggested(runtime, tenant_id: str, text: str) -> dict:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return classification.suggest(session, tenant_id, text)


def ranked(runtime, tenant_id: str, text: str) -> list[str]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return [s["uri"] for s in classification.suggest(session, tenant_id, text)["classification"]]


def test_clear_letters_rank_their_class_in_the_top_three(embedded_runtime):
    runtime = embedded_runtime
    import_text(runtime, plan_ttl())
    import_text(runtime, REGION_TTL)
    clerk = make_tenant(runtime)
    held_out = [samples.letter_text(seed) for seed in range(100, 107)]  # one letter per topic
    # from the labels alone, before anything was filed
    for letter in held_out:
        assert plan_uri(letter.topic) in ranked(runtime, clerk.tenant_id, letter.text)[:3], letter.topic
    # then from what the clerks filed
    file_letters(runtime, clerk.tenant_id, range(0, 28))
    for letter in held_out:
        found = ranked(runtime, clerk.tenant_id, letter.text)
        assert found[0] == plan_uri(letter.topic), letter.topic
    with unit_of_work(runtime.backends.engine, write=False) as session:
        voirie = next(letter for letter in held_out if letter.topic == "VOI")
        answer = classification.suggest(session, clerk.tenant_id, voirie.text)
    assert answer["model"]["trained_on"] == 28
    assert answer["classification"][0]["sources"] == ["labels", "history"]
    assert REGION + "voirie" in [k["uri"] for k in answer["keywords"]]


def test_suggestions_endpoint_and_correction(embedded_runtime):
    from fastapi.testclient import TestClient

    from api.app import create_app

    runtime = embedded_runtime
    client = TestClient(create_app(runtime.settings, runtime))
    import_text(runtime, plan_ttl())
    clerk = make_tenant(runtime)
    letter = samples.letter_text(6)  # POP: domiciliation
    response = client.post("/api/v1/records", headers=clerk.headers,
                           files={"file": ("lettre.txt", letter.text.encode(), "text/plain")})
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["suggestions"]["classification"][0]["uri"] == plan_uri("POP")
    again = client.get(f"/api/v1/records/{record['id']}/suggestions", headers=clerk.headers).json()
    assert again["classification"][0]["uri"] == plan_uri("POP")
    other = make_tenant(runtime)
    assert client.get(f"/api/v1/records/{record['id']}/suggestions", headers=other.headers).status_code == 404

    corrected = client.put(f"/api/v1/records/{record['id']}/classification", headers=clerk.headers,
                           json={"classification": plan_uri("EC"), "keywords": []})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["classification"] == plan_uri("EC")
    bad = client.put(f"/api/v1/records/{record['id']}/classification", headers=clerk.headers,
                     json={"classification": "https://nowhere.example/x"})
    assert bad.status_code == 400
    found = client.get("/api/v1/search", params={"q": "", "filter": f"classification:{plan_uri('EC')}"},
                       headers=clerk.headers).json()
    assert [hit["id"] for hit in found["hits"]] == [record["id"]]


def keyword_uris(answer: dict) -> list[str]:
    return [k["uri"] for k in answer["keywords"]]


def test_keywords_are_learned_from_filings(embedded_runtime):
    runtime = embedded_runtime
    import_text(runtime, plan_ttl())
    import_text(runtime, REGION_TTL)
    clerk = make_tenant(runtime)
    import_text(runtime, keywords_ttl(), tenant_id=clerk.tenant_id, filename="mots-cles.ttl")
    held_out = [samples.letter_text(seed) for seed in range(100, 107)]  # one letter per topic
    # cold start: label matching alone, and the themes are not in the letters' words
    for letter in held_out:
        answer = suggested(runtime, clerk.tenant_id, letter.text)
        assert answer["model"]["keywords_trained_on"] == 0
        assert keyword_uris(answer), letter.topic
        assert not set(keyword_uris(answer)) & {theme_uri(topic) for topic in THEMES}, letter.topic
        assert all(k["sources"] == ["labels"] for k in answer["keywords"])
    voirie = next(letter for letter in held_out if letter.topic == "VOI")
    assert {REGION + "voirie", named_uri("VOI")} <= set(keyword_uris(suggested(runtime, clerk.tenant_id, voirie.text)))

    file_letters(runtime, clerk.tenant_id, range(0, 28), keywords=lambda letter: [theme_uri(letter.topic)])
    for letter in held_out:
        answer = suggested(runtime, clerk.tenant_id, letter.text)
        assert THEMES[letter.topic].lower() not in letter.text.lower()
        top3 = answer["keywords"][:3]
        assert theme_uri(letter.topic) in [k["uri"] for k in top3], (letter.topic, answer["keywords"])
        theme = next(k for k in top3 if k["uri"] == theme_uri(letter.topic))
        assert theme["sources"] == ["history"] and 0 < theme["score"] <= 1
    assert answer["model"]["keywords_trained_on"] == 28
    answer = suggested(runtime, clerk.tenant_id, voirie.text)  # labels still speak beside the history
    assert {REGION + "voirie", named_uri("VOI")} <= set(keyword_uris(answer))
    assert answer["model"]["keywords_learned"] == 7


def test_correcting_keywords_retrains(embedded_runtime):
    runtime = embedded_runtime
    import_text(runtime, plan_ttl())
    clerk = make_tenant(runtime)
    import_text(runtime, keywords_ttl(), tenant_id=clerk.tenant_id, filename="mots-cles.ttl")
    ids = file_letters(runtime, clerk.tenant_id, range(0, 14), keywords=lambda letter: [theme_uri(letter.topic)])
    letter = samples.letter_text(103)  # ENV
    assert suggested(runtime, clerk.tenant_id, letter.text)["model"]["keywords_learned"] == 7
    # the clerks decide that neighbours' troubles are about public order, on both records that had the theme
    for record_id, seed in zip(ids, range(0, 14), strict=True):
        filed = samples.letter_text(seed)
        if filed.topic == "ENV":
            with unit_of_work(runtime.backends.engine) as session:
                classification.classify(session, clerk.tenant_id, None, record_id, plan_uri("ENV"),
                                        [theme_uri("ENV"), theme_uri("EC")])
    answer = suggested(runtime, clerk.tenant_id, letter.text)
    assert theme_uri("EC") in keyword_uris(answer)[:3], answer["keywords"]


def test_keyword_model_with_one_keyword_or_none(embedded_runtime):
    runtime = embedded_runtime
    import_text(runtime, plan_ttl())
    import_text(runtime, REGION_TTL)
    letter = samples.letter_text(101)  # VOI: names "voirie"
    # one keyword on every filing: no single-class fit, the keyword comes back as a constant prior
    single = make_tenant(runtime)
    file_letters(runtime, single.tenant_id, range(0, 10), keywords=lambda _: [REGION + "ecole"])
    answer = suggested(runtime, single.tenant_id, letter.text)
    assert answer["model"]["keywords_learned"] == 1
    assert keyword_uris(answer)[0] == REGION + "ecole"
    assert answer["keywords"][0]["sources"] == ["history"]
    assert REGION + "voirie" in keyword_uris(answer)
    # every keyword used once: nothing to learn, labels alone
    scattered = make_tenant(runtime)
    concepts = ["education", "accueil-extrascolaire", "ecole", "ecole-primaire", "eclairage-public",
                "environnement", "dechets", "voirie"]
    file_letters(runtime, scattered.tenant_id, range(0, 8),
                 keywords=lambda filed: [REGION + concepts[filed.seed]])
    answer = suggested(runtime, scattered.tenant_id, letter.text)
    assert answer["model"]["keywords_trained_on"] == 0
    assert REGION + "voirie" in keyword_uris(answer)
    # no keyword at all, but classified: the classification learns, the keywords stay on labels
    bare = make_tenant(runtime)
    file_letters(runtime, bare.tenant_id, range(0, 10))
    answer = suggested(runtime, bare.tenant_id, letter.text)
    assert answer["model"]["trained_on"] == 10 and answer["model"]["keywords_trained_on"] == 0
    assert all(k["sources"] == ["labels"] for k in answer["keywords"])


def test_train_keywords_edge_cases():
    texts = [f"mot{i % 3} commun" for i in range(8)]
    assert classification.train_keywords(texts, [[] for _ in texts]) is None
    assert classification.train_keywords(texts[:3], [["a"]] * 3) is None  # too few
    single = classification.train_keywords(texts, [["a"]] * 6 + [["b"]] + [[]])
    assert single is not None and single.keywords == ["a"] and single.samples == 7
    assert single.probabilities("mot0") == {"a": 6 / 7}
    # "a" on every record (constant), "b" learned
    both = classification.train_keywords(texts, [["a", "b"] if i % 3 == 0 else ["a"] for i in range(8)])
    probs = both.probabilities("mot0 commun")
    assert probs["a"] == 1.0 and probs["b"] > 0.5 > both.probabilities("mot1 commun")["b"]
