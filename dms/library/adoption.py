"""Adoption: a commune takes a library letter template into its own set, pinned to one version. It is told
when a newer labelled version exists and moves to it in one step; its "used by" declaration follows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from dms.accounts import Principal
from dms.audit import record_event
from dms.errors import BadInput, Conflict, NotFound
from dms.library import catalog, reuse, semver
from dms.models import ItemKind, LibraryAdoption, LibraryItem, LibraryVersion
from dms.models.base import utcnow


def get(session: Session, tenant_id: str, adoption_id: str) -> LibraryAdoption:
    row = session.get(LibraryAdoption, adoption_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("no such adoption")
    return row


def _newer_labelled(versions: list[LibraryVersion], current: LibraryVersion) -> LibraryVersion | None:
    best = catalog.latest_labelled(versions)
    if best is not None and semver.key(best.version) > semver.key(current.version):
        return best
    return None


def to_dict(session: Session, row: LibraryAdoption) -> dict[str, Any]:
    item = session.get(LibraryItem, row.item_id)
    versions = catalog.versions_of(session, item.id)
    current = next(v for v in versions if v.id == row.version_id)
    newer = _newer_labelled(versions, current)
    return {
        "id": row.id,
        "item": {"id": item.id, "slug": item.slug, "title": item.title, "kind": item.kind},
        "version": catalog.version_dict(current),
        "update_available": newer is not None,
        "newer_labelled_version": catalog.version_brief(newer) if newer else None,
        "adopted_at": row.adopted_at,
        "updated_at": row.updated_at,
    }


def list_for(session: Session, tenant_id: str) -> list[dict[str, Any]]:
    rows = session.exec(select(LibraryAdoption).where(LibraryAdoption.tenant_id == tenant_id)
                        .order_by(LibraryAdoption.adopted_at))
    return [to_dict(session, row) for row in rows]


def adopt(session: Session, principal: Principal, item_ref: str, version: str | None = None) -> tuple[dict, int]:
    """Adopt the given version, else the newest labelled one, else the newest."""
    item = catalog.get_item(session, item_ref)
    if item.kind != ItemKind.letter_template:
        raise BadInput("only letter templates are adopted; declare the reuse of other items instead")
    tenant_id = principal.tenant_id
    if session.exec(select(LibraryAdoption.id).where(LibraryAdoption.tenant_id == tenant_id,
                                                     LibraryAdoption.item_id == item.id)).first():
        raise Conflict(f"{item.slug} is already adopted: update the adoption instead")
    versions = catalog.versions_of(session, item.id)
    if version:
        chosen = catalog.get_version(session, item, version)
    else:
        chosen = catalog.latest_labelled(versions) or versions[0]
    row = LibraryAdoption(tenant_id=tenant_id, item_id=item.id, version_id=chosen.id, adopted_by=principal.user_id)
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=principal.user_id, action="library.adopted",
                 object_type="library_adoption", object_id=row.id, data={"item": item.slug, "version": chosen.version})
    _reuse, job_id = reuse.declare(session, tenant_id, principal.user_id, item, chosen)
    return to_dict(session, row), job_id


def update(session: Session, principal: Principal, adoption_id: str, version: str | None = None) -> tuple[dict, int]:
    """Move an adoption to ``version``, else to the newest labelled version newer than the adopted one."""
    row = get(session, principal.tenant_id, adoption_id)
    item = session.get(LibraryItem, row.item_id)
    versions = catalog.versions_of(session, item.id)
    current = next(v for v in versions if v.id == row.version_id)
    target = catalog.get_version(session, item, version) if version else _newer_labelled(versions, current)
    if target is None:
        raise Conflict(f"no labelled version newer than {current.version} of {item.slug}")
    if target.id == current.id:
        raise Conflict(f"{item.slug} is already at {current.version}")
    row.version_id, row.updated_at = target.id, utcnow()
    session.add(row)
    session.flush()
    record_event(session, tenant_id=row.tenant_id, actor_id=principal.user_id, action="library.adoption.updated",
                 object_type="library_adoption", object_id=row.id,
                 data={"item": item.slug, "from": current.version, "to": target.version})
    _reuse, job_id = reuse.declare(session, row.tenant_id, principal.user_id, item, target)
    return to_dict(session, row), job_id


def find(session: Session, tenant_id: str, item_ref: str) -> LibraryAdoption:
    """The commune's adoption of an item (by the item's id or slug)."""
    item = catalog.get_item(session, item_ref)
    row = session.exec(select(LibraryAdoption).where(LibraryAdoption.tenant_id == tenant_id,
                                                     LibraryAdoption.item_id == item.id)).first()
    if row is None:
        raise NotFound(f"{item.slug} is not adopted by this commune")
    return row
