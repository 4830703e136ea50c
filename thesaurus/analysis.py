"""The one text-analysis chain of dms, used for indexing, querying, highlighting and label matching.

Both search engines receive the tokens made here (Elasticsearch through its core ``whitespace`` analyzer), so
the embedded engine and Elasticsearch agree on every hit. The chain: words with their offsets in the original
text, elision (l', d', qu'…), lowercase, stop words, Snowball stemming in the document's language, and accent
folding last (the French stemmer needs the accents to find suffixes such as -ité).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from thesaurus.stopwords import BY_LANGUAGE

LANGUAGES = {"fr": "french", "nl": "dutch", "de": "german", "en": "english"}
DEFAULT_LANGUAGE = "fr"

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_APOSTROPHES = "'’ʼ`´"
# A word and the apostrophe right after it, if any (what ``tokens`` looks at to drop an elided article): the
# apostrophes that are word characters (ʼ) end up in the word, as with ``_WORD``, so both split alike.
_WORD_APOSTROPHE = re.compile(r"([^\W_]+)([" + re.escape(_APOSTROPHES) + r"]?)", re.UNICODE)
_ELISIONS = {
    "fr": frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"}),
}
_MAX_TOKEN = 64


@dataclass(frozen=True)
class Token:
    term: str
    start: int
    end: int


def language_or_default(language: str | None) -> str:
    if language and language[:2].lower() in LANGUAGES:
        return language[:2].lower()
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer(LANGUAGES[language])
    stemmer.maxCacheSize = 50_000
    return stemmer


def fold_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return folded.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")


@lru_cache(maxsize=200_000)
def normalise_word(word: str, language: str) -> str | None:
    """One word to its index term, or None when it is a stop word."""
    lowered = unicodedata.normalize("NFC", word).lower()
    if lowered in BY_LANGUAGE[language]:
        return None
    if len(lowered) > _MAX_TOKEN:
        lowered = lowered[:_MAX_TOKEN]
    return fold_accents(_stemmer(language).stemWord(lowered))


def tokens(text: str, language: str | None = None) -> Iterator[Token]:
    """The index terms of ``text`` with their character offsets in the original string."""
    lang = language_or_default(language)
    elisions = _ELISIONS.get(lang, frozenset())
    for match in _WORD.finditer(text):
        word = match.group()
        end = match.end()
        if elisions and end < len(text) and text[end] in _APOSTROPHES and word.lower() in elisions:
            continue
        term = normalise_word(word, lang)
        if term:
            yield Token(term, match.start(), end)


#: word -> index term ("" for a stop word), per language: the indexing hot path looks a word up in a plain dict
#: instead of going through ``normalise_word``'s cache key; emptied when it grows past ``_TERMS_MAX`` words.
_TERMS: dict[str, dict[str, str]] = {}
_TERMS_MAX = 200_000


def analyze(text: str, language: str | None = None) -> list[str]:
    """The terms of ``tokens(text, language)``, without building a Token per word (indexing speed)."""
    lang = language_or_default(language)
    terms = _TERMS.get(lang)
    if terms is None or len(terms) > _TERMS_MAX:
        terms = _TERMS[lang] = {}
    elisions = _ELISIONS.get(lang)
    out: list[str] = []
    append = out.append
    for word, apostrophe in _WORD_APOSTROPHE.findall(text):
        if apostrophe and elisions and word.lower() in elisions:
            continue
        term = terms.get(word)
        if term is None:
            term = terms[word] = normalise_word(word, lang) or ""
        if term:
            append(term)
    return out


def analyze_joined(text: str, language: str | None = None) -> str:
    """Tokens as one space-separated string: what the engines index through a whitespace tokenizer."""
    return " ".join(analyze(text, language))
