"""Turning a record into the analysed document the search engines index, and the job that does it."""

from __future__ import annotations

from sqlmodel import Session

from dms import jobs, records
from dms.backends import Backends
from dms.db import unit_of_work
from dms.models import File, Job, Record, RegisterKind
from dms.search import IndexDoc, SearchUnavailable
from thesaurus.analysis import analyze_joined

RECORD_KIND = "record"
RECORD_FACETS = ["register", "year", "mime", "status"]


def record_doc(record: Record, files: list[File]) -> IndexDoc:
    title = f"{record.reference} {record.subject}"
    body = "\n".join([record.description, *(f.original_name for f in files), *(f.text for f in files)])
    return IndexDoc(
        id=record.id,
        tenant_id=record.tenant_id,
        kind=RECORD_KIND,
        title_tokens=analyze_joined(title, record.language),
        body_tokens=analyze_joined(body, record.language),
        facets={
            "register": [RegisterKind(record.register_code).name],
            "year": [str(record.year)],
            "mime": sorted({f.mime for f in files}),
            "status": [record.status],
        },
        date=record.registered_at,
    )


def load_doc(session: Session, record_id: str) -> IndexDoc | None:
    record = session.get(Record, record_id)
    if record is None:
        return None
    return record_doc(record, records.files_of(session, record))


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
