"""The thesaurus: browse, autocomplete, import/export (curator: regional; tenant admin: its extension) and
the proposals a commune makes to the regional curators. Another tenant's concepts are reported missing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import classification, records, thesaurus_proposals, vocabulary
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import TooLarge
from dms.permissions import Action, require, require_scope
from ingest.pipeline import run_jobs_now
from ingest.runtime import Runtime

router = APIRouter(prefix="/thesaurus", tags=["thesaurus"])
Language = Annotated[str, Query(pattern="^[a-z]{2}$", description="label language (fr, nl, de, en)")]
MEDIA = {"turtle": "text/turtle", "xml": "application/rdf+xml", "nt": "application/n-triples"}
SUFFIX = {"turtle": "ttl", "xml": "rdf", "nt": "nt"}


@router.get("/schemes", summary="The concept schemes the caller sees, with their top concepts")
def schemes(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    lang: Language = "fr",
) -> list[dict[str, Any]]:
    tenant_id = require_scope(principal, Action.thesaurus_read)
    return vocabulary.list_schemes(session, tenant_id, lang)


@router.get("/autocomplete", summary="Concepts whose labels start with q (any language, accents folded)")
def autocomplete(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    q: Annotated[str, Query(min_length=1, max_length=200)],
    lang: Language = "fr",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[dict[str, Any]]:
    tenant_id = require_scope(principal, Action.thesaurus_read)
    return vocabulary.autocomplete(session, tenant_id, q, language=lang, limit=limit)


@router.get("/concepts/{ref:path}", summary="One concept (by URI or short id): labels, broader, narrower, related")
def concept(
    ref: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    lang: Language = "fr",
) -> dict[str, Any]:
    tenant_id = require_scope(principal, Action.thesaurus_read)
    return vocabulary.concept_detail(session, tenant_id, ref, lang)


@router.post("/import", status_code=201, summary="Import a SKOS file (Turtle, RDF/XML, N-Triples) as a new version")
def import_file(
    file: UploadFile,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
    scheme: Annotated[str | None, Form(max_length=1000, description="scheme URI, if the file holds several")] = None,
    kind: Annotated[Literal["thesaurus", "plan"] | None, Form(description="regional imports only")] = None,
) -> dict[str, Any]:
    """A curator imports regional schemes; a commune's admin imports its own extension. All or nothing: a
    file with problems is refused (400) with each problem naming its URI, and nothing changes."""
    tenant_id = require_scope(principal, Action.thesaurus_import)
    data = file.file.read(vocabulary.MAX_SKOS_BYTES + 1)
    if len(data) > vocabulary.MAX_SKOS_BYTES:
        raise TooLarge(f"SKOS file larger than {vocabulary.MAX_SKOS_BYTES // (1024 * 1024)} MiB")
    with unit_of_work(runtime.backends.engine) as session:
        summary = vocabulary.import_skos(session, data, filename=file.filename, scheme_uri=scheme,
                                         tenant_id=tenant_id, kind=None if tenant_id else kind,
                                         actor_id=principal.user_id)
    return summary.as_dict()


@router.get("/export", summary="A stored scheme as a SKOS file", response_class=Response)
def export(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    format: Annotated[Literal["turtle", "xml", "nt"], Query()] = "turtle",
    scheme: Annotated[str | None, Query(max_length=1000, description="scheme URI or id")] = None,
) -> Response:
    tenant_id = require_scope(principal, Action.thesaurus_read)
    row, data = vocabulary.export_scheme(session, tenant_id, scheme, fmt=format)
    return Response(data, media_type=MEDIA[format], headers={
        "Content-Disposition": f'attachment; filename="thesaurus-v{row.version}.{SUFFIX[format]}"',
        "X-Thesaurus-Version": str(row.version),
    })


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["new", "change", "deprecate"]
    concept: str | None = Field(default=None, max_length=1000, description="URI (change, deprecate; new: optional)")
    scheme: str | None = Field(default=None, max_length=1000, description="regional scheme URI (new concepts)")
    pref_labels: dict[str, str] = Field(default_factory=dict)
    alt_labels: dict[str, list[str]] = Field(default_factory=dict)
    broader: list[str] | None = None
    replaced_by: list[str] = Field(default_factory=list)
    comment: str = Field(default="", max_length=5000)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=5000)


@router.post("/proposals", status_code=201, summary="Propose a new concept or a change to a regional one")
def propose(
    proposal: ProposalIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    require_scope(principal, Action.thesaurus_curate)
    with unit_of_work(runtime.backends.engine) as session:
        return thesaurus_proposals.propose(session, principal, proposal.model_dump())


@router.get("/proposals", summary="Proposals: a commune sees its own, a curator every one")
def proposals(
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    status: Annotated[Literal["pending", "accepted", "rejected"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    require_scope(principal, Action.thesaurus_curate)
    return thesaurus_proposals.list_proposals(session, principal, status)


@router.post("/proposals/{proposal_id}/accept", summary="Accept and apply a proposal (curator): a new version")
def accept(
    proposal_id: str,
    decision: Decision,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    require_scope(principal, Action.thesaurus_curate)
    with unit_of_work(runtime.backends.engine) as session:
        return thesaurus_proposals.decide(session, principal, proposal_id, accept=True, comment=decision.comment)


@router.post("/proposals/{proposal_id}/reject", summary="Reject a proposal with a comment (curator)")
def reject(
    proposal_id: str,
    decision: Decision,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    require_scope(principal, Action.thesaurus_curate)
    with unit_of_work(runtime.backends.engine) as session:
        return thesaurus_proposals.decide(session, principal, proposal_id, accept=False, comment=decision.comment)


records_router = APIRouter(prefix="/records", tags=["records"])


class ClassificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classification: str | None = Field(default=None, max_length=1000)
    keywords: list[str] = Field(default_factory=list, max_length=100)


@records_router.get("/{record_id}/suggestions", summary="Suggested class of the plan and keywords, with scores")
def suggestions(
    record_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(read_session)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict[str, Any]:
    tenant_id = require(principal, Action.record_read)
    records.get(session, tenant_id, record_id, viewer=principal)  # an agent: their services' mail only
    return classification.suggest_for_record(session, tenant_id, record_id, limit=limit)


@records_router.put("/{record_id}/classification", summary="Confirm or correct a record's class and keywords")
def classify(
    record_id: str,
    body: ClassificationIn,
    principal: Annotated[Principal, Depends(current_principal)],
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> dict[str, Any]:
    tenant_id = require(principal, Action.record_create)
    with unit_of_work(runtime.backends.engine) as session:
        record, job_id = classification.classify(session, tenant_id, principal.user_id, record_id,
                                                 body.classification, body.keywords)
        files = records.files_of(session, record)
    run_jobs_now(runtime, [job_id])
    return records.to_dict(record, files)
