"""Closures, paths and the browse tree, on the plan and on UNESCO."""

from __future__ import annotations

from tests.thesaurus.conftest import PLAN_NS, UNESCO_NS
from thesaurus.hierarchy import (
    ancestors,
    children,
    descendants,
    find_cycles,
    path_to_top,
    paths_to_top,
    tree,
)
from thesaurus.model import Concept, Thesaurus


def test_descendants_with_depth(plan):
    found = descendants(plan, PLAN_NS + "1")
    assert found[PLAN_NS + "1.777"] == 1 and found[PLAN_NS + "1.57"] == 1
    assert found[PLAN_NS + "1.777.81"] == 2
    assert PLAN_NS + "1" not in found
    assert set(descendants(plan, PLAN_NS + "1", max_depth=1)) == {PLAN_NS + "1.777", PLAN_NS + "1.57"}
    assert descendants(plan, PLAN_NS + "2.1") == {}
    assert descendants(plan, "urn:missing") == {}


def test_ancestors_and_paths(plan, unesco):
    assert ancestors(plan, PLAN_NS + "1.777.81") == {PLAN_NS + "1.777": 1, PLAN_NS + "1": 2}
    assert path_to_top(plan, PLAN_NS + "1.777.81") == [PLAN_NS + "1", PLAN_NS + "1.777", PLAN_NS + "1.777.81"]
    primary = UNESCO_NS + "concept8687"  # École primaire
    for path in paths_to_top(unesco, primary):
        assert path[-1] == primary
        assert not unesco[path[0]].broader
        assert all(path[i] in unesco[path[i + 1]].broader for i in range(len(path) - 1))


def test_walks_survive_a_cycle_made_after_import():
    t = Thesaurus()
    for uri in "abc":
        t.add_concept(Concept(uri, {"fr": uri.upper()}))
    t.add_broader("b", "a")
    t.add_broader("c", "b")
    t.add_broader("a", "c")
    assert descendants(t, "a") == {"b": 1, "c": 2}
    assert ancestors(t, "a") == {"c": 1, "b": 2}
    assert paths_to_top(t, "a")


def test_children_sorted_by_french_label_ignoring_accents(unesco):
    school = UNESCO_NS + "concept46"  # École
    labels = [c.pref_label("fr") for c in children(unesco, school)]
    assert len(labels) == 16
    assert labels[:3] == ["École associée", "École communautaire", "École confessionnelle"]
    assert labels.index("Internat") < labels.index("Petite école")


def test_tree_opens_levels_on_demand(plan):
    top = tree(plan, depth=2)
    assert [n.label for n in top] == ["Administration générale", "Enseignement"]
    assert top[0].notation == "1" and top[0].has_children
    assert [n.label for n in top[0].children] == ["Permanence sociale", "Urbanisme"]
    assert top[0].children[1].has_children and top[0].children[1].children == []
    assert [n.notation for n in tree(plan, PLAN_NS + "1.777")] == ["1.777.82", "1.777.81"]
    with_old = tree(plan, PLAN_NS + "1.777", include_deprecated=True)
    assert [(n.notation, n.deprecated) for n in with_old][0] == ("1.777.80", True)


def test_find_cycles():
    assert find_cycles({"a": ["b"], "b": ["c"], "c": []}) == []
    assert find_cycles({"b": ["a"], "a": ["b"]}) == [["a", "b"]]
    assert find_cycles({"x": ["x"]}) == [["x"]]
    cycles = find_cycles({"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["e"], "e": ["d"]})
    assert cycles == [["a", "b", "c"], ["d", "e"]]
    deep = {str(i): [str(i + 1)] for i in range(5000)}  # no recursion limit on a deep hierarchy
    deep["5000"] = ["0"]
    (cycle,) = find_cycles(deep)
    assert len(cycle) == 5001
