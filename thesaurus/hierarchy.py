"""Walking the broader/narrower hierarchy: closures for query expansion, paths for breadcrumbs, tree browse.

Every walk keeps a visited set, so a cycle introduced after import (the model does not forbid one) ends the
walk instead of looping; ``find_cycles`` is what import validation uses to refuse such files up front.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from thesaurus.model import Concept, Thesaurus, label_key

#: Poly-hierarchies multiply paths; past this many, the rest would not help a breadcrumb.
MAX_PATHS = 20


def descendants(thesaurus: Thesaurus, uri: str, max_depth: int | None = None) -> dict[str, int]:
    """Narrower-transitive closure of ``uri`` (itself excluded): URI → depth (1 = direct narrower), in BFS
    order, each concept at its shortest depth."""
    return _closure(thesaurus, uri, "narrower", max_depth)


def ancestors(thesaurus: Thesaurus, uri: str, max_depth: int | None = None) -> dict[str, int]:
    """Broader-transitive closure of ``uri`` (itself excluded): URI → distance, nearest first."""
    return _closure(thesaurus, uri, "broader", max_depth)


def _closure(thesaurus: Thesaurus, uri: str, direction: str, max_depth: int | None) -> dict[str, int]:
    found: dict[str, int] = {}
    queue = deque([(uri, 0)])
    seen = {uri}
    while queue:
        current, depth = queue.popleft()
        if max_depth is not None and depth >= max_depth:
            continue
        concept = thesaurus.get(current)
        if concept is None:
            continue
        links = concept.narrower if direction == "narrower" else concept.broader
        for other in sorted(links):
            if other not in seen:
                seen.add(other)
                found[other] = depth + 1
                queue.append((other, depth + 1))
    return found


def paths_to_top(thesaurus: Thesaurus, uri: str, limit: int = MAX_PATHS) -> list[list[str]]:
    """Every path from a top of the hierarchy down to ``uri`` (top first, ``uri`` last), shortest first.

    A concept with two broader concepts (poly-hierarchy) has several paths; a broader URI outside this
    thesaurus (a regional concept above a tenant extension) ends its path.
    """
    paths: list[list[str]] = []
    stack: list[list[str]] = [[uri]]
    while stack and len(paths) < limit:
        path = stack.pop()
        concept = thesaurus.get(path[0])
        parents = sorted(b for b in concept.broader if b not in path) if concept else []
        if not parents:
            paths.append(path)
            continue
        for parent in reversed(parents):
            stack.append([parent, *path])
    return sorted(paths, key=lambda p: (len(p), p))


def path_to_top(thesaurus: Thesaurus, uri: str) -> list[str]:
    """The shortest path from a top concept down to ``uri``: what a breadcrumb shows."""
    return paths_to_top(thesaurus, uri)[0]


def sort_key(label: str) -> tuple[str, str]:
    """Alphabetical order as a French reader expects it: accents and case do not move a word."""
    return (label_key(label), label)


def children(
    thesaurus: Thesaurus, uri: str | None = None, language: str = "fr", *, include_deprecated: bool = False
) -> list[Concept]:
    """The narrower concepts of ``uri`` (the top concepts when ``uri`` is None), sorted by label; deprecated
    concepts only on request, since nothing new should be classified under them."""
    if uri is None:
        found = thesaurus.top_concepts()
    else:
        concept = thesaurus.get(uri)
        found = [thesaurus.concepts[n] for n in concept.narrower if n in thesaurus] if concept else []
    if not include_deprecated:
        found = [c for c in found if not c.deprecated]
    return sorted(found, key=lambda c: sort_key(c.pref_label(language)))


@dataclass
class TreeNode:
    uri: str
    label: str
    notation: str | None
    has_children: bool
    deprecated: bool = False
    children: list[TreeNode] = field(default_factory=list)


def tree(
    thesaurus: Thesaurus,
    root: str | None = None,
    depth: int = 1,
    language: str = "fr",
    *,
    include_deprecated: bool = False,
) -> list[TreeNode]:
    """The browse tree under ``root`` (or the top concepts), ``depth`` levels open; deeper levels are
    loaded on demand by asking again with the child as root (``has_children`` tells the UI to offer it)."""
    nodes = []
    for concept in children(thesaurus, root, language, include_deprecated=include_deprecated):
        node = TreeNode(
            uri=concept.uri,
            label=concept.pref_label(language),
            notation=concept.notation,
            has_children=any(
                n in thesaurus and (include_deprecated or not thesaurus[n].deprecated) for n in concept.narrower
            ),
            deprecated=concept.deprecated,
        )
        if depth > 1 and node.has_children:
            node.children = tree(thesaurus, concept.uri, depth - 1, language, include_deprecated=include_deprecated)
        nodes.append(node)
    return nodes


def find_cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The cycles of a directed graph (URI → broader URIs), one per strongly connected component.

    Each cycle is returned as the URIs in order, starting from the smallest, without repeating the first
    (``[a, b]`` means a → b → a). Iterative Tarjan, so a deep hierarchy cannot hit the recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(edges.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in set(edges.get(node, ())):
                    components.append(component)
    return sorted((_cycle_in(edges, set(c)) for c in components), key=lambda c: c[0])


def _cycle_in(edges: Mapping[str, Iterable[str]], component: set[str]) -> list[str]:
    """One simple cycle through the smallest URI of a strongly connected component (shortest, by BFS)."""
    start = min(component)
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return list(reversed(path))
            if nxt in component and nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return sorted(component)  # unreachable for a strongly connected component
