"""SKOS import/export: the UNESCO round trip, the plan in every syntax, and every refusal."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.namespace import SKOS

from tests.thesaurus.conftest import DATA, PLAN_NS, UNESCO_NS
from thesaurus import skos
from thesaurus.skos import SkosValidationError

HEAD = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://ex.example/> .
"""


def refused(ttl: str, **options) -> SkosValidationError:
    with pytest.raises(SkosValidationError) as caught:
        skos.load((HEAD + ttl).encode(), format="turtle", **options)
    return caught.value


def test_unesco_is_read_whole(unesco):
    assert len(unesco.concepts) == 4414
    assert sum(len(c.broader) for c in unesco) == 4257
    assert sum(len(c.narrower) for c in unesco) == 4257
    assert sum(len(c.related) for c in unesco) == 12198
    assert len(unesco.collections) == 95
    assert all("fr" in c.pref_labels for c in unesco)
    assert sum(len(c.alt_labels.get("fr", [])) for c in unesco) == 4266
    education = unesco[UNESCO_NS + "concept2"]
    assert education.pref_label("fr") == "Éducation"
    assert education.top_concept_of == {"http://vocabularies.unesco.org/thesaurus"}
    assert unesco.schemes["http://vocabularies.unesco.org/thesaurus"].title("fr") == "Thésaurus de l'UNESCO"


def test_unesco_round_trip_gives_the_same_triples(unesco, unesco_graph):
    exported = skos.export(unesco, "turtle")
    again = Graph().parse(data=exported, format="turtle")
    expected = skos.supported_triples(unesco_graph)
    assert len(expected) == 69996  # 74,993 triples less dct:modified, isothes:, dc: and the like
    assert skos.supported_triples(again) == expected


@pytest.mark.parametrize("name", ["plan.ttl", "plan.rdf"])
def test_plan_reads_in_turtle_and_rdfxml(name):
    plan = skos.load_file(DATA / name)
    assert len(plan) == 8
    (permits,) = plan.by_notation("1.777.81")
    assert permits.uri == PLAN_NS + "1.777.81"
    assert permits.notations == [skos.Notation("1.777.81", PLAN_NS + "code")]
    assert permits.pref_label("fr") == "Urbanisme — permis"
    assert sorted(permits.alt_labels["fr"]) == ["Permis d'urbanisme", "Permis de bâtir"]
    assert permits.hidden_labels == {"fr": ["permis de batir"]}
    assert permits.definitions["fr"][0].startswith("Demandes")
    assert permits.scope_notes["fr"] == ["Les recours sont classés sous 1.777.83."]
    assert permits.exact_match == {UNESCO_NS + "concept3427"}
    assert permits.close_match == {"http://example.org/other/building-permits"}
    assert permits.broader == {PLAN_NS + "1.777"}
    assert permits.related == {PLAN_NS + "1.777.82"}
    assert plan[PLAN_NS + "1.777.82"].related == {PLAN_NS + "1.777.81"}  # symmetric
    assert PLAN_NS + "1.777.81" in plan[PLAN_NS + "1.777"].narrower
    # narrower written only in the file (1 → 1.57) gives broader in the model
    assert plan[PLAN_NS + "1.57"].broader == {PLAN_NS + "1"}
    old = plan[PLAN_NS + "1.777.80"]
    assert old.deprecated and old.replaced_by == {PLAN_NS + "1.777.81"}
    scheme = plan.schemes[PLAN_NS]
    assert scheme.title("nl") == "Classificatieplan van de gemeenten"
    assert scheme.top_concepts == {PLAN_NS + "1", PLAN_NS + "2"}
    assert plan.collections[PLAN_NS + "tutelle"].members == {PLAN_NS + "1.777.81", PLAN_NS + "1.777.82"}
    assert plan[PLAN_NS + "1.777"].notation == "1.777"


def test_turtle_rdfxml_and_ntriples_give_the_same_model():
    from_turtle = skos.load_file(DATA / "plan.ttl")
    from_xml = skos.load_file(DATA / "plan.rdf")
    triples = skos.supported_triples(skos.to_graph(from_turtle))
    assert skos.supported_triples(skos.to_graph(from_xml)) == triples
    nt = skos.export(from_turtle, "nt")
    assert skos.supported_triples(skos.to_graph(skos.load(nt, filename="plan.nt"))) == triples


