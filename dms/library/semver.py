"""Semantic version numbers (semver.org 2.0.0) for library versions, through the ``semver`` package."""

from __future__ import annotations

import semver as _semver

from dms.errors import BadInput


def check(version: str) -> str:
    text = (version or "").strip()
    if text.startswith("v"):
        text = text[1:]
    try:
        return str(_semver.Version.parse(text))
    except (ValueError, TypeError):
        raise BadInput(f"version {version!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)") from None


def key(version: str) -> _semver.Version:
    """Semver precedence (1.0.0-rc.1 < 1.0.0 < 1.10.0), for sorting and 'newer than'."""
    return _semver.Version.parse(version)


def newest(versions: list[str]) -> str | None:
    return max(versions, key=key) if versions else None
