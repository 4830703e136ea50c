"""Concept schemes in the database: import (a new released version, all-or-nothing), export, the view a
tenant sees (regional schemes plus its own extensions), browsing, autocomplete and the per-process cache.

The library (``thesaurus/``) parses, validates, matches and expands; this module persists what it built and
rebuilds it. A tenant's view is the merge of every stored scheme it may see; it is cached per process under
the (scheme id, version) pairs it was built from, so a new version anywhere (an import, an accepted proposal,
in this process or another one) is noticed by the next request with one small query, and the old view is
simply not used again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, or_
from sqlmodel import Session, select

from dms import jobs
from dms.audit import record_event
from dms.errors import BadInput, NotFound, TooLarge
from dms.models import (
    Record,
    SchemeKind,
    ThesaurusLabel,
    ThesaurusRelation,
    ThesaurusResource,
    ThesaurusScheme,
    ThesaurusVersion,
)
from dms.models.base import utcnow
from dms.models.thesaurus import REGIONAL_SCOPE
from thesaurus import skos
from thesaurus.expansion import QueryExpander
from thesaurus.hierarchy import ancestors, children, path_to_top, sort_key
from thesaurus.matching import LabelIndex
from thesaurus.model import Collection, Concept, ConceptScheme, Notation, Thesaurus

MAX_SKOS_BYTES = skos.MAX_BYTES
MAX_PROBLEMS_SHOWN = 200
CACHE_SIZE = 8
INDEX_JOB = "index_record"  # dms.records.INDEX_JOB (not imported: dms.records imports this module)


# -- errors -------------------------------------------------------------------------------------------------


def refused(problems: Iterable[skos.Problem]) -> BadInput:
    """A SKOS file refused: every problem, each naming its URI, in the error's ``problems``."""
    problems = sorted(set(problems), key=lambda p: (p.uri, p.message))
    listed = [{"uri": p.uri, "message": p.message} for p in problems[:MAX_PROBLEMS_SHOWN]]
    shown = "; ".join(str(p) for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return BadInput(f"SKOS file refused, nothing changed: {len(problems)} problem(s): {shown}{more}",
                    problems=listed)


def concept_id(uri: str) -> str:
    """A short stable id for a concept URI, safe in a URL path and as one search token."""
    return hashlib.sha1(uri.encode(), usedforsecurity=False).hexdigest()[:16]


# -- storing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    scheme_id: str
    scheme_uri: str
    kind: str
    tenant_id: str | None
    version: int
    concepts: int
    collections: int
    labels: int
    relations: int
    ignored: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheme_id": self.scheme_id,
            "scheme": self.scheme_uri,
            "kind": self.kind,
            "tenant_id": self.tenant_id,
            "version": self.version,
            "concepts": self.concepts,
            "collections": self.collections,
            "labels": self.labels,
            "relations": self.relations,
            "ignored_triples": sum(self.ignored.values()),
            "ignored": self.ignored,
        }


def _scope(tenant_id: str | None) -> str:
    return tenant_id or REGIONAL_SCOPE


def visible_schemes(session: Session, tenant_id: str | None) -> list[ThesaurusScheme]:
    """Regional schemes first (they are what extensions hang under), then the tenant's own."""
    query = select(ThesaurusScheme).where(ThesaurusScheme.version > 0)
    if tenant_id is None:
        query = query.where(ThesaurusScheme.tenant_id.is_(None))
    else:
        query = query.where(or_(ThesaurusScheme.tenant_id.is_(None), ThesaurusScheme.tenant_id == tenant_id))
    rows = list(session.exec(query).all())
    return sorted(rows, key=lambda s: (s.tenant_id is not None, s.kind, s.uri, s.id))


