"""Finding concepts by their labels: autocomplete on what a clerk types, and labels found in a document's text.

Autocomplete compares folded keys (no accents, no case) so "éduc", "EDUC" and "educ" are the same prefix; a
sorted array of every label and every word start inside a label, searched with ``bisect``, answers in a
quarter of a millisecond for a typical prefix on the UNESCO thesaurus (a few ms for a single letter).

Text matching compares analysed terms (``thesaurus.analysis``, the chain the search index uses), so singular
and plural, accents and elisions do not matter, and multi-word labels are found as term sequences.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from thesaurus.analysis import fold_accents, language_or_default, tokens
from thesaurus.model import FALLBACK_LANGUAGES, LabelKind, Thesaurus, label_key

# Autocomplete score parts; each outweighs all the parts below it together, so the order is: exact match,
# then label start before a word inside the label, then the asked language, then prefLabel, then shorter.
EXACT, LABEL_START, IN_LANGUAGE, PREFERRED, SHORTER = 0.6, 0.3, 0.15, 0.08, 0.05
_TOP = EXACT + LABEL_START + IN_LANGUAGE + PREFERRED + SHORTER

#: How much a label found in a text says about its concept, by kind of label.
KIND_WEIGHT: dict[str, float] = {"pref": 1.0, "alt": 0.8, "hidden": 0.6}


class Suggestion(NamedTuple):
    uri: str
    label: str
    lang: str
    score: float


class TextMatch(NamedTuple):
    uri: str
    score: float
    matched_label: str


class _Ref(NamedTuple):
    uri: str
    text: str
    lang: str
    length: int  # of the whole label key
    static: float  # the score parts known at build time
    at_start: bool


class Analysed(NamedTuple):
    """A text after the analysis chain, with what the chain dropped: ``gaps[i]`` holds the stop words (folded)
    between ``terms[i]`` and the next term, and ``|`` where a sentence ends. The gaps tell "École d'été"
    from "École" (the French list drops "été", a form of "être") and "éducation des adultes" from
    "éducateur d'adultes", which the terms alone cannot."""

    terms: tuple[str, ...]
    gaps: tuple[tuple[str, ...], ...]


_GAP_WORD = re.compile(r"[^\W_]+|[.!?;:]")
_APOSTROPHES = "'’ʼ`´"


def analyse(text: str, language: str | None) -> Analysed:
    found = list(tokens(text, language))
    gaps = []
    for i, token in enumerate(found):
        end = found[i + 1].start if i + 1 < len(found) else len(text)
        gaps.append(_dropped(text, token.end, end))
    return Analysed(tuple(t.term for t in found), tuple(gaps))


def _dropped(text: str, start: int, end: int) -> tuple[str, ...]:
    words = []
    for match in _GAP_WORD.finditer(text, start, end):
        word = match.group()
        if not word[0].isalnum():
            words.append("|")
        elif match.end() < len(text) and text[match.end()] in _APOSTROPHES:
            continue  # an elided article (l', d', qu'…)
        else:
            words.append(fold_accents(word.lower()))
    return tuple(words)


class LabelEntry(NamedTuple):
    uri: str
    kind: LabelKind
    lang: str
    text: str
    tokens: tuple[str, ...]
    gaps: tuple[tuple[str, ...], ...]

    def fits(self, text: Analysed, start: int) -> bool:
        """Whether the words the chain dropped inside (and right after) the label are the text's too."""
        last = len(self.tokens) - 1
        for i, gap in enumerate(self.gaps):
            found = text.gaps[start + i]
            if (found != gap) if i < last else (found[: len(gap)] != gap):
                return False
        return True

    @property
    def dropped(self) -> int:
        return sum(len(gap) for gap in self.gaps)


class Span(NamedTuple):
    """Labels whose analysed tokens equal ``tokens[start:end]`` of the analysed text."""

    start: int
    end: int
    entries: tuple[LabelEntry, ...]


def _lang_rank(lang: str) -> int:
    return FALLBACK_LANGUAGES.index(lang) if lang in FALLBACK_LANGUAGES else len(FALLBACK_LANGUAGES)