@pytest.mark.parametrize("fmt", ["turtle", "xml", "nt"])
def test_plan_round_trips_in_every_export_format(plan, fmt):
    exported = skos.export(plan, fmt)
    again = skos.load(exported)  # the format is recognised from the bytes
    assert skos.supported_triples(skos.to_graph(again)) == skos.supported_triples(skos.to_graph(plan))
    # the file states each link once; the export adds the inverse sides, and nothing else
    source = skos.supported_triples(Graph().parse(DATA / "plan.ttl", format="turtle"))
    written = skos.supported_triples(Graph().parse(data=exported, format=fmt))
    assert source <= written
    inverse = {SKOS.broader: SKOS.narrower, SKOS.narrower: SKOS.broader, SKOS.related: SKOS.related}
    assert all((o, inverse[p], s) in source for s, p, o in written - source)


def test_import_reports_what_it_left_out():
    data = (
        HEAD
        + """
        @prefix dct: <http://purl.org/dc/terms/> .
        ex:a a skos:Concept , ex:Thing ; skos:prefLabel "A"@fr ; dct:modified "2024-01-01" ;
            skos:editorialNote "à revoir"@fr .
        """
    ).encode()
    graph = skos.parse_graph(data, "turtle")
    assert skos.ignored(graph, skos.from_graph(graph)) == {
        "dct:modified": 1,
        "rdf:type ex:Thing": 1,
        "skos:editorialNote": 1,
    }
    plan = DATA / "plan.ttl"
    graph = skos.parse_graph(plan.read_bytes(), filename=plan.name)
    assert skos.ignored(graph, skos.from_graph(graph)) == {}


def test_format_is_recognised_from_content_before_name():
    xml = (DATA / "plan.rdf").read_bytes()
    assert skos.detect_format(xml, "plan.ttl") == "xml"
    assert skos.detect_format(b"\xef\xbb\xbf  <rdf:RDF xmlns:rdf='x'/>") == "xml"
    assert skos.detect_format(b"<https://a> <https://b> <https://c> .\n", "x.nt") == "nt"
    assert skos.detect_format(b"<https://a> <https://b> <https://c> .\n") == "turtle"
    assert skos.detect_format(b"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .") == "turtle"


def test_broader_cycle_is_refused_naming_both_concepts():
    error = refused(
        """
        ex:a a skos:Concept ; skos:prefLabel "A"@fr ; skos:broader ex:b .
        ex:b a skos:Concept ; skos:prefLabel "B"@fr ; skos:broader ex:a .
        ex:c a skos:Concept ; skos:prefLabel "C"@fr ; skos:broader ex:a .
        """
    )
    assert {p.uri for p in error.problems} == {"https://ex.example/a", "https://ex.example/b"}
    assert all("broader cycle" in p.message for p in error.problems)
    assert "<https://ex.example/a> → <https://ex.example/b> → <https://ex.example/a>" in str(error)


def test_cycle_through_narrower_and_self_loop_are_refused():
    error = refused(
        """
        ex:a a skos:Concept ; skos:prefLabel "A"@fr ; skos:narrower ex:b ; skos:broader ex:c .
        ex:b a skos:Concept ; skos:prefLabel "B"@fr .
        ex:c a skos:Concept ; skos:prefLabel "C"@fr ; skos:broader ex:b .
        ex:d a skos:Concept ; skos:prefLabel "D"@fr ; skos:broader ex:d .
        """
    )
    assert {p.uri for p in error.problems} == {f"https://ex.example/{x}" for x in "abcd"}


def test_two_french_preflabels_are_refused_naming_the_concept():
    error = refused('ex:a a skos:Concept ; skos:prefLabel "Eau"@fr , "Eaux"@fr , "Water"@en .')
    (problem,) = error.problems
    assert problem.uri == "https://ex.example/a"
    assert "more than one skos:prefLabel in 'fr'" in problem.message


