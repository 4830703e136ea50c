"""The UNESCO thesaurus (4,414 concepts) stored in the database and given back triple for triple, on both
stacks; autocomplete through the API. The file is parsed once per session."""

from __future__ import annotations

import pytest

from dms import vocabulary
from dms.db import unit_of_work
from tests.thesaurus_service_data import UNESCO, drop_schemes, make_curator
from thesaurus import skos

UNESCO_SCHEME = "http://vocabularies.unesco.org/thesaurus"


@pytest.fixture(scope="session")
def unesco_parsed():
    graph = skos.parse_graph(UNESCO.read_bytes(), filename=UNESCO.name)
    thesaurus = skos.from_graph(graph)
    return thesaurus, skos.supported_triples(graph), skos.ignored(graph, thesaurus)


def test_unesco_round_trip_and_autocomplete(runtime, client, unesco_parsed):
    thesaurus, triples, ignored = unesco_parsed
    try:
        with unit_of_work(runtime.backends.engine) as session:
            summary = vocabulary.store(session, thesaurus, ignored=ignored)
        assert (summary.scheme_uri, summary.concepts, summary.version) == (UNESCO_SCHEME, 4414, 1)
        assert sum(summary.ignored.values()) == 4997
        with unit_of_work(runtime.backends.engine, write=False) as session:
            _row, data = vocabulary.export_scheme(session, None, fmt="nt")
        assert skos.supported_triples(skos.parse_graph(data, format="nt")) == triples

        curator = make_curator(runtime)
        found = client.get("/api/v1/thesaurus/autocomplete", params={"q": "éduc", "lang": "fr"},
                           headers=curator.headers).json()
        labels = [f["label"] for f in found]
        assert labels[0] == "Éducation"
        assert {"Éducation morale", "Éducation rurale", "Éducation de base"} <= set(labels)
    finally:
        drop_schemes(runtime, UNESCO_SCHEME)
