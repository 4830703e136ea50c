"""SKOS import and export with rdflib: Turtle, RDF/XML and N-Triples in, Turtle and RDF/XML out.

Import is all-or-nothing: every problem of a file (duplicate prefLabel, broader cycle, link to a concept that
does not exist, empty label…) is collected, each naming the resource, and raised together in one
``SkosValidationError``, so that a curator fixes the file in one pass and the caller changes nothing.

RDF/XML is read only after a prolog check refuses external DTDs, external and parameter entities and nested
entity definitions (XXE, billion laughs); rdflib's own SAX reader is additionally required to leave external
entities unresolved. Turtle and N-Triples cannot fetch anything. Bytes are parsed from memory with a
sentinel base, so a relative IRI is reported instead of being resolved against the server's working folder.
"""

from __future__ import annotations

import os
import re
import xml.parsers.expat
import xml.sax
import xml.sax.handler
from collections import Counter
from collections.abc import Collection as AbstractCollection
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS
from rdflib.term import Node

from thesaurus.hierarchy import find_cycles
from thesaurus.model import Collection, Concept, ConceptScheme, Notation, Thesaurus

MAX_BYTES = 64 * 1024 * 1024
#: Parsed with this base so that relative IRIs stand out (``.invalid`` is reserved, RFC 2606).
SENTINEL_BASE = "http://relative-iri.invalid/"
#: An absolute IRI starts with a scheme (RFC 3987: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
MAX_XML_ENTITIES = 64
MAX_XML_ENTITY_CHARS = 4096

LABEL_PREDICATES = {"pref": SKOS.prefLabel, "alt": SKOS.altLabel, "hidden": SKOS.hiddenLabel}
NOTE_PREDICATES = {"definitions": SKOS.definition, "scope_notes": SKOS.scopeNote}
CONCEPT_LINKS = {"broader": SKOS.broader, "narrower": SKOS.narrower, "related": SKOS.related}

#: What import reads and export writes; anything else in a file is outside the model (see docs/thesaurus.md).
SUPPORTED_PREDICATES = frozenset(
    {
        SKOS.prefLabel,
        SKOS.altLabel,
        SKOS.hiddenLabel,
        SKOS.broader,
        SKOS.narrower,
        SKOS.related,
        SKOS.notation,
        SKOS.definition,
        SKOS.scopeNote,
        SKOS.exactMatch,
        SKOS.closeMatch,
        SKOS.inScheme,
        SKOS.hasTopConcept,
        SKOS.topConceptOf,
        SKOS.member,
        OWL.deprecated,
        DCTERMS.isReplacedBy,
        DCTERMS.title,
    }
)
SUPPORTED_CLASSES = frozenset({SKOS.Concept, SKOS.ConceptScheme, SKOS.Collection})

FORMATS = {
    "turtle": "turtle",
    "ttl": "turtle",
    "text/turtle": "turtle",
    "xml": "xml",
    "rdf": "xml",
    "rdfxml": "xml",
    "rdf/xml": "xml",
    "application/rdf+xml": "xml",
    "nt": "nt",
    "ntriples": "nt",
    "n-triples": "nt",
    "application/n-triples": "nt",
}
_UNSAFE_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')  # what no IRI may hold (RFC 3987), unescaped
_XML_START = re.compile(rb"^(?:<\?xml|<!--|<!DOCTYPE|<(?:[A-Za-z_][\w.-]*:)?RDF[\s>/])")


@dataclass(frozen=True)
class Problem:
    """One reason a file is refused; ``uri`` names the resource ("" for the file as a whole)."""

    uri: str
    message: str

    def __str__(self) -> str:
        return f"<{self.uri}>: {self.message}" if self.uri else self.message


