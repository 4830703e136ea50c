"""The region's label, per version: submitted by the publishing commune, reviewed by the regional librarian.

    none ──submit──▶ submitted ──▶ in_review ──▶ labelled
    rejected ──submit──▶ submitted          └──▶ rejected (with a comment saying why)

Each step is a review row (who, when, comment), an audit event and a reindex of the item (the ``label``
facet). A labelled version shows ``"labelled": true`` in every answer that names it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from dms.accounts import Principal
from dms.audit import record_event
from dms.errors import BadInput, Conflict, Forbidden
from dms.library import catalog
from dms.models import LabelStatus, LibraryItem, LibraryReview, LibraryVersion, Tenant

MAX_COMMENT = 5000
#: The librarian's moves: from -> allowed targets.
REVIEW_MOVES = {
    LabelStatus.submitted: (LabelStatus.in_review, LabelStatus.rejected),
    LabelStatus.in_review: (LabelStatus.labelled, LabelStatus.rejected),
}


def _step(session: Session, principal: Principal, item: LibraryItem, version: LibraryVersion, to: LabelStatus,
          comment: str) -> int:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise BadInput(f"comment longer than {MAX_COMMENT} characters")
    before = version.label_status
    version.label_status = to.value
    session.add(version)
    session.add(LibraryReview(version_id=version.id, from_status=before, to_status=to.value, comment=comment,
                              actor_id=principal.user_id))
    record_event(session, tenant_id=principal.tenant_id, actor_id=principal.user_id, action=f"library.label.{to.value}",
                 object_type="library_version", object_id=version.id,
                 data={"item": item.slug, "version": version.version, "from": before, "comment": comment})
    return catalog.touch(session, item.id)


def submit(session: Session, principal: Principal, item_ref: str, version: str, comment: str = "") -> tuple[dict, int]:
    """The publishing commune asks the region to label a version."""
    item = catalog.get_item(session, item_ref)
    if item.publisher_id != principal.tenant_id:
        raise Forbidden("only the publishing commune submits its versions for a label")
    row = catalog.get_version(session, item, version)
    if row.label_status not in (LabelStatus.none, LabelStatus.rejected):
        raise Conflict(f"version {row.version} is already {row.label_status}")
    job_id = _step(session, principal, item, row, LabelStatus.submitted, comment)
    return catalog.version_dict(row), job_id


def review(session: Session, principal: Principal, item_ref: str, version: str, to: str,
           comment: str = "") -> tuple[dict, int]:
    """The librarian takes a submitted version in review, then labels or rejects it."""
    try:
        target = LabelStatus(to)
    except ValueError:
        raise BadInput(f"unknown label status {to!r}: in_review, labelled or rejected") from None
    item = catalog.get_item(session, item_ref)
    row = catalog.get_version(session, item, version)
    allowed = REVIEW_MOVES.get(LabelStatus(row.label_status), ())
    if target not in allowed:
        raise Conflict(f"version {row.version} is {row.label_status}: it cannot go to {target.value}"
                       + (f" (only {', '.join(a.value for a in allowed)})" if allowed else ""))
    if target == LabelStatus.rejected and not (comment or "").strip():
        raise BadInput("a rejection needs a comment saying why")
    job_id = _step(session, principal, item, row, target, comment)
    return catalog.version_dict(row), job_id


def queue(session: Session, statuses: list[str] | None = None) -> list[dict[str, Any]]:
    """Versions waiting for the librarian (submitted and in review), oldest first."""
    wanted = statuses or [LabelStatus.submitted.value, LabelStatus.in_review.value]
    rows = session.exec(
        select(LibraryVersion, LibraryItem, Tenant)
        .join(LibraryItem, LibraryItem.id == LibraryVersion.item_id)
        .join(Tenant, Tenant.id == LibraryItem.publisher_id)
        .where(LibraryVersion.label_status.in_(wanted))
        .order_by(LibraryVersion.published_at)
    ).all()
    return [
        {"item": {"id": item.id, "slug": item.slug, "title": item.title, "kind": item.kind},
         "publisher": {"id": tenant.id, "slug": tenant.slug, "name": tenant.name},
         "version": catalog.version_dict(version)}
        for version, item, tenant in rows
    ]
