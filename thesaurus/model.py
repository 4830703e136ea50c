"""The in-memory SKOS model: concepts, schemes and collections, held by one ``Thesaurus``.

The model is what every other part of the vocabulary layer works on (hierarchy, matching, expansion) and what
the core persists; RDF only appears at the edges (``thesaurus.skos``). Links between concepts are changed
through the ``Thesaurus`` so that both directions stay consistent: adding ``broader`` adds the ``narrower``,
``related`` is symmetric, ``hasTopConcept`` mirrors ``topConceptOf``. A link may point to a URI that is not in
this thesaurus (a tenant extension placed under a regional concept); then only the local side exists.

Language keys are lowercase BCP 47 tags; ``""`` is a label without a language tag.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from thesaurus.analysis import fold_accents

LabelKind = Literal["pref", "alt", "hidden"]

#: Languages tried, in order, when a label is wanted in a language the concept lacks.
FALLBACK_LANGUAGES = ("fr", "nl", "de", "en", "")


class Notation(NamedTuple):
    """A skos:notation: the code and its datatype URI (kept so that export writes back the same literal)."""

    value: str
    datatype: str | None = None


class Label(NamedTuple):
    kind: LabelKind
    language: str
    text: str


def label_key(text: str) -> str:
    """The accent-, case- and spacing-insensitive form used to compare labels and sort them for display."""
    return " ".join(fold_accents(text).casefold().split())


def _pick(labels: dict[str, str], language: str | None) -> str | None:
    if language is not None and language.lower() in labels:
        return labels[language.lower()]
    for fallback in FALLBACK_LANGUAGES:
        if fallback in labels:
            return labels[fallback]
    return next(iter(sorted(labels.items())), (None, None))[1]


@dataclass(eq=False)
class Concept:
    """One skos:Concept. Link sets are read-only views: change them through ``Thesaurus`` methods."""

    uri: str
    pref_labels: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, list[str]] = field(default_factory=dict)
    hidden_labels: dict[str, list[str]] = field(default_factory=dict)
    notations: list[Notation] = field(default_factory=list)
    definitions: dict[str, list[str]] = field(default_factory=dict)
    scope_notes: dict[str, list[str]] = field(default_factory=dict)
    schemes: set[str] = field(default_factory=set)
    exact_match: set[str] = field(default_factory=set)
    close_match: set[str] = field(default_factory=set)
    deprecated: bool = False
    replaced_by: set[str] = field(default_factory=set)
    _broader: set[str] = field(default_factory=set, init=False, repr=False)
    _narrower: set[str] = field(default_factory=set, init=False, repr=False)
    _related: set[str] = field(default_factory=set, init=False, repr=False)
    _top_concept_of: set[str] = field(default_factory=set, init=False, repr=False)

    @property
    def broader(self) -> frozenset[str]:
        return frozenset(self._broader)

    @property
    def narrower(self) -> frozenset[str]:
        return frozenset(self._narrower)

    @property
    def related(self) -> frozenset[str]:
        return frozenset(self._related)

    @property
    def top_concept_of(self) -> frozenset[str]:
        return frozenset(self._top_concept_of)

    def _links(self, kind: str) -> set[str]:
        """The mutable link set behind a view; only ``Thesaurus`` calls this, to keep both sides in step."""
        return {
            "broader": self._broader,
            "narrower": self._narrower,
            "related": self._related,
            "top": self._top_concept_of,
        }[kind]

    @property
    def notation(self) -> str | None:
        """The first notation's code: classification plans have exactly one."""
        return self.notations[0].value if self.notations else None

    def pref_label(self, language: str | None = "fr") -> str:
        """The prefLabel in ``language``, else in the first fallback language present, else the URI."""
        return _pick(self.pref_labels, language) or self.uri

    def labels(self, *, hidden: bool = True) -> Iterator[Label]:
        """Every label of the concept, prefLabels first."""
        for lang, text in self.pref_labels.items():
            yield Label("pref", lang, text)
        for lang, texts in self.alt_labels.items():
            for text in texts:
                yield Label("alt", lang, text)
        if hidden:
            for lang, texts in self.hidden_labels.items():
                for text in texts:
                    yield Label("hidden", lang, text)


@dataclass(eq=False)
class ConceptScheme:
    """A skos:ConceptScheme; ``titles`` are dcterms:title, ``pref_labels`` skos:prefLabel (files use either)."""

    uri: str
    titles: dict[str, str] = field(default_factory=dict)
    pref_labels: dict[str, str] = field(default_factory=dict)
    _top_concepts: set[str] = field(default_factory=set, init=False, repr=False)

    @property
    def top_concepts(self) -> frozenset[str]:
        return frozenset(self._top_concepts)

    def title(self, language: str | None = "fr") -> str:
        return _pick(self.titles, language) or _pick(self.pref_labels, language) or self.uri


