"""Input rules both engines apply identically, so a query one engine accepts the other accepts too, and they
normalise it the same way before matching (the cross-engine contract tests depend on it)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from dms.search import IndexDoc, SearchQuery, Term

# Facet names become Elasticsearch field names (``facets.<name>``): no dots, nothing to escape.
FACET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FACET_VALUE = 512
MAX_LIMIT = 1000
FACET_SIZE = 100  # distinct values returned per facet, most frequent first


def check_facet_name(name: str) -> None:
    if not FACET_NAME.match(name):
        raise ValueError(f"invalid facet name {name!r}: use lowercase letters, digits and _")


def check_doc(doc: IndexDoc) -> None:
    if not doc.id or not doc.tenant_id or not doc.kind:
        raise ValueError("an indexed document needs an id, a tenant_id and a kind")
    for name, values in doc.facets.items():
        check_facet_name(name)
        for value in values:
            if not value or len(value) > MAX_FACET_VALUE:
                raise ValueError(f"facet {name}: values must have 1 to {MAX_FACET_VALUE} characters")


def facet_pairs(doc: IndexDoc) -> list[tuple[str, str]]:
    """Each (facet, value) once: a document counts once per value, as in Elasticsearch terms aggregations."""
    return sorted({(name, value) for name, values in doc.facets.items() for value in values})


def query_groups(query: SearchQuery) -> list[list[Term]]:
    """The query's groups with empty tokens and empty groups dropped and each token once per group (its
    highest boost kept); an empty result means browse mode."""
    if not query.tenant_id:
        raise ValueError("a search needs a tenant_id")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    for name in [*query.filters, *query.facets]:
        check_facet_name(name)
    groups: list[list[Term]] = []
    for group in query.groups:
        best: dict[str, float] = {}
        for term in group:
            token = term.token.strip()
            if not token:
                continue
            if any(ch.isspace() for ch in token):
                raise ValueError(f"a query term is one analysed token, got {term.token!r}")
            if not math.isfinite(term.boost) or term.boost <= 0:
                raise ValueError(f"term boost must be a positive number, got {term.boost!r}")
            best[token] = max(best.get(token, 0.0), term.boost)
        if best:
            groups.append([Term(token, boost) for token, boost in best.items()])
    return groups


def active_filters(query: SearchQuery) -> dict[str, list[str]]:
    """Facet filters as sorted value lists; a filter with no value restricts nothing."""
    return {name: sorted(set(values)) for name, values in sorted(query.filters.items()) if values}


def sorted_facets(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE]


def utc_millis(value: datetime | None) -> str | None:
    """ISO 8601 in UTC to the millisecond (Elasticsearch ``date`` precision), sortable as text; naive
    datetimes are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