def test_links_to_missing_concepts_are_refused_all_at_once():
    error = refused(
        """
        ex:a a skos:Concept ; skos:prefLabel "A"@fr ; skos:broader ex:ghost ; skos:related ex:phantom .
        ex:b a skos:Concept ; skos:prefLabel ""@fr ; skos:narrower ex:nobody .
        ex:set a skos:Collection ; skos:member ex:a , ex:missing .
        """
    )
    messages = {(p.uri, p.message.split(":")[0]) for p in error.problems}
    assert messages == {
        ("https://ex.example/a", "skos"),
        ("https://ex.example/b", "skos"),
        ("https://ex.example/b", "empty skos"),
        ("https://ex.example/set", "skos"),
    }
    assert len(error.problems) == 5
    assert "<https://ex.example/ghost>: no such concept in the file" in str(error)


def test_known_uris_let_an_extension_hang_under_regional_concepts(plan):
    extension = skos.load(
        (HEAD + f'ex:kiosk a skos:Concept ; skos:prefLabel "Kiosque"@fr ; skos:broader <{PLAN_NS}1.777> .').encode(),
        known_uris={c.uri for c in plan},
    )
    assert extension["https://ex.example/kiosk"].broader == {PLAN_NS + "1.777"}
    plan.merge(extension)
    assert "https://ex.example/kiosk" in plan[PLAN_NS + "1.777"].narrower


def test_other_refusals():
    error = refused(
        """
        ex:a a skos:Concept , skos:Collection ; skos:prefLabel "A"@fr .
        [] a skos:Concept ; skos:prefLabel "anonymous"@fr .
        ex:c a skos:Concept ; skos:prefLabel ex:notALiteral ; skos:broader "text" .
        ex:d a skos:Concept ; skos:altLabel "only an altLabel"@fr .
        """
    )
    text = " ".join(str(p) for p in error.problems)
    assert ("https://ex.example/d", "concept without skos:prefLabel: nothing to show a clerk") in {
        (p.uri, p.message) for p in error.problems
    }
    assert "is both a concept and a collection" in text
    assert "blank node" in text
    assert "must be a text literal" in text
    assert "must point to a URI" in text


def test_relative_iris_and_syntax_errors_are_refused():
    with pytest.raises(SkosValidationError, match="relative IRI"):
        skos.load(b"<a> a <http://www.w3.org/2004/02/skos/core#Concept> .", format="turtle")
    with pytest.raises(SkosValidationError, match="Turtle syntax error"):
        skos.load(b"this is not turtle", format="turtle")
    with pytest.raises(SkosValidationError, match="not well-formed XML"):
        skos.load(b"<?xml version='1.0'?><rdf:RDF", format="xml")
    with pytest.raises(SkosValidationError, match="unsupported format"):
        skos.load(b"", format="json-ld")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <skos:Concept rdf:about="https://ex.example/a"><skos:prefLabel>&xxe;</skos:prefLabel></skos:Concept>
</rdf:RDF>"""


@pytest.mark.parametrize(
    ("doctype", "reason"),
    [
        ('<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>', "external entity"),
        ('<!DOCTYPE rdf:RDF [ <!ENTITY xxe PUBLIC "-//x" "http://evil.example/x"> ]>', "external entity"),
        ('<!DOCTYPE rdf:RDF SYSTEM "http://evil.example/rdf.dtd">', "external DTD"),
        ('<!DOCTYPE rdf:RDF [ <!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p; ]>', "parameter entity"),
        ('<!DOCTYPE rdf:RDF [ <!ENTITY a "aaaa"> <!ENTITY b "&a;&a;&a;&a;"> ]>', "refers to other entities"),
    ],
)
def test_unsafe_rdfxml_is_refused(doctype, reason):
    data = XXE.replace(XXE.splitlines()[1], doctype.encode())
    with pytest.raises(SkosValidationError, match=reason):
        skos.load(data, filename="evil.rdf")


def test_xxe_file_is_refused_before_rdflib_reads_it():
    with pytest.raises(SkosValidationError) as caught:
        skos.load(XXE, filename="evil.rdf")
    assert "passwd" in str(caught.value)
    assert caught.value.problems[0].uri == ""
