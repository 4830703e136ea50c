"""Query expansion: synonyms and narrower concepts at lower boosts, in the search port's shape."""

from __future__ import annotations

import pytest

from tests.thesaurus.conftest import UNESCO_NS
from thesaurus import skos
from thesaurus.expansion import NARROWER_BOOST, PREF_BOOST, SYNONYM_BOOST, QueryExpander

REGIONAL = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix r: <https://thesaurus.region.example/regional/> .

r:education a skos:Concept ;
    skos:prefLabel "Éducation"@fr , "Onderwijs"@nl , "Bildung"@de , "Education"@en ;
    skos:altLabel "Enseignement"@fr , "Instruction publique"@fr ;
    skos:hiddenLabel "Educaton"@fr ;
    skos:narrower r:school .
r:school a skos:Concept ;
    skos:prefLabel "École"@fr , "School"@nl ;
    skos:altLabel "Établissement scolaire"@fr ;
    skos:narrower r:nursery , r:primary .
r:nursery a skos:Concept ; skos:prefLabel "École maternelle"@fr , "Kleuterschool"@nl ; skos:narrower r:class .
r:primary a skos:Concept ; skos:prefLabel "École primaire"@fr ; skos:altLabel "Primaire"@fr .
r:class a skos:Concept ; skos:prefLabel "Classe d'accueil"@fr ; skos:narrower r:toddler .
r:toddler a skos:Concept ; skos:prefLabel "Puériculture"@fr .
r:oldschool a skos:Concept ; skos:prefLabel "Athénée"@fr ; owl:deprecated true ; dct:isReplacedBy r:school .
"""
R = "https://thesaurus.region.example/regional/"


@pytest.fixture(scope="module")
def regional() -> QueryExpander:
    return QueryExpander(skos.load(REGIONAL.encode(), format="turtle"))


def as_dict(group):
    return dict(group)


def test_education_expands_to_synonyms_and_narrower_concepts(regional):
    expansion = regional.expand("éducation")
    (group,) = expansion.groups
    weights = as_dict(group)
    assert group[0] == ("educ", 1.0)
    assert weights["enseign"] == SYNONYM_BOOST  # altLabel
    assert weights["educaton"] == SYNONYM_BOOST  # hiddenLabel: searched, never shown
    assert weights["onderwijs"] == PREF_BOOST and weights["bildung"] == PREF_BOOST  # other languages
    assert weights["ecol"] == NARROWER_BOOST  # narrower, depth 1
    assert weights["school"] == NARROWER_BOOST
    assert weights["kleuterschool"] == NARROWER_BOOST / 2  # depth 2
    assert "puericultur" not in weights  # depth 4: below the minimum boost
    assert all(" " not in token and 0 < boost <= 1 for token, boost in group)
    assert all(boost < 1 for _, boost in group[1:])
    used = {c.uri: c.boost for c in expansion.concepts_used}
    assert used == {R + "education": 1.0, R + "school": 0.4, R + "nursery": 0.2, R + "primary": 0.2, R + "class": 0.1}
    assert expansion.concepts_used[0].groups == (0,)
    assert "Enseignement" in expansion.also_searched_labels and "École" in expansion.also_searched_labels
    assert "Educaton" not in expansion.also_searched_labels
    # a multi-word label that cannot be one alternative comes back as a phrase
    assert (("instruct", "publiqu"), SYNONYM_BOOST) in expansion.phrases
    assert (("classe", "accueil"), 0.1) in expansion.phrases or (("class", "accueil"), 0.1) in expansion.phrases


def test_query_words_without_concept_stay_alone(regional):
    expansion = regional.expand("Le budget de l'école")
    assert [g[0] for g in expansion.groups] == [("budget", 1.0), ("ecol", 1.0)]
    assert expansion.groups[0] == [("budget", 1.0)]
    assert as_dict(expansion.groups[1])["primair"] == NARROWER_BOOST  # "Primaire", altLabel of a narrower
    assert {c.groups for c in expansion.concepts_used} == {(1,)}
    assert regional.expand("").groups == [] and regional.expand("de la").groups == []


def test_deprecated_concept_searches_its_replacement(regional):
    expansion = regional.expand("athénée")
    assert R + "school" in {c.uri for c in expansion.concepts_used}
    assert as_dict(expansion.groups[0])["ecol"] == PREF_BOOST


@pytest.mark.parametrize("query", ["écoles", "ecole", "ÉCOLE", "Ecoles"])
def test_singular_plural_and_accents_find_ecole(unesco_expander, unesco, query):
    expansion = unesco_expander.expand(query)
    assert expansion.concepts_used[0].uri == UNESCO_NS + "concept46"  # École, not "École d'été"
    assert expansion.concepts_used[0].boost == 1.0
    school = unesco[UNESCO_NS + "concept46"]
    narrower = {c.uri: c.boost for c in expansion.concepts_used[1:]}
    assert set(school.narrower) <= set(narrower)
    assert {narrower[uri] for uri in school.narrower} == {NARROWER_BOOST}
    weights = as_dict(expansion.groups[0])
    assert weights["ecol"] == 1.0 and weights["school"] == PREF_BOOST  # the English prefLabel
    assert weights["lyc"] == NARROWER_BOOST  # Lycée, altLabel of the narrower "École secondaire"


def test_multi_word_query_matches_the_multi_word_concept(unesco_expander):
    expansion = unesco_expander.expand("éducation des adultes")
    assert expansion.concepts_used[0].uri == UNESCO_NS + "concept1473"
    assert expansion.concepts_used[0].groups == (0, 1)
    first, second = (as_dict(g) for g in expansion.groups)
    assert first["educ"] == 1.0 and second["adult"] == 1.0
    assert first["format"] == SYNONYM_BOOST  # "Formation des adultes", aligned word for word
    # "Adult education" has the words the other way round: it would let "adultes" alone satisfy both groups
    assert "adult" not in first and "educ" not in second
    assert "Formation des adultes" in expansion.also_searched_labels
