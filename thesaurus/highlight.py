"""Highlights computed on the original text from analysed terms, identical whatever engine found the hit.

The snippets shown are the passages where the most different query words meet, so a letter whose header
mentions one word does not hide the paragraph that holds them all.
"""

from __future__ import annotations

from html import escape

from thesaurus.analysis import Token, tokens

SNIPPET_RADIUS = 60
WINDOW = 2 * SNIPPET_RADIUS
MAX_SCAN_CHARS = 2_000_000


def highlight(text: str, terms: set[str], language: str | None = None, *, max_snippets: int = 3) -> list[str]:
    """HTML snippets of ``text`` around the words whose analysed form is in ``terms``, marked with <mark>."""
    if not text or not terms:
        return []
    text = text[:MAX_SCAN_CHARS]
    matches = [tok for tok in tokens(text, language) if tok.term in terms]
    windows: list[tuple[int, int, list[Token]]] = []
    for i, first in enumerate(matches):
        group = [tok for tok in matches[i:] if tok.end <= first.start + WINDOW]
        windows.append((len({tok.term for tok in group}), len(group), group))
    chosen: list[list[Token]] = []
    for _distinct, _count, group in sorted(windows, key=lambda w: (-w[0], -w[1], w[2][0].start)):
        if len(chosen) == max_snippets:
            break
        if any(_overlaps(group, other) for other in chosen):
            continue
        chosen.append(group)
    return [_render(text, group, matches) for group in sorted(chosen, key=lambda g: g[0].start)]


def _overlaps(a: list[Token], b: list[Token]) -> bool:
    return a[0].start - SNIPPET_RADIUS < b[-1].end + SNIPPET_RADIUS and b[0].start - SNIPPET_RADIUS < (
        a[-1].end + SNIPPET_RADIUS
    )


def _render(text: str, group: list[Token], matches: list[Token]) -> str:
    start = _word_boundary_left(text, max(0, group[0].start - SNIPPET_RADIUS // 2))
    end = _word_boundary_right(text, min(len(text), group[-1].end + SNIPPET_RADIUS // 2))
    parts: list[str] = []
    cursor = start
    for tok in (m for m in matches if m.start >= start and m.end <= end):
        parts.append(escape(text[cursor : tok.start]))
        parts.append(f"<mark>{escape(text[tok.start : tok.end])}</mark>")
        cursor = tok.end
    parts.append(escape(text[cursor:end]))
    snippet = " ".join("".join(parts).split())
    return f"{'…' if start > 0 else ''}{snippet}{'…' if end < len(text) else ''}"


def _word_boundary_left(text: str, pos: int) -> int:
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _word_boundary_right(text: str, pos: int) -> int:
    while pos < len(text) and not text[pos].isspace():
        pos += 1
    return pos