class SkosValidationError(ValueError):
    """The file is refused; ``problems`` lists every reason found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.uri, p.message))
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the SKOS file: {shown}{more}")


# -- reading bytes ------------------------------------------------------------------------------------------


def detect_format(data: bytes, filename: str | None = None) -> str:
    """``xml``, ``nt`` or ``turtle``: XML is recognised from the bytes whatever the name says; otherwise a
    ``.nt`` name means N-Triples and anything else is read as Turtle (which also accepts N-Triples)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if _XML_START.match(head):
        return "xml"
    if filename and Path(filename).suffix.lower() == ".nt":
        return "nt"
    return "turtle"


def check_xml_prolog(data: bytes) -> None:
    """Refuse XML whose DOCTYPE could read files, reach the network or blow up in memory.

    Internal entities holding plain text (Protégé writes ``<!ENTITY skos "http://…#">``) are allowed; an
    external DTD, an external or parameter entity, or an entity that refers to other entities is not.
    """
    problems: list[Problem] = []
    entities = 0

    def doctype(name: str, system_id: str | None, public_id: str | None, _internal: int) -> None:
        if system_id or public_id:
            problems.append(Problem("", f"refused: the DOCTYPE loads an external DTD ({system_id or public_id})"))

    def entity(
        name: str,
        is_parameter: int,
        value: str | None,
        _base: str | None,
        system_id: str | None,
        public_id: str | None,
        _notation: str | None,
    ) -> None:
        nonlocal entities
        entities += 1
        if is_parameter:
            problems.append(Problem("", f"refused: parameter entity %{name}; in the DOCTYPE"))
        elif value is None or system_id or public_id:
            problems.append(Problem("", f"refused: external entity &{name}; ({system_id or public_id})"))
        elif "&" in value or "%" in value or len(value) > MAX_XML_ENTITY_CHARS:
            problems.append(Problem("", f"refused: entity &{name}; refers to other entities or is too long"))
        if entities > MAX_XML_ENTITIES:
            problems.append(Problem("", f"refused: more than {MAX_XML_ENTITIES} entities in the DOCTYPE"))

    class _RootReached(Exception):
        pass

    def root(_name: str, _attrs: object) -> None:
        raise _RootReached

    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _RootReached:
        pass
    except xml.parsers.expat.ExpatError as exc:
        problems.append(Problem("", f"not well-formed XML: {exc}"))
    except (LookupError, ValueError) as exc:  # an encoding Python does not know (encoding="utf-9")
        problems.append(Problem("", f"not readable XML: {exc}"))
    if problems:
        raise SkosValidationError(problems)


def _require_safe_sax_defaults() -> None:
    """rdflib builds its own SAX reader; it must not resolve external entities even if a check above failed."""
    reader = xml.sax.make_parser()  # noqa: S317 - only asked for its defaults, parses nothing
    if reader.getFeature(xml.sax.handler.feature_external_ges):
        raise RuntimeError("the default SAX reader resolves external entities: refusing to parse RDF/XML")


def parse_graph(data: bytes, format: str | None = None, filename: str | None = None) -> Graph:
    """The RDF graph of a file's bytes, safely parsed; raises ``SkosValidationError`` on unsafe or bad syntax."""
    if len(data) > MAX_BYTES:
        raise SkosValidationError([Problem("", f"file larger than {MAX_BYTES // (1024 * 1024)} MiB")])
    fmt = FORMATS.get(format.lower(), None) if format else detect_format(data, filename)
    if fmt is None:
        raise SkosValidationError([Problem("", f"unsupported format {format!r}: use turtle, xml or nt")])
    if fmt == "xml":
        check_xml_prolog(data)
        _require_safe_sax_defaults()
    graph = Graph(bind_namespaces="core")
    try:
        graph.parse(data=data, format=fmt, publicID=SENTINEL_BASE)
    except Exception as exc:  # rdflib raises a different class per parser; all mean a syntax error
        name = {"xml": "RDF/XML", "nt": "N-Triples", "turtle": "Turtle"}[fmt]
        raise SkosValidationError([Problem("", f"{name} syntax error: {exc}")]) from exc
    bad = sorted({str(term) for triple in graph for term in triple
                  if isinstance(term, URIRef) and _UNSAFE_IRI.search(str(term))})
    if bad:  # rdflib's Turtle reader lets some through, and its writers then fail: the import could not export
        raise SkosValidationError([Problem(uri[:200], "not a valid IRI (spaces, control characters or <>\"{}|\\^`)")
                                   for uri in bad])
    return graph