def import_skos(
    session: Session,
    data: bytes,
    *,
    filename: str | None = None,
    scheme_uri: str | None = None,
    tenant_id: str | None = None,
    kind: str | None = None,
    actor_id: str | None = None,
) -> ImportSummary:
    """Validate a SKOS file and store it as the next version of its scheme, in the caller's transaction.

    ``tenant_id`` makes it that tenant's extension, whose links may point to the regional concepts. Any
    problem (the library's, or a URI already defined by another visible scheme) raises ``BadInput`` with
    the list, before anything is written.
    """
    if len(data) > MAX_SKOS_BYTES:
        raise TooLarge(f"SKOS file larger than {MAX_SKOS_BYTES // (1024 * 1024)} MiB")
    known = frozenset(view(session, None).thesaurus.concepts) if tenant_id else frozenset()
    try:
        graph = skos.parse_graph(data, filename=filename)
        loaded = skos.from_graph(graph, known_uris=known)
    except skos.SkosValidationError as exc:
        raise refused(exc.problems) from None
    return store(session, loaded, scheme_uri=scheme_uri, tenant_id=tenant_id, kind=kind, actor_id=actor_id,
                 ignored=skos.ignored(graph, loaded))


def _main_scheme(loaded: Thesaurus, scheme_uri: str | None) -> str:
    if scheme_uri:
        return scheme_uri
    if len(loaded.schemes) == 1:
        return next(iter(loaded.schemes))
    if not loaded.schemes:
        raise refused([skos.Problem("", "the file declares no skos:ConceptScheme: name the scheme (--scheme URI)")])
    names = ", ".join(sorted(loaded.schemes))
    raise refused([skos.Problem("", f"the file declares several schemes ({names}): choose one (--scheme URI)")])


def _guess_kind(loaded: Thesaurus, tenant_id: str | None) -> str:
    if tenant_id:
        return SchemeKind.extension
    if loaded.concepts and all(c.notations for c in loaded.concepts.values()):
        return SchemeKind.plan
    return SchemeKind.thesaurus


def _clashes(session: Session, loaded: Thesaurus, scheme: ThesaurusScheme | None, tenant_id: str | None) -> list:
    """URIs the file defines that another scheme the same readers see already defines."""
    others = [s.id for s in visible_schemes(session, tenant_id) if scheme is None or s.id != scheme.id]
    if tenant_id is None:  # a regional scheme is seen by every tenant: its extensions count too
        others += [
            s.id for s in session.exec(select(ThesaurusScheme).where(ThesaurusScheme.tenant_id.is_not(None)))
            if scheme is None or s.id != scheme.id
        ]
    if not others:
        return []
    mine = set(loaded.concepts) | set(loaded.collections)
    problems = []
    for uri, owner in session.exec(
        select(ThesaurusResource.uri, ThesaurusScheme.uri)
        .join(ThesaurusScheme, ThesaurusScheme.id == ThesaurusResource.scheme_id)
        .where(ThesaurusResource.scheme_id.in_(others), ThesaurusResource.type != "scheme")
    ):
        if uri in mine:
            problems.append(skos.Problem(uri, f"already defined by the scheme <{owner}>"))
    return problems


