"""The production search engine: Elasticsearch 9 through the official client.

Text arrives analysed by ``thesaurus.analysis``, so ``title`` and ``body`` use the core ``whitespace``
analyzer and queries are exact ``term`` queries: the server core (integ-test-zip, no analysis-common module)
is enough, and hits match the embedded engine's exactly. One index holds every tenant; each document's
``_id`` is scoped by its tenant and every query filters on ``tenant_id``.

Timeouts are short and retries few so an outage surfaces quickly as ``SearchUnavailable``: indexing jobs are
retried from the job table and the API answers 503 instead of hanging.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from dms.search import Hit, IndexDoc, SearchQuery, SearchResult, SearchUnavailable, Term
from dms.search.cursors import InvalidCursor, decode_cursor, encode_cursor
from dms.search.rules import (
    FACET_SIZE,
    active_filters,
    check_doc,
    query_groups,
    sorted_facets,
    utc_millis,
)

ENGINE = "elasticsearch"
TITLE_BOOST = 3.0
REQUEST_TIMEOUT_S = 10.0
BULK_CHUNK = 500
BULK_MAX_BYTES = 8 * 1024 * 1024  # long extracted texts: keep each request well inside the request timeout
# Writes come from index jobs at clerk pace: an immediate refresh costs a small segment, while "wait_for"
# would hold every job up to the 1 s refresh interval and cap a worker at about one record per second.
REFRESH = True
_T = TypeVar("_T")

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "dynamic_templates": [
        {"facet_values": {"path_match": "facets.*", "mapping": {"type": "keyword"}}},
    ],
    "properties": {
        "id": {"type": "keyword"},
        "tenant_id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "title": {"type": "text", "analyzer": "whitespace", "similarity": "BM25"},
        "body": {"type": "text", "analyzer": "whitespace", "similarity": "BM25"},
        "facets": {"type": "object", "dynamic": True},
        "date": {"type": "date"},
    },
}
SETTINGS: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0}


def _doc_key(tenant_id: str, doc_id: str) -> str:
    """Length-prefixed so that no (tenant, id) pair collides with another."""
    return f"{len(tenant_id)}:{tenant_id}:{doc_id}"


def _source(doc: IndexDoc) -> dict[str, Any]:
    return {
        "id": doc.id,
        "tenant_id": doc.tenant_id,
        "kind": doc.kind,
        "title": doc.title_tokens,
        "body": doc.body_tokens,
        "facets": {name: sorted(set(values)) for name, values in doc.facets.items() if values},
        "date": utc_millis(doc.date),
    }


def _group_clause(group: list[Term]) -> dict[str, Any]:
    should: list[dict[str, Any]] = []
    for term in group:
        should.append({"term": {"title": {"value": term.token, "boost": TITLE_BOOST * term.boost}}})
        should.append({"term": {"body": {"value": term.token, "boost": term.boost}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _status(exc: ApiError) -> int:
    return int(getattr(exc.meta, "status", 0) or 0)


def _is_outage(status: int) -> bool:
    return status == 429 or status >= 500


class ElasticSearchIndex:
    def __init__(
        self,
        url: str,
        index_name: str = "dms",
        *,
        request_timeout: float = REQUEST_TIMEOUT_S,
        client: Elasticsearch | None = None,
    ) -> None:
        self.url = url
        self.index_name = index_name
        self.client = client or Elasticsearch(
            url,
            request_timeout=request_timeout,
            max_retries=1,
            retry_on_timeout=False,
            # one node behind a load balancer: after an outage, try it again within a second or two instead
            # of the client's default of up to 30 s of "dead node" quarantine
            dead_node_backoff_factor=0.5,
            max_dead_node_backoff=2.0,
        )
        self._ready = False
        self._lock = threading.Lock()

    # -- error mapping -------------------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except TransportError as exc:  # connection refused, timeouts, TLS: the server is not answering
            raise SearchUnavailable(f"elasticsearch at {self.url}: {exc}") from exc
        except ApiError as exc:
            if _is_outage(_status(exc)):
                raise SearchUnavailable(f"elasticsearch at {self.url}: {exc}") from exc
            raise
        except helpers.BulkIndexError as exc:
            statuses = [next(iter(item.values())).get("status", 500) for item in exc.errors]
            if statuses and all(_is_outage(status) for status in statuses):
                raise SearchUnavailable(f"elasticsearch at {self.url}: {exc}") from exc
            raise

    def _call(self, fn: Callable[..., _T], **kwargs: Any) -> _T:
        self._ensure_once()
        with self._guard():
            return fn(**kwargs)

    # -- SearchIndex --------------------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the index with the whitespace mapping; also done before the first use, because a write to a
        missing index would auto-create it with dynamic (standard-analyzer) mappings."""
        with self._guard():
            if not self.client.indices.exists(index=self.index_name):
                try:
                    self.client.indices.create(
                        index=self.index_name,
                        settings=SETTINGS,
                        mappings=MAPPINGS,
                        wait_for_active_shards="1",
                    )
                except ApiError as exc:
                    if _status(exc) != 400 or "resource_already_exists" not in str(exc):
                        raise
            else:
                self.client.indices.put_mapping(index=self.index_name, **MAPPINGS)
        self._ready = True

    def _ensure_once(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.ensure()

    def ping(self) -> bool:
        # The server core answers 405 to ``HEAD /`` (the root endpoint lives in a module): ask for health.
        try:
            health = self.client.options(request_timeout=3.0).cluster.health()
        except Exception:  # any failure at all means "not usable"
            return False
        return health.get("status") in ("green", "yellow")

    def index(self, docs: list[IndexDoc]) -> None:
        for doc in docs:
            check_doc(doc)
        if not docs:
            return
        actions = (
            {
                "_op_type": "index",
                "_index": self.index_name,
                "_id": _doc_key(d.tenant_id, d.id),
                "_source": _source(d),
            }
            for d in docs
        )
        self._call(
            helpers.bulk,
            client=self.client,
            actions=actions,
            chunk_size=BULK_CHUNK,
            max_chunk_bytes=BULK_MAX_BYTES,
            refresh=REFRESH,
        )

    def delete(self, tenant_id: str, ids: list[str]) -> None:
        if not ids:
            return
        actions = (
            {"_op_type": "delete", "_index": self.index_name, "_id": _doc_key(tenant_id, doc_id)} for doc_id in ids
        )
        self._call(
            helpers.bulk,
            client=self.client,
            actions=actions,
            chunk_size=BULK_CHUNK,
            refresh=REFRESH,
            ignore_status=(404,),
        )

    def clear(self, tenant_id: str | None = None) -> None:
        """Scroll the matching ids and bulk-delete them: ``_delete_by_query`` belongs to the ``reindex``
        module, which the server core (integ-test-zip) lacks, and dropping the index would let a concurrent
        write auto-create it with the wrong mappings."""
        query: dict[str, Any] = {"match_all": {}} if tenant_id is None else {"term": {"tenant_id": tenant_id}}

        def scroll_and_delete() -> None:
            hits = helpers.scan(
                self.client, query={"query": query, "_source": False}, index=self.index_name, scroll="2m"
            )
            actions = ({"_op_type": "delete", "_index": self.index_name, "_id": hit["_id"]} for hit in hits)
            helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, ignore_status=(404,))
            self.client.indices.refresh(index=self.index_name)

        self._call(scroll_and_delete)

    def search(self, query: SearchQuery) -> SearchResult:
        groups = query_groups(query)
        filters: list[dict[str, Any]] = [
            {"term": {"tenant_id": query.tenant_id}},
            {"term": {"kind": query.kind}},
        ]
        filters += [{"terms": {f"facets.{name}": values}} for name, values in active_filters(query).items()]
        bool_query: dict[str, Any] = {"filter": filters}
        if groups:
            bool_query["must"] = [_group_clause(group) for group in groups]
            sort: list[Any] = [{"_score": "desc"}, {"id": "asc"}]
        else:
            sort = [{"date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
        aggs = {
            name: {
                "terms": {
                    "field": f"facets.{name}",
                    "size": FACET_SIZE,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
            for name in query.facets
        }
        kwargs: dict[str, Any] = {
            "index": self.index_name,
            "query": {"bool": bool_query},
            "sort": sort,
            "size": query.limit,
            "track_total_hits": True,
            "source": False,
            "fields": ["id"],
        }
        if aggs:
            kwargs["aggs"] = aggs
        seen = 0
        if query.after is not None:
            kwargs["search_after"], seen = self._search_after(query.after, len(sort))
        response = self._call(self.client.search, **kwargs)
        raw_hits = response["hits"]["hits"]
        hits = [Hit(id=hit["fields"]["id"][0], score=float(hit.get("_score") or 0.0)) for hit in raw_hits]
        total = int(response["hits"]["total"]["value"])
        seen += len(raw_hits)
        next_after = encode_cursor(ENGINE, [raw_hits[-1]["sort"], seen]) if raw_hits and seen < total else None
        facets = {
            name: sorted_facets(
                {bucket["key"]: bucket["doc_count"] for bucket in response.get("aggregations", {})[name]["buckets"]}
            )
            for name in query.facets
        }
        return SearchResult(total=total, hits=hits, facets=facets, next_after=next_after)

    def close(self) -> None:
        self.client.close()

    @staticmethod
    def _search_after(after: str, width: int) -> tuple[list[Any], int]:
        """The cursor holds the last hit's sort values and how many hits were already served."""
        state = decode_cursor(ENGINE, after)
        match state:
            case [list() as values, int() as seen] if len(values) == width and seen >= 0:
                return values, seen
        raise InvalidCursor("invalid page cursor: not made for this query")

    def delete_index(self) -> None:
        """Drop the whole index (tests, and a full rebuild with new mappings)."""
        with self._guard():
            self.client.indices.delete(index=self.index_name, ignore_unavailable=True)
        self._ready = False
