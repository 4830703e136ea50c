"""The search port: one protocol, an embedded engine and Elasticsearch behind it.

Engines never analyse text. Callers hand them tokens produced by ``thesaurus.analysis`` (the one
French/Dutch/German/English chain), and queries arrive already analysed and expanded, so both engines return
the same hits for the same query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class SearchUnavailable(RuntimeError):
    """The engine cannot be reached; callers keep the work in the job table and retry later."""


@dataclass(frozen=True)
class IndexDoc:
    id: str
    tenant_id: str
    kind: str
    title_tokens: str
    body_tokens: str
    facets: dict[str, list[str]] = field(default_factory=dict)
    date: datetime | None = None


@dataclass(frozen=True)
class Term:
    token: str
    boost: float = 1.0


@dataclass(frozen=True)
class SearchQuery:
    """AND of groups, OR inside a group: a query word and its expansions form one group."""

    tenant_id: str
    groups: list[list[Term]] = field(default_factory=list)
    kind: str = "record"
    filters: dict[str, list[str]] = field(default_factory=dict)
    facets: list[str] = field(default_factory=list)
    limit: int = 20
    after: str | None = None


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    next_after: str | None = None
    # True when the engine stopped counting at its cap: ``total`` (and the facet counts) are lower bounds and
    # the pages cover only the capped set (like Elasticsearch's ``"relation": "gte"``).
    total_is_lower_bound: bool = False


class SearchIndex(Protocol):
    def ensure(self) -> None:
        """Create the index (schema, template) if it does not exist yet."""

    def index(self, docs: list[IndexDoc]) -> None:
        """Insert or replace documents by (tenant_id, id); visible to ``search`` when this returns."""

    def delete(self, tenant_id: str, ids: list[str]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def clear(self, tenant_id: str | None = None) -> None:
        """Drop every document (of one tenant), before a rebuild from the database."""

    def ping(self) -> bool: ...

    def close(self) -> None: ...


def open_search_index(url: str, *, data_dir, index_name: str = "dms") -> SearchIndex:
    if url in ("", "embedded"):
        from dms.search.embedded import EmbeddedSearchIndex

        return EmbeddedSearchIndex(data_dir / "search")
    if url.startswith(("http://", "https://")):
        from dms.search.elastic import ElasticSearchIndex

        return ElasticSearchIndex(url, index_name=index_name)
    raise ValueError(f"DMS_SEARCH_URL: unsupported value {url!r} (use 'embedded' or http(s)://host:9200)")