def store(
    session: Session,
    loaded: Thesaurus,
    *,
    scheme_uri: str | None = None,
    tenant_id: str | None = None,
    kind: str | None = None,
    actor_id: str | None = None,
    ignored: dict[str, int] | None = None,
    source: str = "import",
) -> ImportSummary:
    """Replace a stored scheme's content with ``loaded`` (already validated) as its next version."""
    main = _main_scheme(loaded, scheme_uri)
    kind = kind or _guess_kind(loaded, tenant_id)
    if kind not in SchemeKind.__members__:
        raise BadInput(f"unknown scheme kind {kind!r}: thesaurus, plan or extension")
    if tenant_id and kind != SchemeKind.extension:
        raise BadInput("a tenant may only import an extension of the regional thesaurus")
    scheme = session.exec(
        select(ThesaurusScheme)
        .where(ThesaurusScheme.scope == _scope(tenant_id), ThesaurusScheme.uri == main)
        .with_for_update()
    ).first()
    problems = _clashes(session, loaded, scheme, tenant_id)
    if problems:
        raise refused(problems)
    now = utcnow()
    if scheme is None:
        scheme = ThesaurusScheme(scope=_scope(tenant_id), tenant_id=tenant_id, uri=main, kind=kind)
    scheme.kind = kind
    scheme.version += 1
    scheme.released_at = now
    scheme.released_by = actor_id
    scheme.title = (loaded.schemes[main].title("fr") if main in loaded.schemes else main)[:500]
    session.add(scheme)
    session.flush()
    for table in (ThesaurusLabel, ThesaurusRelation, ThesaurusResource):
        session.execute(delete(table).where(table.scheme_id == scheme.id))
    resources, labels, relations = _rows(scheme.id, loaded)
    for table, rows in ((ThesaurusResource, resources), (ThesaurusLabel, labels), (ThesaurusRelation, relations)):
        if rows:
            session.execute(insert(table), rows)
    summary = ImportSummary(
        scheme_id=scheme.id,
        scheme_uri=main,
        kind=kind,
        tenant_id=tenant_id,
        version=scheme.version,
        concepts=len(loaded.concepts),
        collections=len(loaded.collections),
        labels=len(labels),
        relations=len(relations),
        ignored=dict(ignored or {}),
    )
    session.add(ThesaurusVersion(scheme_id=scheme.id, version=scheme.version, released_at=now,
                                 released_by=actor_id, source=source,
                                 summary=json.dumps(summary.as_dict(), ensure_ascii=False)))
    action = "thesaurus.imported" if source == "import" else "thesaurus.released"
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action=action,
                 object_type="thesaurus_scheme", object_id=scheme.id,
                 data={k: v for k, v in summary.as_dict().items() if k != "ignored"})
    _queue_reindex(session, tenant_id)
    session.flush()
    return summary


def _queue_reindex(session: Session, tenant_id: str | None) -> None:
    """Records index their concepts' labels and ancestors: a new version re-indexes the classified ones."""
    query = select(Record.id, Record.tenant_id, Record.classification, Record.keywords)
    if tenant_id:
        query = query.where(Record.tenant_id == tenant_id)
    for record_id, owner, classification, keywords in session.exec(query):
        if classification or keywords:
            jobs.enqueue(session, INDEX_JOB, {"record_id": record_id}, tenant_id=owner)


def _dump(value: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in value.items() if v}, ensure_ascii=False, sort_keys=True)


def _rows(scheme_id: str, loaded: Thesaurus) -> tuple[list[dict], list[dict], list[dict]]:
    resources: list[dict] = []
    labels: list[dict] = []
    relations: list[dict] = []

    def link(source: str, kind: str, targets: Iterable[str]) -> None:
        relations.extend({"scheme_id": scheme_id, "source": source, "kind": kind, "target": t}
                         for t in sorted(targets))

    for scheme in loaded.schemes.values():
        resources.append({"scheme_id": scheme_id, "uri": scheme.uri, "type": "scheme", "notation": None,
                          "deprecated": False,
                          "data": _dump({"titles": scheme.titles, "pref_labels": scheme.pref_labels})})
        link(scheme.uri, "has_top", scheme.top_concepts)
    for concept in loaded.concepts.values():
        resources.append({
            "scheme_id": scheme_id, "uri": concept.uri, "type": "concept",
            "notation": concept.notation[:200] if concept.notation else None,
            "deprecated": concept.deprecated,
            "data": _dump({
                "notations": [list(n) for n in concept.notations],
                "definitions": concept.definitions,
                "scope_notes": concept.scope_notes,
                "schemes": sorted(concept.schemes),
                "exact_match": sorted(concept.exact_match),
                "close_match": sorted(concept.close_match),
                "replaced_by": sorted(concept.replaced_by),
            }),
        })
        labels.extend({"scheme_id": scheme_id, "uri": concept.uri, "kind": label.kind, "lang": label.language,
                       "text": label.text} for label in concept.labels())
        link(concept.uri, "broader", concept.broader)
        link(concept.uri, "narrower", concept.narrower)
        link(concept.uri, "related", concept.related)
        link(concept.uri, "top", concept.top_concept_of)
    for collection in loaded.collections.values():
        resources.append({
            "scheme_id": scheme_id, "uri": collection.uri, "type": "collection",
            "notation": collection.notations[0].value[:200] if collection.notations else None,
            "deprecated": False,
            "data": _dump({"pref_labels": collection.pref_labels, "schemes": sorted(collection.schemes),
                           "notations": [list(n) for n in collection.notations]}),
        })
        link(collection.uri, "member", collection.members)
    return resources, labels, relations