@dataclass(eq=False)
class Collection:
    """A skos:Collection (UNESCO's micro-thesauri and domains); members are concepts or collections."""

    uri: str
    pref_labels: dict[str, str] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    schemes: set[str] = field(default_factory=set)
    notations: list[Notation] = field(default_factory=list)

    def pref_label(self, language: str | None = "fr") -> str:
        return _pick(self.pref_labels, language) or self.uri


class Thesaurus:
    """Concepts, schemes and collections by URI, with both directions of every link kept in step."""

    def __init__(self) -> None:
        self.concepts: dict[str, Concept] = {}
        self.schemes: dict[str, ConceptScheme] = {}
        self.collections: dict[str, Collection] = {}
        self._by_notation: dict[str, list[str]] | None = None
        # links made to a URI not (yet) here: (kind, other uri) to attach when it is added
        self._pending: dict[str, set[tuple[str, str]]] = {}

    # -- building -----------------------------------------------------------------------------------------

    def add_concept(self, concept: Concept) -> Concept:
        """Add ``concept``; links that other resources already made to it get their inverse side now."""
        if concept.uri in self.concepts:
            raise ValueError(f"concept {concept.uri} already exists")
        self.concepts[concept.uri] = concept
        for kind, other in self._pending.pop(concept.uri, ()):
            concept._links(kind).add(other)
        self._by_notation = None
        return concept

    def add_scheme(self, scheme: ConceptScheme) -> ConceptScheme:
        if scheme.uri in self.schemes:
            raise ValueError(f"scheme {scheme.uri} already exists")
        self.schemes[scheme.uri] = scheme
        for kind, other in self._pending.pop(scheme.uri, ()):
            if kind == "has_top":
                scheme._top_concepts.add(other)
        return scheme

    def add_collection(self, collection: Collection) -> Collection:
        if collection.uri in self.collections:
            raise ValueError(f"collection {collection.uri} already exists")
        self.collections[collection.uri] = collection
        return collection

    def add_broader(self, concept_uri: str, broader_uri: str) -> None:
        """``concept_uri`` skos:broader ``broader_uri``, and the inverse narrower link."""
        self._link(concept_uri, "broader", broader_uri, "narrower")

    def add_narrower(self, concept_uri: str, narrower_uri: str) -> None:
        self._link(narrower_uri, "broader", concept_uri, "narrower")

    def remove_broader(self, concept_uri: str, broader_uri: str) -> None:
        self._unlink(concept_uri, "broader", broader_uri, "narrower")

    def add_related(self, a: str, b: str) -> None:
        """skos:related is symmetric: both concepts get the link."""
        self._link(a, "related", b, "related")

    def remove_related(self, a: str, b: str) -> None:
        self._unlink(a, "related", b, "related")

    def add_top_concept(self, scheme_uri: str, concept_uri: str) -> None:
        """skos:hasTopConcept and its inverse skos:topConceptOf."""
        if scheme_uri not in self.schemes and concept_uri not in self.concepts:
            raise KeyError(f"neither {scheme_uri} nor {concept_uri} is in the thesaurus")
        if scheme_uri in self.schemes:
            self.schemes[scheme_uri]._top_concepts.add(concept_uri)
        else:
            self._pending.setdefault(scheme_uri, set()).add(("has_top", concept_uri))
        if concept_uri in self.concepts:
            self.concepts[concept_uri]._top_concept_of.add(scheme_uri)
        else:
            self._pending.setdefault(concept_uri, set()).add(("top", scheme_uri))

    def _side(self, uri: str, kind: str) -> set[str] | None:
        concept = self.concepts.get(uri)
        return None if concept is None else concept._links(kind)

    def _link(self, a: str, kind: str, b: str, inverse: str) -> None:
        if a not in self.concepts and b not in self.concepts:
            raise KeyError(f"neither {a} nor {b} is a concept of the thesaurus")
        for uri, k, other in ((a, kind, b), (b, inverse, a)):
            side = self._side(uri, k)
            if side is None:
                self._pending.setdefault(uri, set()).add((k, other))
            else:
                side.add(other)

    def _unlink(self, a: str, kind: str, b: str, inverse: str) -> None:
        for uri, k, other in ((a, kind, b), (b, inverse, a)):
            side = self._side(uri, k)
            if side is None:
                self._pending.get(uri, set()).discard((k, other))
            else:
                side.discard(other)

    def merge(self, other: Thesaurus) -> None:
        """Add every resource of ``other`` (a tenant extension over the regional scheme) to this thesaurus.

        Links from the extension to concepts already here get their inverse side. A URI defined in both is
        an error: an extension adds concepts, it does not redefine regional ones.
        """
        clashes = (other.concepts.keys() & self.concepts.keys()) | (other.collections.keys() & self.collections.keys())
        if clashes:
            raise ValueError(f"already defined: {', '.join(sorted(clashes)[:5])}")
        for scheme in other.schemes.values():
            if scheme.uri not in self.schemes:
                self.add_scheme(ConceptScheme(scheme.uri, dict(scheme.titles), dict(scheme.pref_labels)))
        for concept in other.concepts.values():
            self.add_concept(_unlinked_copy(concept))
        for concept in other.concepts.values():
            for target in concept._broader:
                self.add_broader(concept.uri, target)
            for target in concept._narrower:
                self.add_broader(target, concept.uri)
            for target in concept._related:
                self.add_related(concept.uri, target)
            for scheme_uri in concept._top_concept_of:
                self.add_top_concept(scheme_uri, concept.uri)
        for scheme in other.schemes.values():
            for concept_uri in scheme._top_concepts:
                self.add_top_concept(scheme.uri, concept_uri)
        for collection in other.collections.values():
            self.add_collection(
                Collection(
                    collection.uri,
                    dict(collection.pref_labels),
                    set(collection.members),
                    set(collection.schemes),
                    list(collection.notations),
                )
            )

    # -- lookups ------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.concepts)

    def __contains__(self, uri: object) -> bool:
        return uri in self.concepts

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts.values())

    def get(self, uri: str) -> Concept | None:
        return self.concepts.get(uri)

    def __getitem__(self, uri: str) -> Concept:
        try:
            return self.concepts[uri]
        except KeyError:
            raise KeyError(f"no concept {uri}") from None

    def label(self, uri: str, language: str | None = "fr") -> str:
        """A display label for any URI: concept, collection or scheme, else the URI itself."""
        if uri in self.concepts:
            return self.concepts[uri].pref_label(language)
        if uri in self.collections:
            return self.collections[uri].pref_label(language)
        if uri in self.schemes:
            return self.schemes[uri].title(language)
        return uri

    def by_notation(self, code: str) -> list[Concept]:
        """Concepts carrying the notation ``code`` (a classification plan's decimal code, e.g. 1.777.81)."""
        if self._by_notation is None:
            index: dict[str, list[str]] = {}
            for concept in self.concepts.values():
                for notation in concept.notations:
                    index.setdefault(notation.value, []).append(concept.uri)
            self._by_notation = index
        return [self.concepts[uri] for uri in self._by_notation.get(code, [])]

    def find_label(self, text: str, language: str | None = None) -> list[Concept]:
        """Concepts with a label equal to ``text`` ignoring case, accents and spacing (exact, not stemmed)."""
        wanted = label_key(text)
        found = []
        for concept in self.concepts.values():
            for label in concept.labels():
                if (language is None or label.language == language) and label_key(label.text) == wanted:
                    found.append(concept)
                    break
        return found

    def top_concepts(self, scheme_uri: str | None = None) -> list[Concept]:
        """The scheme's top concepts; without a scheme, every concept with no broader concept here."""
        if scheme_uri is not None:
            scheme = self.schemes.get(scheme_uri)
            uris: Iterable[str] = scheme._top_concepts if scheme else ()
            return [self.concepts[uri] for uri in uris if uri in self.concepts]
        return [c for c in self.concepts.values() if not (c._broader & self.concepts.keys())]

    def in_scheme(self, scheme_uri: str) -> list[Concept]:
        return [c for c in self.concepts.values() if scheme_uri in c.schemes]

    def members(self, collection_uri: str) -> list[Concept]:
        """The concepts of a collection, following nested collections (UNESCO domains hold micro-thesauri)."""
        seen: set[str] = set()
        stack = [collection_uri]
        found: dict[str, Concept] = {}
        while stack:
            uri = stack.pop()
            if uri in seen:
                continue
            seen.add(uri)
            collection = self.collections.get(uri)
            if collection is None:
                continue
            for member in sorted(collection.members):
                if member in self.concepts:
                    found.setdefault(member, self.concepts[member])
                elif member in self.collections:
                    stack.append(member)
        return list(found.values())

    def collections_of(self, concept_uri: str) -> list[Collection]:
        return [c for c in self.collections.values() if concept_uri in c.members]


def _unlinked_copy(concept: Concept) -> Concept:
    return Concept(
        concept.uri,
        dict(concept.pref_labels),
        {k: list(v) for k, v in concept.alt_labels.items()},
        {k: list(v) for k, v in concept.hidden_labels.items()},
        list(concept.notations),
        {k: list(v) for k, v in concept.definitions.items()},
        {k: list(v) for k, v in concept.scope_notes.items()},
        set(concept.schemes),
        set(concept.exact_match),
        set(concept.close_match),
        concept.deprecated,
        set(concept.replaced_by),
    )