def load(
    data: bytes,
    *,
    filename: str | None = None,
    format: str | None = None,
    known_uris: AbstractCollection[str] = frozenset(),
) -> Thesaurus:
    """Parse and validate a SKOS file; ``known_uris`` are concepts that links may target outside the file
    (the regional concepts a tenant extension hangs its own under)."""
    return from_graph(parse_graph(data, format, filename), known_uris=known_uris)


def load_file(path: str | os.PathLike[str], **options) -> Thesaurus:
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise SkosValidationError([Problem("", f"file larger than {MAX_BYTES // (1024 * 1024)} MiB")])
    return load(path.read_bytes(), filename=path.name, **options)


# -- graph to model -----------------------------------------------------------------------------------------


def _text(node: Node) -> str:
    return str(node)


def _lang(literal: Literal) -> str:
    return (literal.language or "").lower()


class _Reader:
    """Builds the model from a graph, collecting problems instead of stopping at the first."""

    def __init__(self, graph: Graph, known_uris: AbstractCollection[str]) -> None:
        self.known = frozenset(known_uris)
        self.problems: list[Problem] = []
        # one pass over the graph, bucketed by predicate: rdflib's per-pattern lookups cost ~10 µs a triple
        self.pairs: dict[Node, list[tuple[Node, Node]]] = {p: [] for p in (*SUPPORTED_PREDICATES, RDF.type)}
        self.relative: set[Node] = set()
        for s, p, o in graph:
            bucket = self.pairs.get(p)
            if bucket is not None:
                bucket.append((s, o))
            for node in (s, p, o):
                if isinstance(node, URIRef) and (node.startswith(SENTINEL_BASE) or not _ABSOLUTE_IRI.match(node)):
                    self.relative.add(node)  # N-Triples is not resolved against a base: check the scheme too

    def problem(self, node: Node, message: str) -> None:
        uri = node.n3() if isinstance(node, BNode) else _text(node)
        self.problems.append(Problem(uri, message))

    def subjects(self, predicate: URIRef, obj: Node | None = None) -> set[Node]:
        return {s for s, o in self.pairs[predicate] if obj is None or o == obj}

    def read(self) -> Thesaurus:
        concepts = self.subjects(RDF.type, SKOS.Concept)
        schemes = self.subjects(RDF.type, SKOS.ConceptScheme) | self.subjects(SKOS.hasTopConcept)
        collections = self.subjects(RDF.type, SKOS.Collection) | self.subjects(SKOS.member)
        # SKOS semantic relations have skos:Concept as domain: a subject using them is a concept
        others = schemes | collections
        for predicate in (*CONCEPT_LINKS.values(), SKOS.topConceptOf):
            concepts.update(s for s in self.subjects(predicate) if s not in others)
        self.check_kinds(concepts, schemes, collections)
        for node in self.relative:
            self.problem(node, "relative IRI in a file without a base (@base / xml:base)")

        thesaurus = Thesaurus()
        resources: dict[Node, Concept | ConceptScheme | Collection] = {}
        for node in sorted(schemes, key=str):
            resources[node] = thesaurus.add_scheme(ConceptScheme(_text(node)))
        for node in sorted(concepts, key=str):
            resources[node] = thesaurus.add_concept(Concept(_text(node)))
        for node in sorted(collections, key=str):
            resources[node] = thesaurus.add_collection(Collection(_text(node)))

        self.read_labels(resources)
        self.read_notes_and_notations(resources)
        self.read_links(thesaurus, resources, concepts, collections)
        self.read_cycles(concepts)
        if self.problems:
            raise SkosValidationError(self.problems)
        return thesaurus

    def check_kinds(self, concepts: set[Node], schemes: set[Node], collections: set[Node]) -> None:
        for a, b, name in (
            (concepts, schemes, "a concept and a concept scheme"),
            (concepts, collections, "a concept and a collection"),
            (schemes, collections, "a concept scheme and a collection"),
        ):
            for node in a & b:
                self.problem(node, f"is both {name}")
        for node in concepts | schemes | collections:
            if not isinstance(node, URIRef):
                self.problem(node, "a SKOS resource needs a URI (blank node found): records cite concepts by URI")

    def read_labels(self, resources: dict[Node, Concept | ConceptScheme | Collection]) -> None:
        for kind, predicate in LABEL_PREDICATES.items():
            name = f"skos:{predicate.fragment}"
            for subject, obj in self.pairs[predicate]:
                resource = resources.get(subject)
                if resource is None:
                    continue
                if not isinstance(obj, Literal):
                    self.problem(subject, f"{name} must be a text literal, found <{obj}>")
                    continue
                text, lang = _text(obj), _lang(obj)
                if not text.strip():
                    self.problem(subject, f"empty {name}" + (f" in '{lang}'" if lang else ""))
                    continue
                if kind == "pref":
                    self.set_unique(subject, resource.pref_labels, lang, text, name)
                elif isinstance(resource, Concept):
                    target = resource.alt_labels if kind == "alt" else resource.hidden_labels
                    target.setdefault(lang, []).append(text)
        for subject, obj in self.pairs[DCTERMS.title]:
            resource = resources.get(subject)
            if isinstance(resource, ConceptScheme) and isinstance(obj, Literal):
                self.set_unique(subject, resource.titles, _lang(obj), _text(obj), "dcterms:title")
        labelled = {subject for subject, _ in self.pairs[SKOS.prefLabel]}
        for node, resource in resources.items():
            if isinstance(resource, Concept):
                if node not in labelled:
                    self.problem(node, "concept without skos:prefLabel: nothing to show a clerk")
                for labels in (resource.alt_labels, resource.hidden_labels):
                    for texts in labels.values():
                        texts.sort()

    def set_unique(self, subject: Node, target: dict[str, str], lang: str, text: str, name: str) -> None:
        if lang in target and target[lang] != text:
            where = f"'{lang}'" if lang else "no language"
            self.problem(subject, f"more than one {name} in {where}: {target[lang]!r} and {text!r}")
        target[lang] = text

    def read_notes_and_notations(self, resources: dict[Node, Concept | ConceptScheme | Collection]) -> None:
        for subject, obj in self.pairs[SKOS.notation]:
            resource = resources.get(subject)
            if not isinstance(resource, Concept | Collection):
                continue
            if not isinstance(obj, Literal) or not str(obj).strip():
                self.problem(subject, "skos:notation must be a non-empty literal")
                continue
            datatype = str(obj.datatype) if obj.datatype else None
            resource.notations.append(Notation(_text(obj), datatype))
        for attribute, predicate in NOTE_PREDICATES.items():
            for subject, obj in self.pairs[predicate]:
                resource = resources.get(subject)
                if isinstance(resource, Concept) and isinstance(obj, Literal):
                    getattr(resource, attribute).setdefault(_lang(obj), []).append(_text(obj))
        for subject, obj in self.pairs[OWL.deprecated]:
            resource = resources.get(subject)
            if isinstance(resource, Concept) and isinstance(obj, Literal):
                resource.deprecated = str(obj).strip().lower() in ("true", "1")
        for resource in resources.values():
            if isinstance(resource, Concept | Collection):
                resource.notations.sort()
            if isinstance(resource, Concept):
                for notes in (*resource.definitions.values(), *resource.scope_notes.values()):
                    notes.sort()

    def uri_objects(self, predicate: URIRef, subjects: AbstractCollection[Node]) -> Iterable[tuple[Node, URIRef]]:
        """(subject, object) pairs of ``predicate`` for the given subjects, reporting non-URI objects."""
        for subject, obj in self.pairs[predicate]:
            if subject not in subjects:
                continue
            if isinstance(obj, URIRef):
                yield subject, obj
            else:
                self.problem(subject, f"skos:{predicate.fragment} must point to a URI, found {obj.n3()}")

    def read_links(
        self,
        thesaurus: Thesaurus,
        resources: dict[Node, Concept | ConceptScheme | Collection],
        concepts: set[Node],
        collections: set[Node],
    ) -> None:
        def target_ok(subject: Node, obj: URIRef, predicate: URIRef, allowed: set[Node], what: str) -> bool:
            if obj in allowed or str(obj) in self.known:
                return True
            self.problem(subject, f"skos:{predicate.fragment} <{obj}>: no such {what} in the file")
            return False

        for name, predicate in CONCEPT_LINKS.items():
            for subject, obj in self.uri_objects(predicate, concepts):
                if not target_ok(subject, obj, predicate, concepts, "concept"):
                    continue
                if name == "broader":
                    thesaurus.add_broader(str(subject), str(obj))
                elif name == "narrower":
                    thesaurus.add_narrower(str(subject), str(obj))
                else:
                    thesaurus.add_related(str(subject), str(obj))
        for subject, obj in self.uri_objects(SKOS.member, collections):
            if target_ok(subject, obj, SKOS.member, concepts | collections, "concept or collection"):
                thesaurus.collections[str(subject)].members.add(str(obj))
        schemes = {n for n, r in resources.items() if isinstance(r, ConceptScheme)}
        for subject, obj in self.uri_objects(SKOS.hasTopConcept, schemes):
            if target_ok(subject, obj, SKOS.hasTopConcept, concepts, "concept"):
                thesaurus.add_top_concept(str(subject), str(obj))
        for subject, obj in self.uri_objects(SKOS.topConceptOf, concepts):
            thesaurus.add_top_concept(str(obj), str(subject))
        for subject, obj in self.uri_objects(SKOS.inScheme, concepts):
            thesaurus.concepts[str(subject)].schemes.add(str(obj))
        for subject, obj in self.uri_objects(SKOS.inScheme, collections):
            thesaurus.collections[str(subject)].schemes.add(str(obj))
        for predicate, attribute in (
            (SKOS.exactMatch, "exact_match"),
            (SKOS.closeMatch, "close_match"),
            (DCTERMS.isReplacedBy, "replaced_by"),
        ):
            for subject, obj in self.uri_objects(predicate, concepts):
                getattr(thesaurus.concepts[str(subject)], attribute).add(str(obj))

    def read_cycles(self, concepts: set[Node]) -> None:
        edges: dict[str, set[str]] = {}
        for subject, obj in self.pairs[SKOS.broader]:
            if subject in concepts and obj in concepts:
                edges.setdefault(str(subject), set()).add(str(obj))
        for subject, obj in self.pairs[SKOS.narrower]:
            if subject in concepts and obj in concepts:
                edges.setdefault(str(obj), set()).add(str(subject))
        for cycle in find_cycles(edges):
            chain = " → ".join(f"<{uri}>" for uri in [*cycle, cycle[0]])
            for uri in cycle:
                self.problems.append(Problem(uri, f"broader cycle: {chain}"))


