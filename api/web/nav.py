"""The navigation bar: each page module adds its entry with the permission that shows it, so the bar lists
exactly the pages that exist and that the signed-in user may open (docs/web.md, "How to add a page")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dms.accounts import Principal
from dms.errors import DmsError
from dms.permissions import Action, require, require_scope


@dataclass(frozen=True)
class NavEntry:
    href: str
    label: str  # French source text, translated when rendered
    allowed: Callable[[Principal], bool]
    order: int = 100


ENTRIES: list[NavEntry] = []


def may(action: Action, *, federation: bool = False) -> Callable[[Principal], bool]:
    """True when ``dms.permissions`` lets the principal take ``action`` (the same check as the API's)."""

    def check(principal: Principal) -> bool:
        try:
            (require_scope if federation else require)(principal, action)
        except DmsError:
            return False
        return True

    return check


def add(href: str, label: str, allowed: Callable[[Principal], bool], order: int = 100) -> None:
    if any(entry.href == href for entry in ENTRIES):
        return
    ENTRIES.append(NavEntry(href, label, allowed, order))
    ENTRIES.sort(key=lambda entry: entry.order)


def entries_for(principal: Principal) -> list[NavEntry]:
    return [entry for entry in ENTRIES if entry.allowed(principal)]
