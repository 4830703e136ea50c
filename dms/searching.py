"""Record search: the query is analysed with the same chain as the documents, run on the tenant's index,
and the hits are read back from the database (tenant-scoped again) with highlights on the original text."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from dms import vocabulary
from dms.errors import BackendUnavailable, BadInput
from dms.indexing import (
    CONCEPT_FACETS,
    DIRECT_PREFIX,
    RECORD_FACETS,
    RECORD_KIND,
    UNDER_PREFIX,
    direct_token,
    under_token,
)
from dms.models import File, Record
from dms.search import SearchIndex, SearchQuery, SearchUnavailable, Term
from dms.search.cursors import InvalidCursor
from dms.tenant_services import NO_SERVICE, record_services
from thesaurus.analysis import analyze
from thesaurus.highlight import highlight

MAX_QUERY = 1000
MAX_LIMIT = 100


def parse_filters(raw: list[str], facets: Sequence[str] = RECORD_FACETS) -> dict[str, list[str]]:
    """``field:value`` pairs (repeatable, OR within a field) on the known facet fields (the records' unless
    told: the library catalog has its own)."""
    filters: dict[str, list[str]] = {}
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep or name not in facets or not value:
            raise BadInput(f"invalid filter {item!r}: use one of {', '.join(facets)} as field:value")
        filters.setdefault(name, []).append(value)
    return filters


def search_records(
    session: Session,
    index: SearchIndex,
    tenant_id: str,
    q: str,
    *,
    filters: dict[str, list[str]] | None = None,
    limit: int = 20,
    after: str | None = None,
    language: str = "fr",
    services: list[str] | None = None,
) -> dict:
    """``services``: when given (an agent's, from ``tenant_services.restricted_to``), only records routed to
    one of them are searched, whatever the caller's own ``service`` filter says beyond them."""
    if len(q) > MAX_QUERY:
        raise BadInput(f"query longer than {MAX_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit must be between 1 and {MAX_LIMIT}")
    terms = list(dict.fromkeys(analyze(q, language)))
    vocab = vocabulary.view(session, tenant_id)
    groups, expanded = expand_query(vocab, q, language) if terms else ([], [])
    filters = dict(filters or {})
    if services is not None:
        wanted_services = [s for s in filters.get("service", services) if s in services]
        filters["service"] = wanted_services or [NO_SERVICE]
    query = SearchQuery(
        tenant_id=tenant_id,
        groups=groups or [[Term(token)] for token in terms],
        kind=RECORD_KIND,
        filters=filters or {},
        facets=RECORD_FACETS,
        limit=limit,
        after=after,
    )
    try:
        result = index.search(query)
    except InvalidCursor as exc:
        raise BadInput(str(exc)) from exc
    except SearchUnavailable as exc:
        raise BackendUnavailable(f"search unavailable: {exc}") from exc
    ids = [hit.id for hit in result.hits]
    rows = {
        r.id: r for r in session.exec(select(Record).where(Record.tenant_id == tenant_id, Record.id.in_(ids)))
    } if ids else {}
    texts: dict[str, list[str]] = {}
    if ids:
        for record_id, text in session.exec(
            select(File.record_id, File.text).where(File.tenant_id == tenant_id, File.record_id.in_(ids))
        ):
            texts.setdefault(record_id, []).append(text)
    concept_prefixes = (DIRECT_PREFIX, UNDER_PREFIX)
    wanted = set(terms) | {t.token for g in groups for t in g if not t.token.startswith(concept_prefixes)}
    hits = []
    for hit in result.hits:
        record = rows.get(hit.id)
        if record is None:  # indexed but gone from the database: the index lags, the database rules
            continue
        if services is not None and not set(services) & set(record_services(record)):
            continue  # rerouted since it was indexed: the database rules here too
        source = "\n".join([record.subject, record.description, *texts.get(record.id, [])])
        hits.append(
            {
                "id": record.id,
                "reference": record.reference,
                "title": record.subject,
                "highlights": highlight(source, wanted, record.language),
                "score": hit.score,
                "registered_at": record.registered_at,
            }
        )
    return {
        "total": result.total,
        # the engine stopped at its cap (embedded: 5,000 matches): "5000+", and the hits and facets cover those
        "total_is_lower_bound": result.total_is_lower_bound,
        "hits": hits,
        "facets": {
            name: [
                {"value": value, "label": vocab.label(value, language), "count": count}
                if name in CONCEPT_FACETS else {"value": value, "count": count}
                for value, count in values
            ]
            for name, values in result.facets.items()
        },
        "next": result.next_after,
        "query_terms": terms,
        "expanded": expanded,
    }


# A record filed under the concept a query names ranks like a synonym match; one filed under a narrower
# concept (found through the ancestor token indexed with it) ranks below the direct narrower labels.
CONCEPT_BOOST = 0.8
UNDER_BOOST = 0.3


def expand_query(vocab: vocabulary.Vocabulary, q: str, language: str) -> tuple[list[list[Term]], list[str]]:
    """The query's AND-of-OR groups, expanded with the thesaurus the tenant sees (synonyms, translations,
    narrower concepts, and the concept tokens of records classified with them), and the labels also searched."""
    if not vocab.thesaurus.concepts:
        return [], []
    expansion = vocab.expander.expand(q, language)
    groups = [[Term(token, boost) for token, boost in group] for group in expansion.groups]
    for use in expansion.concepts_used:
        if use.boost < 1.0:  # narrower concepts: reached through the matched concept's ancestor token
            continue
        for index in use.groups:
            groups[index] += [Term(direct_token(use.uri), CONCEPT_BOOST), Term(under_token(use.uri), UNDER_BOOST)]
    return groups, list(expansion.also_searched_labels)