# -- loading ------------------------------------------------------------------------------------------------


def load(session: Session, scheme_ids: list[str]) -> Thesaurus:
    """A fresh ``Thesaurus`` holding the stored schemes, merged in the order given (regional first)."""
    thesaurus = Thesaurus()
    if not scheme_ids:
        return thesaurus
    order = {sid: i for i, sid in enumerate(scheme_ids)}
    rows = sorted(
        session.exec(select(ThesaurusResource).where(ThesaurusResource.scheme_id.in_(scheme_ids))).all(),
        key=lambda r: (order[r.scheme_id], {"scheme": 0, "concept": 1, "collection": 2}[r.type], r.uri),
    )
    concepts: dict[str, Concept] = {}
    collections: dict[str, Collection] = {}
    mine: set[tuple[str, str]] = set()  # (scheme_id, uri) actually added: a duplicate URI keeps the first
    for row in rows:
        data = json.loads(row.data)
        if row.type == "scheme":
            if row.uri not in thesaurus.schemes:
                thesaurus.add_scheme(ConceptScheme(row.uri, data.get("titles", {}), data.get("pref_labels", {})))
            mine.add((row.scheme_id, row.uri))
        elif row.type == "concept":
            if row.uri in concepts:
                continue
            concepts[row.uri] = thesaurus.add_concept(Concept(
                row.uri,
                notations=[Notation(v, d) for v, d in data.get("notations", [])],
                definitions=data.get("definitions", {}),
                scope_notes=data.get("scope_notes", {}),
                schemes=set(data.get("schemes", [])),
                exact_match=set(data.get("exact_match", [])),
                close_match=set(data.get("close_match", [])),
                deprecated=row.deprecated,
                replaced_by=set(data.get("replaced_by", [])),
            ))
            mine.add((row.scheme_id, row.uri))
        elif row.uri not in collections:
            collections[row.uri] = thesaurus.add_collection(Collection(
                row.uri, data.get("pref_labels", {}), set(), set(data.get("schemes", [])),
                [Notation(v, d) for v, d in data.get("notations", [])],
            ))
            mine.add((row.scheme_id, row.uri))
    for scheme_id, uri, kind, lang, text in session.exec(
        select(ThesaurusLabel.scheme_id, ThesaurusLabel.uri, ThesaurusLabel.kind, ThesaurusLabel.lang,
               ThesaurusLabel.text)
        .where(ThesaurusLabel.scheme_id.in_(scheme_ids)).order_by(ThesaurusLabel.id)
    ):
        concept = concepts.get(uri)
        if concept is None or (scheme_id, uri) not in mine:
            continue
        if kind == "pref":
            concept.pref_labels[lang] = text
        else:
            (concept.alt_labels if kind == "alt" else concept.hidden_labels).setdefault(lang, []).append(text)
    for scheme_id, source, kind, target in session.exec(
        select(ThesaurusRelation.scheme_id, ThesaurusRelation.source, ThesaurusRelation.kind,
               ThesaurusRelation.target)
        .where(ThesaurusRelation.scheme_id.in_(scheme_ids)).order_by(ThesaurusRelation.id)
    ):
        if (scheme_id, source) not in mine:
            continue
        if kind == "broader":
            thesaurus.add_broader(source, target)
        elif kind == "narrower":
            thesaurus.add_narrower(source, target)
        elif kind == "related":
            thesaurus.add_related(source, target)
        elif kind == "top":
            thesaurus.add_top_concept(target, source)
        elif kind == "has_top":
            thesaurus.add_top_concept(source, target)
        elif kind == "member" and source in collections:
            collections[source].members.add(target)
    return thesaurus


