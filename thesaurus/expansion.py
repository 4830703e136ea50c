"""Query expansion: a query word that names a concept also searches the concept's other labels and the labels
of its narrower concepts, at lower weights, so "école" finds letters about "école maternelle".

Expansion happens before any engine sees the query, on analysed tokens, so the embedded engine and
Elasticsearch run the same expanded query. The result has the search port's shape (``dms.search``): an AND of
OR-groups, one group per analysed query word, each alternative a ``(token, boost)`` pair; this package sits
below ``dms`` and returns plain tuples that the core turns into ``Term`` objects.

A label of several words cannot be one alternative of a group (the port ANDs groups and ORs single tokens), so
it goes in a group only when it lines up with the query: one token joins every group of the matched words,
as many tokens as matched words go one per group. Other multi-word labels come back in ``phrases`` for an
engine that supports phrase queries, and the concept URIs come back in ``concepts_used`` for a ``concept:``
term or facet on records classified with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from thesaurus.analysis import LANGUAGES, analyze, language_or_default
from thesaurus.hierarchy import descendants
from thesaurus.matching import AnalysedLabels, Span, analyse
from thesaurus.model import Concept, Thesaurus

DIRECT_BOOST = 1.0
PREF_BOOST = 0.8  # the matched concept's prefLabels (the preferred term, translations)
SYNONYM_BOOST = 0.6  # its altLabels and hiddenLabels
NARROWER_BOOST = 0.4  # labels of a direct narrower concept
NARROWER_DECAY = 0.5  # each further level down multiplies the weight by this
MIN_BOOST = 0.1  # narrower levels whose weight falls below this are not searched
MAX_ALTERNATIVES = 64  # per group, highest boosts kept: engines pay for every alternative

#: Labels in these languages become search tokens (analysed with their own language's chain, as documents
#: in that language are indexed); labels in other languages (UNESCO's es, ru) still match a query.
EXPANSION_LANGUAGES = (*LANGUAGES, "")


class ConceptUse(NamedTuple):
    """A concept the query was expanded with: its URI, the boost it was used at, the groups it covers."""

    uri: str
    boost: float
    groups: tuple[int, ...]
    label: str


@dataclass(frozen=True)
class Expansion:
    groups: list[list[tuple[str, float]]]
    concepts_used: list[ConceptUse] = field(default_factory=list)
    also_searched_labels: list[str] = field(default_factory=list)
    phrases: list[tuple[tuple[str, ...], float]] = field(default_factory=list)


class QueryExpander:
    """Built once per thesaurus version; the per-language label tables are made on first use."""

    def __init__(
        self,
        thesaurus: Thesaurus,
        *,
        languages: Iterable[str] = EXPANSION_LANGUAGES,
        max_depth: int | None = None,
    ) -> None:
        self.thesaurus = thesaurus
        self.languages = frozenset(languages)
        self.max_depth = max_depth if max_depth is not None else _levels_above_min_boost()
        self._matchers: dict[str, AnalysedLabels] = {}
        self._label_tokens: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = {}

    def matcher(self, language: str) -> AnalysedLabels:
        """Every label, in any language, analysed with the query's chain: how query words find concepts."""
        if language not in self._matchers:
            self._matchers[language] = AnalysedLabels(self.thesaurus, language, None)
        return self._matchers[language]

    def search_tokens(self, concept: Concept, query_language: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """(kind, language, text, tokens) of the labels a concept adds to a query, each analysed with its own
        language's chain (documents in that language were indexed with it)."""
        cache_key = f"{query_language} {concept.uri}"
        if cache_key not in self._label_tokens:
            found = []
            for label in concept.labels():
                if label.language not in self.languages:
                    continue
                chain = label.language if label.language in LANGUAGES else query_language
                analysed = tuple(analyze(label.text, chain))
                if analysed:
                    found.append((label.kind, label.language, label.text, analysed))
            self._label_tokens[cache_key] = found
        return self._label_tokens[cache_key]

    def expand(self, query: str, language: str = "fr") -> Expansion:
        """The query as OR-groups of weighted tokens (one group per analysed word), expanded with the labels
        of the concepts it names and of their narrower concepts."""
        language = language_or_default(language)
        analysed = analyse(query, language)
        words = list(analysed.terms)
        groups: list[dict[str, float]] = [{word: DIRECT_BOOST} for word in words]
        builder = _Builder(self, language, words, groups)
        for span in self.matcher(language).find(analysed):
            builder.expand_span(span)
        return builder.result()


class _Builder:
    def __init__(
        self, expander: QueryExpander, language: str, words: list[str], groups: list[dict[str, float]]
    ) -> None:
        self.expander = expander
        self.thesaurus = expander.thesaurus
        self.language = language
        self.words = words
        self.groups = groups
        self.concepts: dict[str, ConceptUse] = {}
        self.labels: dict[str, float] = {}
        self.phrases: dict[tuple[str, ...], float] = {}

    def expand_span(self, span: Span) -> None:
        matched: dict[str, Concept] = {}
        for entry in span.entries:
            concept = self.thesaurus.get(entry.uri)
            if concept is None:
                continue
            if concept.deprecated and concept.replaced_by:  # search what the curators replaced it with
                for uri in sorted(concept.replaced_by):
                    if uri in self.thesaurus:
                        matched.setdefault(uri, self.thesaurus[uri])
            matched.setdefault(concept.uri, concept)
        span_tokens = tuple(self.words[span.start : span.end])
        for concept in matched.values():
            self.add(concept, span, span_tokens, own=True, boost=DIRECT_BOOST)
            for uri, depth in descendants(self.thesaurus, concept.uri, self.expander.max_depth).items():
                boost = NARROWER_BOOST * NARROWER_DECAY ** (depth - 1)
                if boost < MIN_BOOST:
                    break
                narrower = self.thesaurus.get(uri)
                if narrower is not None and not narrower.deprecated:
                    self.add(narrower, span, span_tokens, own=False, boost=boost)

    def add(self, concept: Concept, span: Span, span_tokens: tuple[str, ...], *, own: bool, boost: float) -> None:
        indexes = tuple(range(span.start, span.end))
        previous = self.concepts.get(concept.uri)
        if previous is None or previous.boost < boost:
            self.concepts[concept.uri] = ConceptUse(concept.uri, boost, indexes, concept.pref_label(self.language))
        for kind, lang, text, analysed in self.expander.search_tokens(concept, self.language):
            weight = boost if not own else (PREF_BOOST if kind == "pref" else SYNONYM_BOOST)
            if analysed == span_tokens:
                continue
            if len(analysed) == 1 and analysed[0] not in span_tokens:
                for index in indexes:  # satisfies every group of the span on its own, as it should
                    self.offer(index, analysed[0], weight)
            elif len(analysed) == len(indexes) > 1 and _aligned(analysed, span_tokens):
                for index, token in zip(indexes, analysed, strict=True):
                    self.offer(index, token, weight)
            elif not set(span_tokens) <= set(analysed):  # a phrase holding the query words adds no hit
                self.phrases[analysed] = max(self.phrases.get(analysed, 0.0), weight)
            if kind != "hidden" and lang in (self.language, ""):
                self.labels[text] = max(self.labels.get(text, 0.0), weight)

    def offer(self, index: int, token: str, weight: float) -> None:
        group = self.groups[index]
        if group.get(token, 0.0) < weight:
            group[token] = weight

    def result(self) -> Expansion:
        groups = []
        for group in self.groups:
            ranked = sorted(group.items(), key=lambda item: (-item[1], item[0]))[:MAX_ALTERNATIVES]
            groups.append([(token, round(boost, 4)) for token, boost in ranked])
        concepts = sorted(self.concepts.values(), key=lambda c: (-c.boost, c.groups, c.uri))
        labels = [t for t, _ in sorted(self.labels.items(), key=lambda item: (-item[1], item[0]))]
        phrases = sorted(self.phrases.items(), key=lambda item: (-item[1], item[0]))
        return Expansion(groups, concepts, labels, phrases)


def _levels_above_min_boost() -> int:
    """How many narrower levels keep a boost of at least ``MIN_BOOST`` (3 with the weights above)."""
    levels = 0
    while NARROWER_BOOST * NARROWER_DECAY**levels >= MIN_BOOST:
        levels += 1
    return levels


def _aligned(alternative: tuple[str, ...], span: tuple[str, ...]) -> bool:
    """Whether an alternative of the span's length can go one token per group: a token it shares with the
    span must sit at the same place, or one query word alone would satisfy two groups ("adult education"
    against "éducation des adultes" would let "adultes" alone match)."""
    shared = set(alternative) & set(span)
    return all(a == b for a, b in zip(alternative, span, strict=True) if a in shared or b in shared)