def from_graph(graph: Graph, known_uris: AbstractCollection[str] = frozenset()) -> Thesaurus:
    """The validated model of an RDF graph; raises ``SkosValidationError`` listing every problem."""
    return _Reader(graph, known_uris).read()


# -- model to graph -----------------------------------------------------------------------------------------


def _literal(text: str, lang: str) -> Literal:
    return Literal(text, lang=lang or None)


def to_graph(thesaurus: Thesaurus) -> Graph:
    """The RDF graph of the model: exactly the supported properties, both directions of broader/narrower
    and of hasTopConcept/topConceptOf (as the UNESCO file and most published thesauri write them)."""
    g = Graph(bind_namespaces="core")
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    add = g.add
    for scheme in thesaurus.schemes.values():
        s = URIRef(scheme.uri)
        add((s, RDF.type, SKOS.ConceptScheme))
        for lang, text in scheme.titles.items():
            add((s, DCTERMS.title, _literal(text, lang)))
        for lang, text in scheme.pref_labels.items():
            add((s, SKOS.prefLabel, _literal(text, lang)))
        for uri in scheme.top_concepts:
            add((s, SKOS.hasTopConcept, URIRef(uri)))
    for concept in thesaurus.concepts.values():
        s = URIRef(concept.uri)
        add((s, RDF.type, SKOS.Concept))
        for label in concept.labels():
            add((s, LABEL_PREDICATES[label.kind], _literal(label.text, label.language)))
        for notation in concept.notations:
            add((s, SKOS.notation, _notation(notation)))
        for attribute, predicate in NOTE_PREDICATES.items():
            for lang, notes in getattr(concept, attribute).items():
                for note in notes:
                    add((s, predicate, _literal(note, lang)))
        for predicate, uris in (
            (SKOS.broader, concept.broader),
            (SKOS.narrower, concept.narrower),
            (SKOS.related, concept.related),
            (SKOS.inScheme, concept.schemes),
            (SKOS.topConceptOf, concept.top_concept_of),
            (SKOS.exactMatch, concept.exact_match),
            (SKOS.closeMatch, concept.close_match),
            (DCTERMS.isReplacedBy, concept.replaced_by),
        ):
            for uri in uris:
                add((s, predicate, URIRef(uri)))
        if concept.deprecated:
            add((s, OWL.deprecated, Literal(True)))
    for collection in thesaurus.collections.values():
        s = URIRef(collection.uri)
        add((s, RDF.type, SKOS.Collection))
        for lang, text in collection.pref_labels.items():
            add((s, SKOS.prefLabel, _literal(text, lang)))
        for notation in collection.notations:
            add((s, SKOS.notation, _notation(notation)))
        for uri in collection.schemes:
            add((s, SKOS.inScheme, URIRef(uri)))
        for uri in collection.members:
            add((s, SKOS.member, URIRef(uri)))
    return g