# -- the cached view ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeInfo:
    id: str
    uri: str
    kind: str
    tenant_id: str | None
    version: int
    title: str
    released_at: Any

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "uri": self.uri, "kind": self.kind, "version": self.version,
                "title": self.title, "released_at": self.released_at,
                "scope": "tenant" if self.tenant_id else "regional"}


class Vocabulary:
    """What one set of stored scheme versions holds, with its label index and query expander built once."""

    def __init__(self, thesaurus: Thesaurus, schemes: list[SchemeInfo], owners: dict[str, str]) -> None:
        self.thesaurus = thesaurus
        self.schemes = schemes
        self.owners = owners  # concept uri -> stored scheme id
        self.plan_ids = {s.id for s in schemes if s.kind == SchemeKind.plan}
        self._lock = threading.Lock()
        self._index: LabelIndex | None = None
        self._expander: QueryExpander | None = None
        self._by_id: dict[str, str] | None = None

    @property
    def index(self) -> LabelIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = LabelIndex(self.thesaurus)
        return self._index

    @property
    def expander(self) -> QueryExpander:
        if self._expander is None:
            with self._lock:
                if self._expander is None:
                    self._expander = QueryExpander(self.thesaurus)
        return self._expander

    def is_plan_concept(self, uri: str) -> bool:
        return self.owners.get(uri) in self.plan_ids

    def scheme_of(self, uri: str) -> SchemeInfo | None:
        owner = self.owners.get(uri)
        return next((s for s in self.schemes if s.id == owner), None)

    def resolve(self, ref: str) -> Concept:
        """A concept by URI or by its short id; NotFound when this view does not hold it."""
        concept = self.thesaurus.get(ref)
        if concept is None and len(ref) == 16:
            if self._by_id is None:
                self._by_id = {concept_id(uri): uri for uri in self.thesaurus.concepts}
            uri = self._by_id.get(ref)
            concept = self.thesaurus.get(uri) if uri else None
        if concept is None:
            raise NotFound("no such concept")
        return concept

    def label(self, uri: str, language: str = "fr") -> str:
        return self.thesaurus.label(uri, language)

    def ancestors(self, uri: str) -> list[str]:
        return list(ancestors(self.thesaurus, uri)) if uri in self.thesaurus else []


_cache: OrderedDict[tuple, Vocabulary] = OrderedDict()
_cache_lock = threading.Lock()
_build_lock = threading.Lock()


def view(session: Session, tenant_id: str | None) -> Vocabulary:
    """The vocabulary ``tenant_id`` sees (``None``: the regional schemes only), from the cache when no
    scheme it is made of has changed version since it was built."""
    rows = visible_schemes(session, tenant_id)
    key = tuple((s.id, s.version) for s in rows)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    with _build_lock:
        with _cache_lock:
            found = _cache.get(key)
        if found is not None:
            return found
        thesaurus = load(session, [s.id for s in rows])
        owners: dict[str, str] = {}
        if rows:
            rank = {s.id: i for i, s in enumerate(rows)}
            pairs = session.exec(
                select(ThesaurusResource.scheme_id, ThesaurusResource.uri)
                .where(ThesaurusResource.scheme_id.in_(list(rank)), ThesaurusResource.type == "concept")
            ).all()
            for sid, uri in sorted(pairs, key=lambda pair: rank[pair[0]]):
                owners.setdefault(uri, sid)
        infos = [SchemeInfo(s.id, s.uri, s.kind, s.tenant_id, s.version, s.title, s.released_at) for s in rows]
        vocabulary = Vocabulary(thesaurus, infos, owners)
        with _cache_lock:
            _cache[key] = vocabulary
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return vocabulary


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# -- reading: schemes, concepts, autocomplete, export -------------------------------------------------------


