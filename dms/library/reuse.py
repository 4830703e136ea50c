"""Reuse declarations ("used by"): a commune says it uses a version of an item, since a date. One declaration
per commune and item, moved to another version when the commune upgrades (adoption does it on its own)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from dms.accounts import Principal
from dms.audit import record_event
from dms.library import catalog
from dms.models import LibraryItem, LibraryReuse, LibraryVersion
from dms.models.base import utcnow


def declare(session: Session, tenant_id: str, actor_id: str | None, item: LibraryItem, version: LibraryVersion,
            since: date | None = None) -> tuple[LibraryReuse, int]:
    row = session.exec(
        select(LibraryReuse).where(LibraryReuse.item_id == item.id, LibraryReuse.tenant_id == tenant_id)
    ).first()
    before = row.version_id if row else None
    if row is None:
        row = LibraryReuse(item_id=item.id, tenant_id=tenant_id, version_id=version.id,
                           since=since or utcnow().date())
    else:
        row.version_id = version.id
        if since is not None:
            row.since = since
        row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="library.reuse.declared",
                 object_type="library_item", object_id=item.id,
                 data={"item": item.slug, "version": version.version, "since": row.since, "before": before})
    return row, catalog.touch(session, item.id)


def declare_use(session: Session, principal: Principal, item_ref: str, version: str,
                since: date | None = None) -> tuple[dict, int]:
    item = catalog.get_item(session, item_ref)
    row_version = catalog.get_version(session, item, version)
    row, job_id = declare(session, principal.tenant_id, principal.user_id, item, row_version, since)
    answer = {"item": {"id": item.id, "slug": item.slug}, "version": catalog.version_brief(row_version),
              "since": row.since}
    return answer, job_id