def _notation(notation: Notation) -> Literal:
    return Literal(notation.value, datatype=URIRef(notation.datatype) if notation.datatype else None)


def export(thesaurus: Thesaurus, format: str = "turtle") -> bytes:
    """The thesaurus as a SKOS file: ``turtle``, ``xml`` (RDF/XML) or ``nt`` (N-Triples), UTF-8."""
    fmt = FORMATS.get(format.lower())
    if fmt is None:
        raise ValueError(f"unsupported export format {format!r}: use turtle, xml or nt")
    return to_graph(thesaurus).serialize(format=fmt, encoding="utf-8")


def ignored(graph: Graph, thesaurus: Thesaurus) -> dict[str, int]:
    """What an import left out, as triple counts by predicate (``rdf:type`` by class), for the summary that
    the CLI prints after an import: e.g. UNESCO's ``dct:modified`` dates and ``isothes:`` groups."""
    written = set(to_graph(thesaurus))
    counts: Counter[str] = Counter()
    names = graph.namespace_manager
    for s, p, o in graph:
        if (s, p, o) not in written:
            key = names.normalizeUri(p)
            if p == RDF.type and isinstance(o, URIRef):
                key += " " + names.normalizeUri(o)
            counts[key] += 1
    return dict(counts.most_common())


def supported_triples(graph: Graph) -> set[tuple[Node, Node, Node]]:
    """The triples of ``graph`` that the model keeps, what a round trip must give back unchanged: the SKOS
    class memberships, and the supported properties of resources typed with a SKOS class."""
    typed = {t for t in graph.triples((None, RDF.type, None)) if t[2] in SUPPORTED_CLASSES}
    subjects = {t[0] for t in typed}
    return typed | {t for t in graph if t[1] in SUPPORTED_PREDICATES and t[0] in subjects}