def get_scheme(session: Session, tenant_id: str | None, ref: str | None = None,
               *, own_only: bool = False) -> ThesaurusScheme:
    """A visible stored scheme by id or URI; without ``ref``, the only regional thesaurus (or the tenant's
    only extension when ``own_only``)."""
    rows = visible_schemes(session, tenant_id)
    if own_only:
        rows = [s for s in rows if s.tenant_id is not None]
    if ref:
        for row in rows:
            if ref in (row.id, row.uri):
                return row
        raise NotFound("no such scheme")
    candidates = rows if own_only else [s for s in rows if s.tenant_id is None and s.kind == SchemeKind.thesaurus]
    if not candidates:
        raise NotFound("no thesaurus has been imported yet")
    if len(candidates) > 1:
        raise BadInput("several schemes: choose one (scheme=URI): " + ", ".join(s.uri for s in candidates))
    return candidates[0]


def list_schemes(session: Session, tenant_id: str | None, language: str = "fr") -> list[dict[str, Any]]:
    vocabulary = view(session, tenant_id)
    out = []
    for info in vocabulary.schemes:
        tops = vocabulary.thesaurus.top_concepts(info.uri)
        if not tops:  # a scheme without hasTopConcept: its concepts with no broader concept
            tops = [c for c in vocabulary.thesaurus.concepts.values()
                    if vocabulary.owners.get(c.uri) == info.id
                    and not (c.broader & vocabulary.thesaurus.concepts.keys())]
        entry = info.as_dict()
        entry["concepts"] = sum(1 for owner in vocabulary.owners.values() if owner == info.id)
        entry["top_concepts"] = [_brief(vocabulary, c.uri, language)
                                 for c in sorted(tops, key=lambda c: sort_key(c.pref_label(language)))
                                 if not c.deprecated]
        out.append(entry)
    return out


def _brief(vocabulary: Vocabulary, uri: str, language: str) -> dict[str, Any]:
    concept = vocabulary.thesaurus.get(uri)
    if concept is None:
        return {"uri": uri, "id": concept_id(uri), "label": uri}
    return {
        "uri": uri,
        "id": concept_id(uri),
        "label": concept.pref_label(language),
        "notation": concept.notation,
        "has_children": any(n in vocabulary.thesaurus.concepts for n in concept.narrower),
        "deprecated": concept.deprecated,
    }


def concept_detail(session: Session, tenant_id: str | None, ref: str, language: str = "fr") -> dict[str, Any]:
    vocabulary = view(session, tenant_id)
    concept = vocabulary.resolve(ref)
    thesaurus = vocabulary.thesaurus
    scheme = vocabulary.scheme_of(concept.uri)

    def briefs(uris: Iterable[str]) -> list[dict[str, Any]]:
        known = [u for u in uris if u in thesaurus.concepts]
        return sorted((_brief(vocabulary, u, language) for u in known), key=lambda b: sort_key(b["label"]))

    return {
        **_brief(vocabulary, concept.uri, language),
        "scheme": scheme.uri if scheme else None,
        "scope": ("tenant" if scheme.tenant_id else "regional") if scheme else None,
        "pref_labels": dict(concept.pref_labels),
        "alt_labels": {k: list(v) for k, v in concept.alt_labels.items()},
        "notations": [n.value for n in concept.notations],
        "definitions": {k: list(v) for k, v in concept.definitions.items()},
        "scope_notes": {k: list(v) for k, v in concept.scope_notes.items()},
        "broader": briefs(concept.broader),
        "narrower": briefs(concept.narrower),
        "children": [_brief(vocabulary, c.uri, language) for c in children(thesaurus, concept.uri, language)],
        "related": briefs(concept.related),
        "path": [_brief(vocabulary, u, language) for u in path_to_top(thesaurus, concept.uri)],
        "replaced_by": briefs(concept.replaced_by),
        "exact_match": sorted(concept.exact_match),
        "close_match": sorted(concept.close_match),
    }


