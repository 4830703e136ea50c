"""The interface's languages: French source strings, translated to Dutch, German and English with Babel.

The committed ``translations/<lang>/LC_MESSAGES/messages.po`` catalogues are compiled in memory when the app
starts (no .mo files to build or commit). The language of a request is, in order: the ``lang`` cookie the
switcher sets (the user's choice, kept a year), the browser's Accept-Language, French.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LANGUAGES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}
DEFAULT = "fr"
COOKIE = "dms_lang"
CATALOGUES = Path(__file__).resolve().parent / "translations"

_current: ContextVar[str] = ContextVar("dms_web_language", default=DEFAULT)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> NullTranslations:
    po = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not po.is_file():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def choose(request: Request) -> str:
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def use(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT)


def current() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention: marks a string for extraction only)
    return message