class AnalysedLabels:
    """Concept labels as analysed token sequences, for one analysis language.

    ``analysis_language`` is the chain applied to every label (the text's or the query's language, so that
    both sides are compared after the same chain); ``label_languages`` limits which labels are taken (None:
    all languages). Deprecated concepts are kept but flagged: expansion follows their replacement.
    """

    def __init__(
        self,
        thesaurus: Thesaurus,
        analysis_language: str,
        label_languages: Iterable[str] | None = None,
    ) -> None:
        self.language = language_or_default(analysis_language)
        wanted = None if label_languages is None else set(label_languages)
        self.entries: list[LabelEntry] = []
        self.by_first: dict[str, list[LabelEntry]] = defaultdict(list)
        self.deprecated = {c.uri for c in thesaurus if c.deprecated}
        concepts_with: dict[str, set[str]] = defaultdict(set)
        for concept in thesaurus:
            for label in concept.labels():
                if wanted is not None and label.language not in wanted:
                    continue
                analysed = analyse(label.text, self.language)
                if not analysed.terms:
                    continue
                terms = analysed.terms
                entry = LabelEntry(concept.uri, label.kind, label.language, label.text, terms, analysed.gaps)
                self.entries.append(entry)
                self.by_first[terms[0]].append(entry)
                for term in terms:
                    concepts_with[term].add(concept.uri)
        for entries in self.by_first.values():
            entries.sort(key=lambda e: -len(e.tokens))
        total = max(1, len(thesaurus))
        self.idf = {t: math.log(1 + total / len(uris)) for t, uris in concepts_with.items()}

    def specificity(self, entry: LabelEntry) -> float:
        """How much a label narrows things down: the summed idf of its terms over the thesaurus labels."""
        return sum(self.idf[t] for t in entry.tokens)

    def find(self, text: Analysed, *, longest: bool = True) -> list[Span]:
        """Every place where labels occur in an analysed text.

        With ``longest``, a label inside a longer matched label ("éducation" inside "éducation des adultes")
        is dropped: the longer one is the meant concept. Among labels with the same terms at one place, those
        whose dropped words are the text's too are kept (the most such words winning), if there are any.
        """
        terms = text.terms
        found: dict[tuple[int, int], list[LabelEntry]] = {}
        for start, term in enumerate(terms):
            for entry in self.by_first.get(term, ()):
                end = start + len(entry.tokens)
                if terms[start:end] == entry.tokens:
                    found.setdefault((start, end), []).append(entry)
        spans = []
        for (start, end), entries in found.items():
            fitting = [e for e in entries if e.fits(text, start)]
            if fitting:
                most = max(e.dropped for e in fitting)
                entries = [e for e in fitting if e.dropped == most]
            spans.append(Span(start, end, tuple(entries)))
        if not longest:
            return sorted(spans)
        covered = [False] * len(terms)
        kept: list[Span] = []
        by_length: dict[int, list[Span]] = defaultdict(list)
        for span in spans:
            by_length[span.end - span.start].append(span)
        for length in sorted(by_length, reverse=True):
            batch = [sp for sp in by_length[length] if not all(covered[sp.start : sp.end])]
            for span in batch:
                covered[span.start : span.end] = [True] * length
            kept.extend(batch)
        return sorted(kept)


