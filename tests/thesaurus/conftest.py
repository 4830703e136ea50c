"""The UNESCO thesaurus parsed once per session (a few seconds), and the small hand-written plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from thesaurus import skos
from thesaurus.expansion import QueryExpander
from thesaurus.matching import LabelIndex
from thesaurus.model import Thesaurus

DATA = Path(__file__).parent / "data"
UNESCO = Path(__file__).resolve().parents[3] / "shared/data/thesaurus/unesco-thesaurus.ttl"
UNESCO_NS = "http://vocabularies.unesco.org/thesaurus/"
PLAN_NS = "https://thesaurus.region.example/plan/"


@pytest.fixture(scope="session")
def unesco_graph() -> Graph:
    return skos.parse_graph(UNESCO.read_bytes(), filename=UNESCO.name)


@pytest.fixture(scope="session")
def unesco(unesco_graph) -> Thesaurus:
    return skos.from_graph(unesco_graph)


@pytest.fixture(scope="session")
def unesco_index(unesco) -> LabelIndex:
    return LabelIndex(unesco)


@pytest.fixture(scope="session")
def unesco_expander(unesco) -> QueryExpander:
    return QueryExpander(unesco)


@pytest.fixture
def plan() -> Thesaurus:
    return skos.load_file(DATA / "plan.ttl")