def autocomplete(session: Session, tenant_id: str | None, q: str, *, language: str | None = "fr",
                 limit: int = 10) -> list[dict[str, Any]]:
    if len(q) > 200:
        raise BadInput("autocomplete prefix longer than 200 characters")
    if not 1 <= limit <= 50:
        raise BadInput("limit must be between 1 and 50")
    vocabulary = view(session, tenant_id)
    out = []
    for suggestion in vocabulary.index.autocomplete(q, language=language, limit=limit):
        concept = vocabulary.thesaurus[suggestion.uri]
        out.append({
            "uri": suggestion.uri,
            "id": concept_id(suggestion.uri),
            "label": suggestion.label,
            "lang": suggestion.lang,
            "pref_label": concept.pref_label(language),
            "notation": concept.notation,
            "score": round(suggestion.score, 4),
        })
    return out


def export_scheme(session: Session, tenant_id: str | None, ref: str | None = None, *, fmt: str = "turtle",
                  own_only: bool = False) -> tuple[ThesaurusScheme, bytes]:
    if fmt not in ("turtle", "xml", "nt"):
        raise BadInput(f"unsupported export format {fmt!r}: turtle, xml or nt")
    scheme = get_scheme(session, tenant_id, ref, own_only=own_only)
    return scheme, skos.export(load(session, [scheme.id]), fmt)


# -- records ------------------------------------------------------------------------------------------------


def check_record_concepts(session: Session, tenant_id: str, classification: str | None,
                          keywords: Iterable[str]) -> tuple[str | None, list[str]]:
    """The record's classification and keywords, checked against what the tenant sees: unknown URIs and
    deprecated concepts (with their replacements named) are refused."""
    keywords = list(dict.fromkeys(k.strip() for k in keywords if k and k.strip()))
    classification = (classification or "").strip() or None
    if classification is None and not keywords:
        return None, []
    vocabulary = view(session, tenant_id)
    problems = []
    for uri in ([classification] if classification else []) + keywords:
        concept = vocabulary.thesaurus.get(uri)
        if concept is None:
            problems.append(f"unknown concept <{uri}>")
        elif concept.deprecated:
            instead = ", ".join(f"<{u}>" for u in sorted(concept.replaced_by)) or "no replacement"
            problems.append(f"deprecated concept <{uri}> (replaced by {instead})")
    if classification and vocabulary.thesaurus.get(classification) and not vocabulary.is_plan_concept(
        classification
    ):
        problems.append(f"<{classification}> is not a class of the classification plan")
    if problems:
        raise BadInput("; ".join(problems))
    return classification, keywords


def delete_scheme(session: Session, scheme_id: str, *, actor_id: str | None) -> None:
    """Remove a stored scheme and its content (records keep the URIs they cite; they are re-indexed)."""
    from dms.models import ThesaurusProposal

    scheme = session.get(ThesaurusScheme, scheme_id)
    if scheme is None:
        raise NotFound("no such scheme")
    for table in (ThesaurusLabel, ThesaurusRelation, ThesaurusResource, ThesaurusVersion, ThesaurusProposal):
        session.execute(delete(table).where(table.scheme_id == scheme.id))
    session.delete(scheme)
    record_event(session, tenant_id=scheme.tenant_id, actor_id=actor_id, action="thesaurus.deleted",
                 object_type="thesaurus_scheme", object_id=scheme.id, data={"uri": scheme.uri})
    _queue_reindex(session, scheme.tenant_id)
    session.flush()
