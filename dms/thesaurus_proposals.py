"""Governance of the regional thesaurus: a commune's admin proposes a new concept, a change (labels,
broader concepts) or a deprecation; a regional curator accepts (applied at once as a new scheme version) or
rejects it, with a comment. A deprecated concept keeps its URI and points to its replacements, so records
that cite it stay valid and searches for it find what replaced it. Every step is an audit event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import Session, select

from dms import vocabulary
from dms.accounts import Principal
from dms.audit import record_event
from dms.errors import BadInput, Conflict, Forbidden, NotFound
from dms.models import ProposalStatus, Role, SchemeKind, ThesaurusProposal, ThesaurusScheme
from dms.models.base import utcnow
from thesaurus import skos
from thesaurus.model import Concept, Thesaurus

KINDS = ("new", "change", "deprecate")
MAX_LABEL = 500


def _labels(value: dict[str, Any], what: str) -> None:
    for lang, text in value.items():
        texts = text if isinstance(text, list) else [text]
        if len(lang) > 16 or any(not isinstance(t, str) or not t.strip() or len(t) > MAX_LABEL for t in texts):
            raise BadInput(f"{what}: each label needs 1 to {MAX_LABEL} characters and a language tag")


def propose(session: Session, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    if principal.tenant_id is None or principal.role != Role.admin:
        raise Forbidden("proposals are made by a commune's administrator")
    kind = data.get("kind")
    if kind not in KINDS:
        raise BadInput(f"unknown proposal kind {kind!r}: new, change or deprecate")
    regional = vocabulary.view(session, None)
    _labels(data.get("pref_labels") or {}, "pref_labels")
    _labels(data.get("alt_labels") or {}, "alt_labels")
    for uri in [*(data.get("broader") or []), *(data.get("replaced_by") or [])]:
        if uri not in regional.thesaurus:
            raise BadInput(f"unknown regional concept <{uri}>")
    if kind == "new":
        if not (data.get("pref_labels") or {}).get("fr"):
            raise BadInput("a new concept needs a French prefLabel (pref_labels.fr)")
        scheme = vocabulary.get_scheme(session, None, data.get("scheme"))
        if scheme.tenant_id is not None or scheme.kind == SchemeKind.extension:
            raise BadInput("proposals go to a regional scheme")
        uri = data.get("concept") or f"{scheme.uri.rstrip('/#')}/{uuid.uuid4()}"
        if uri in regional.thesaurus:
            raise Conflict(f"concept <{uri}> already exists")
    else:
        uri = data.get("concept") or ""
        owner = regional.scheme_of(uri) if uri in regional.thesaurus else None
        if owner is None:
            raise NotFound(f"no regional concept <{uri}>")
        scheme = session.get(ThesaurusScheme, owner.id)
    payload = {key: data.get(key) for key in ("pref_labels", "alt_labels", "broader", "replaced_by") if data.get(key)}
    if kind == "change" and not payload:
        raise BadInput("a change proposal needs pref_labels, alt_labels or broader")
    row = ThesaurusProposal(tenant_id=principal.tenant_id, scheme_id=scheme.id, kind=kind, concept_uri=uri,
                            payload=json.dumps(payload, ensure_ascii=False), proposed_by=principal.user_id,
                            comment=data.get("comment") or "")
    session.add(row)
    session.flush()
    record_event(session, tenant_id=principal.tenant_id, actor_id=principal.user_id, action="thesaurus.proposed",
                 object_type="thesaurus_proposal", object_id=row.id,
                 data={"kind": kind, "concept": uri, "scheme": scheme.uri, **payload})
    return to_dict(row, scheme)


def list_proposals(session: Session, principal: Principal, status: str | None = None) -> list[dict[str, Any]]:
    query = select(ThesaurusProposal, ThesaurusScheme).join(
        ThesaurusScheme, ThesaurusScheme.id == ThesaurusProposal.scheme_id
    )
    if principal.tenant_id is not None:
        query = query.where(ThesaurusProposal.tenant_id == principal.tenant_id)
    if status:
        query = query.where(ThesaurusProposal.status == status)
    rows = session.exec(query.order_by(ThesaurusProposal.proposed_at)).all()
    return [to_dict(p, s) for p, s in rows]


def decide(session: Session, principal: Principal, proposal_id: str, *, accept: bool,
           comment: str = "") -> dict[str, Any]:
    if principal.role != Role.curator or principal.tenant_id is not None:
        raise Forbidden("only a regional curator decides on proposals")
    row = session.exec(
        select(ThesaurusProposal).where(ThesaurusProposal.id == proposal_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("no such proposal")
    if row.status != ProposalStatus.pending:
        raise Conflict(f"proposal already {row.status}")
    scheme = session.get(ThesaurusScheme, row.scheme_id)
    if accept:
        thesaurus = vocabulary.load(session, [scheme.id])
        apply(thesaurus, scheme.uri, row.kind, row.concept_uri, json.loads(row.payload))
        others = frozenset(vocabulary.view(session, None).thesaurus.concepts) - frozenset(thesaurus.concepts)
        try:  # the same checks as an import: one prefLabel per language, no broader cycle, known targets
            checked = skos.from_graph(skos.to_graph(thesaurus), known_uris=others)
        except skos.SkosValidationError as exc:
            raise vocabulary.refused(exc.problems) from None
        summary = vocabulary.store(session, checked, scheme_uri=scheme.uri, tenant_id=None, kind=scheme.kind,
                                   actor_id=principal.user_id, source="proposal")
        row.version = summary.version
    row.status = ProposalStatus.accepted if accept else ProposalStatus.rejected
    row.decided_by = principal.user_id
    row.decided_at = utcnow()
    row.comment = "\n".join(part for part in (row.comment, comment) if part)
    session.add(row)
    session.flush()
    for chain in {None, row.tenant_id}:  # the region's trail and the commune's
        record_event(session, tenant_id=chain, actor_id=principal.user_id,
                     action=f"thesaurus.proposal_{row.status}", object_type="thesaurus_proposal", object_id=row.id,
                     data={"concept": row.concept_uri, "kind": row.kind, "comment": comment, "version": row.version})
    return to_dict(row, scheme)


def apply(thesaurus: Thesaurus, scheme_uri: str, kind: str, uri: str, payload: dict[str, Any]) -> None:
    if kind == "new":
        concept = thesaurus.add_concept(Concept(uri, dict(payload.get("pref_labels", {})),
                                                {k: list(v) for k, v in payload.get("alt_labels", {}).items()},
                                                schemes={scheme_uri}))
        for broader in payload.get("broader") or []:
            thesaurus.add_broader(concept.uri, broader)
        if not payload.get("broader"):
            thesaurus.add_top_concept(scheme_uri, concept.uri)
        return
    concept = thesaurus.get(uri)
    if concept is None:
        raise Conflict(f"concept <{uri}> is no longer in the scheme")
    if kind == "change":
        concept.pref_labels.update(payload.get("pref_labels", {}))
        for lang, texts in payload.get("alt_labels", {}).items():
            concept.alt_labels[lang] = list(texts)
        if payload.get("broader") is not None:
            for old in concept.broader:
                thesaurus.remove_broader(uri, old)
            for new in payload["broader"]:
                thesaurus.add_broader(uri, new)
    elif kind == "deprecate":
        concept.deprecated = True
        concept.replaced_by = set(payload.get("replaced_by", []))


def to_dict(row: ThesaurusProposal, scheme: ThesaurusScheme | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "tenant_id": row.tenant_id,
        "scheme": scheme.uri if scheme else None,
        "kind": row.kind,
        "concept": row.concept_uri,
        "changes": json.loads(row.payload),
        "status": row.status,
        "proposed_by": row.proposed_by,
        "proposed_at": row.proposed_at,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at,
        "comment": row.comment,
        "version": row.version,
    }
