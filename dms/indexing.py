"""Turning a record into the analysed document the search engines index, and the job that does it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session

from dms import jobs, records, tenant_services
from dms.backends import Backends
from dms.db import unit_of_work
from dms.models import File, Job, Record, RegisterKind
from dms.search import IndexDoc, SearchUnavailable
from dms.search.rules import MAX_FACET_VALUE
from dms.vocabulary import Vocabulary, concept_id, view
from thesaurus.analysis import analyze_joined

RECORD_KIND = "record"
RECORD_FACETS = ["register", "year", "mime", "status", "classification", "keywords", "service", "mail_type"]
CONCEPT_FACETS = ("classification", "keywords")
# One whitespace-free token per concept (letters and digits only: FTS5 splits on punctuation, ES does not):
# "thkw…" on records classified or keyworded with the concept itself, "thku…" on records whose concepts sit
# under it at any depth, so a search for a broad concept finds the records filed under narrower ones.
DIRECT_PREFIX = "thkw"
UNDER_PREFIX = "thku"


def direct_token(uri: str) -> str:
    return DIRECT_PREFIX + concept_id(uri)


def under_token(uri: str) -> str:
    return UNDER_PREFIX + concept_id(uri)


def record_concepts(record: Record) -> list[str]:
    return list(dict.fromkeys(([record.classification] if record.classification else []) + list(record.keywords or [])))


def concept_tokens(record: Record, vocabulary: Vocabulary | None) -> str:
    """The record's concept tokens, its concepts' ancestors, and their labels in the record's language
    (labels in other languages reach the record through the concept tokens a query expands to)."""
    uris = record_concepts(record)
    parts = [direct_token(uri) for uri in uris]
    if vocabulary is not None:
        above: dict[str, None] = {}
        for uri in uris:
            concept = vocabulary.thesaurus.get(uri)
            if concept is None:
                continue
            for label in concept.labels():
                if label.language in (record.language, ""):
                    parts.append(analyze_joined(label.text, record.language))
            above.update(dict.fromkeys(vocabulary.ancestors(uri)))
        parts += [under_token(uri) for uri in above]
    return " ".join(part for part in parts if part)


def vocabulary_for(session: Session, record: Record) -> Vocabulary | None:
    return view(session, record.tenant_id) if record_concepts(record) else None


@dataclass(frozen=True)
class DocText:
    """A record's index document before the analysis of its title and body (``doc`` has no tokens yet): what
    the reindex hands to its process pool, since the analysis is the costly part (dms/reindex.py)."""

    doc: IndexDoc
    language: str | None
    title: str
    body: str
    concepts: str  # already tokens


def analysed(text: DocText) -> IndexDoc:
    body_tokens = analyze_joined(text.body, text.language)
    return replace(text.doc, title_tokens=analyze_joined(text.title, text.language),
                   body_tokens=f"{body_tokens} {text.concepts}" if text.concepts else body_tokens)


def analysed_all(texts: list[DocText]) -> list[IndexDoc]:
    return [analysed(text) for text in texts]


def record_doc(record: Record, files: list[File], vocabulary: Vocabulary | None = None) -> IndexDoc:
    return analysed(record_text(record, files, vocabulary))


def record_text(record: Record, files: list[File], vocabulary: Vocabulary | None = None) -> DocText:
    """``record`` may be a Record or a row with its columns; ``files`` rows with original_name, text, mime."""
    title = f"{record.reference} {record.subject}"
    body = "\n".join([record.description, *(f.original_name for f in files), *(f.text for f in files)])
    doc = IndexDoc(
        id=record.id,
        tenant_id=record.tenant_id,
        kind=RECORD_KIND,
        title_tokens="",
        body_tokens="",
        facets={
            "register": [RegisterKind(record.register_code).name],
            "year": [str(record.year)],
            "mime": sorted({f.mime for f in files}),
            # a cancelled registration leaves the workflow: it is found as cancelled, not in its last state
            "status": ["cancelled" if record.cancelled else record.status],
            "classification": [record.classification] if record.classification else [],
            "keywords": [k for k in (record.keywords or []) if len(k) <= MAX_FACET_VALUE],
            # treating and copy services: what an agent's search is filtered on (dms/tenant_services.py)
            "service": tenant_services.record_services(record),
            "mail_type": [record.mail_type] if record.mail_type else [],
        },
        date=record.registered_at,
    )
    return DocText(doc, record.language, title, body, concept_tokens(record, vocabulary))


def load_doc(session: Session, record_id: str) -> IndexDoc | None:
    record = session.get(Record, record_id)
    if record is None:
        return None
    return record_doc(record, records.files_of(session, record), vocabulary_for(session, record))


def index_record_job(backends: Backends, job: Job) -> None:
    record_id = jobs.payload(job)["record_id"]
    with unit_of_work(backends.engine, write=False) as session:
        doc = load_doc(session, record_id)
    try:
        if doc is None:
            if job.tenant_id:
                backends.search.delete(job.tenant_id, [record_id])
            return
        backends.search.index([doc])
    except SearchUnavailable as exc:
        raise jobs.RetryLater(str(exc)) from exc
