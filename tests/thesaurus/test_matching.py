"""Autocomplete across languages and accents, and concepts found in a letter's text."""

from __future__ import annotations

import pytest

from tests.thesaurus.conftest import PLAN_NS, UNESCO_NS
from thesaurus.matching import LabelIndex, analyse


@pytest.mark.parametrize("prefix", ["éduc", "EDUC", "educ", "Éduc", " educ"])
def test_autocomplete_puts_education_first(unesco_index, prefix):
    found = unesco_index.autocomplete(prefix, language="fr")
    assert (found[0].label, found[0].lang, found[0].uri) == ("Éducation", "fr", UNESCO_NS + "concept2")
    assert len(found) == 10
    assert all(s.label.startswith("Éducation") for s in found)
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    labels = [s.label for s in unesco_index.autocomplete(prefix, language="fr", limit=40)]
    assert "Éducation de base" in labels and "Éducation des adultes" in labels
    assert len(set(s.uri for s in found)) == len(found)  # one suggestion per concept


def test_autocomplete_any_language_and_inner_words(unesco_index, plan):
    assert unesco_index.autocomplete("educ")[0].label == "Éducation"  # no language: French wins ties
    assert unesco_index.autocomplete("ecole", "fr")[0].score == 1.0  # exact
    english = unesco_index.autocomplete("primary sch", "fr")
    assert english[0].uri == UNESCO_NS + "concept8687" and english[0].lang == "en"
    index = LabelIndex(plan)
    assert index.autocomplete("stedenb")[0].uri == PLAN_NS + "1.777"
    # a word inside a label, after the label starts
    assert PLAN_NS + "1.777.81" in {s.uri for s in index.autocomplete("vergunning")}
    assert index.autocomplete("") == [] and index.autocomplete("zzzz") == []


def test_autocomplete_ranks_preflabels_above_altlabels(plan):
    index = LabelIndex(plan)
    found = index.autocomplete("perm", "fr")
    # "Permanence sociale" (prefLabel) before the shorter "Permis de bâtir" (altLabel of 1.777.81)
    assert [s.label for s in found] == ["Permanence sociale", "Permis de bâtir"]
    assert PLAN_NS + "1.777.80" not in {s.uri for s in found}  # deprecated: not proposed
    assert PLAN_NS + "1.777.80" in {s.uri for s in LabelIndex(plan, include_deprecated=True).autocomplete("perm")}


LETTER = """Commune de Modave — Service Enseignement

Madame la Bourgmestre,

Nous sollicitons un subside pour l'école primaire communale afin de financer des activités
d'éducation des adultes et d'alphabétisation. Les écoles primaires de notre entité accueillent aussi
des enfants réfugiés. La bibliothèque publique participe au projet de lecture, et la bibliothèque
communale prêtera ses locaux.

Veuillez agréer, Madame la Bourgmestre, l'expression de nos salutations distinguées.
"""


def test_match_text_finds_the_concepts_of_a_french_letter(unesco_index, unesco):
    found = unesco_index.match_text(LETTER, "fr")
    uris = [m.uri for m in found]
    labels = {unesco.label(m.uri) for m in found}
    assert uris[0] == UNESCO_NS + "concept8687"  # École primaire: twice, and specific
    assert {"Bibliothèque publique", "Alphabétisation", "Éducation des adultes", "Réfugié"} <= labels
    assert "Subvention" in labels  # through its altLabel "Subside"
    subsidy = next(m for m in found if unesco.label(m.uri) == "Subvention")
    assert subsidy.matched_label == "Subside"
    assert "École d'été" not in labels  # "école" alone is not "école d'été"
    assert "Éducateur d'adultes" not in labels  # same stems as "éducation des adultes", other words
    assert all(a.score >= b.score for a, b in zip(found, found[1:], strict=False))


def test_match_text_on_the_plan(plan):
    index = LabelIndex(plan)
    found = index.match_text("Objet : demande de permis d'urbanisme pour une véranda. Le permis d'urbanisme…")
    assert found[0].uri == PLAN_NS + "1.777.81"
    assert found[0].matched_label == "Permis d'urbanisme"
    assert index.match_text("") == []


def test_analysed_text_keeps_the_dropped_words():
    analysed = analyse("L'école d'été. Éducation des adultes", "fr")
    assert analysed.terms == ("ecol", "educ", "adult")
    assert analysed.gaps == (("ete", "|"), ("des",), ())
