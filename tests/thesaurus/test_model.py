"""The model keeps both sides of every link, whatever order concepts and links arrive in."""

from __future__ import annotations

import pytest

from tests.thesaurus.conftest import PLAN_NS
from thesaurus.model import Concept, ConceptScheme, Thesaurus


def test_broader_adds_narrower_and_back():
    t = Thesaurus()
    t.add_concept(Concept("a", {"fr": "A"}))
    t.add_concept(Concept("b", {"fr": "B"}))
    t.add_broader("b", "a")
    assert t["b"].broader == {"a"} and t["a"].narrower == {"b"}
    t.add_narrower("a", "c")  # c does not exist yet: kept pending
    assert t["a"].narrower == {"b", "c"}
    t.add_concept(Concept("c", {"fr": "C"}))
    assert t["c"].broader == {"a"}
    t.remove_broader("b", "a")
    assert t["b"].broader == frozenset() and t["a"].narrower == {"c"}


def test_related_is_symmetric_and_top_concepts_mirror():
    t = Thesaurus()
    t.add_concept(Concept("a"))
    t.add_related("a", "b")
    t.add_concept(Concept("b"))
    assert t["b"].related == {"a"} and t["a"].related == {"b"}
    t.remove_related("b", "a")
    assert not t["a"].related and not t["b"].related
    t.add_top_concept("s", "a")
    t.add_scheme(ConceptScheme("s", titles={"fr": "Schéma"}))
    assert t.schemes["s"].top_concepts == {"a"} and t["a"].top_concept_of == {"s"}
    assert t.top_concepts("s") == [t["a"]]
    with pytest.raises(KeyError):
        t.add_broader("x", "y")
    with pytest.raises(ValueError, match="already exists"):
        t.add_concept(Concept("a"))


def test_link_views_cannot_be_changed_behind_the_thesaurus():
    concept = Concept("a")
    with pytest.raises(AttributeError):
        concept.broader.add("b")  # type: ignore[attr-defined]


def test_lookups(plan):
    assert plan.label(PLAN_NS + "1.777", "nl") == "Stedenbouw"
    assert plan.label(PLAN_NS + "1.777.82", "nl") == "Urbanisme — certificats"  # falls back to French
    assert plan.label(PLAN_NS + "tutelle") == "Matières soumises à tutelle"
    assert plan.label("urn:unknown") == "urn:unknown"
    assert [c.uri for c in plan.by_notation("2.1")] == [PLAN_NS + "2.1"]
    assert plan.by_notation("9.99") == []
    assert [c.uri for c in plan.find_label("URBANISME")] == [PLAN_NS + "1.777"]
    assert [c.uri for c in plan.find_label("permis de batir")] == [PLAN_NS + "1.777.81"]
    assert {c.uri for c in plan.top_concepts()} == {PLAN_NS + "1", PLAN_NS + "2"}
    assert len(plan.in_scheme(PLAN_NS)) == 8
    assert {c.uri for c in plan.members(PLAN_NS + "tutelle")} == {PLAN_NS + "1.777.81", PLAN_NS + "1.777.82"}
    assert [c.uri for c in plan.collections_of(PLAN_NS + "1.777.82")] == [PLAN_NS + "tutelle"]
    assert plan[PLAN_NS + "1.777.81"].notation == "1.777.81"
    assert ("alt", "fr", "Permis de bâtir") in set(plan[PLAN_NS + "1.777.81"].labels())


def test_unesco_nested_collections(unesco):
    domain = unesco.collections["http://vocabularies.unesco.org/thesaurus/domain1"]
    assert domain.pref_label("fr") == "Education"
    assert all(m in unesco.collections for m in domain.members)  # a domain holds micro-thesauri
    assert len(unesco.members(domain.uri)) > 500


def test_merge_refuses_redefinitions(plan):
    other = Thesaurus()
    other.add_concept(Concept(PLAN_NS + "1"))
    with pytest.raises(ValueError, match="already defined"):
        plan.merge(other)