class LabelIndex:
    """Built once per thesaurus version (about a second on UNESCO), then queried for every keystroke."""

    def __init__(self, thesaurus: Thesaurus, *, include_deprecated: bool = False) -> None:
        self.thesaurus = thesaurus
        self.include_deprecated = include_deprecated
        # Two sorted arrays: label keys, and the keys from each later word start ("l'education" inside
        # "droit a l'education"). Every label-start hit outranks every inner hit, so the second array is
        # only scanned when the first gives fewer concepts than asked for.
        starts: list[tuple[str, _Ref]] = []
        inner: list[tuple[str, _Ref]] = []
        for concept in thesaurus:
            if concept.deprecated and not include_deprecated:
                continue
            for label in concept.labels(hidden=False):
                key = label_key(label.text)
                if not key:
                    continue
                static = PREFERRED if label.kind == "pref" else 0.0
                for offset in _word_starts(key):
                    ref = _Ref(concept.uri, label.text, label.language, len(key), static, offset == 0)
                    (starts if offset == 0 else inner).append((key[offset:], ref))
        starts.sort(key=lambda item: item[0])
        inner.sort(key=lambda item: item[0])
        self._arrays = [([k for k, _ in arr], [r for _, r in arr]) for arr in (starts, inner)]
        self._analysed: dict[str, AnalysedLabels] = {}

    def autocomplete(self, prefix: str, language: str | None = None, limit: int = 10) -> list[Suggestion]:
        """Concepts with a label (any language) or a word in a label starting with ``prefix``, ignoring
        case and accents; best first, one suggestion per concept, with the label that matched."""
        wanted = label_key(prefix)
        if not wanted or limit <= 0:
            return []
        language = language.lower() if language else None
        size = len(wanted)
        best: dict[str, tuple[float, int, str, str]] = {}
        for keys, refs in self._arrays:
            if len(best) >= limit:
                break
            lo = bisect_left(keys, wanted)
            hi = bisect_left(keys, wanted + "\U0010ffff", lo)
            for ref in refs[lo:hi]:
                score = ref.static + SHORTER * size / ref.length
                if ref.at_start:
                    score += LABEL_START + (EXACT if ref.length == size else 0.0)
                if ref.lang == language:
                    score += IN_LANGUAGE
                current = best.get(ref.uri)
                if (
                    current is None
                    or score > current[0]
                    or (score == current[0] and -_lang_rank(ref.lang) > current[1])
                ):
                    best[ref.uri] = (score, -_lang_rank(ref.lang), ref.text, ref.lang)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], -item[1][1], label_key(item[1][2])))
        return [Suggestion(uri, text, lang, round(score / _TOP, 4)) for uri, (score, _, text, lang) in ranked[:limit]]

    def analysed(self, language: str) -> AnalysedLabels:
        """The labels of ``language`` (and untagged ones) analysed with its chain, built on first use."""
        language = language_or_default(language)
        if language not in self._analysed:
            self._analysed[language] = AnalysedLabels(self.thesaurus, language, {language, ""})
        return self._analysed[language]

    def match_text(self, text: str, language: str | None = "fr", limit: int = 20) -> list[TextMatch]:
        """Concepts whose labels occur in ``text``: the label-matching half of classification suggestions.

        Each concept sums, over its labels found, damped occurrences (1 + ln n past the first) × the label's
        kind weight (pref 1, alt 0.8, hidden 0.6) × its specificity (the idf of its terms among the
        thesaurus labels, so "bibliothèque publique" says more than "publique"). Where one place in the text
        matches labels of several concepts, that occurrence is shared between them. Scores rank concepts
        within one text; they are not comparable across texts.
        """
        labels = self.analysed(language_or_default(language))
        found: dict[LabelEntry, float] = defaultdict(float)
        for span in labels.find(analyse(text, labels.language)):
            per_concept: dict[str, LabelEntry] = {}
            for entry in span.entries:
                if entry.uri in labels.deprecated and not self.include_deprecated:
                    continue
                kept = per_concept.get(entry.uri)
                if kept is None or KIND_WEIGHT[entry.kind] > KIND_WEIGHT[kept.kind]:
                    per_concept[entry.uri] = entry
            for entry in per_concept.values():
                found[entry] += 1 / len(per_concept)
        scores: dict[str, float] = defaultdict(float)
        best: dict[str, tuple[float, str]] = {}
        for entry, occurrences in found.items():
            damped = occurrences if occurrences <= 1 else 1 + math.log(occurrences)
            part = damped * KIND_WEIGHT[entry.kind] * labels.specificity(entry)
            scores[entry.uri] += part
            if entry.uri not in best or part > best[entry.uri][0]:
                best[entry.uri] = (part, entry.text)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [TextMatch(uri, round(score, 4), best[uri][1]) for uri, score in ranked[:limit]]


def _word_starts(key: str) -> list[int]:
    """Offsets where a word begins in a label key: the label start and after any non-alphanumeric."""
    return [i for i, ch in enumerate(key) if ch.isalnum() and (i == 0 or not key[i - 1].isalnum())]
