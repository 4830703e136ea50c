"""An item as one zip, to move it between installations: ``library-item.json`` (its metadata and the list of
versions with their SHA-256) and ``versions/<version>/<file>`` for each artefact.

Import is careful with what it opens: member names that escape (absolute, ``..``, backslashes, drive
letters), links, too many members, members over the artefact limit, a total over the archive limit and
members compressed suspiciously well (zip bombs) are refused before anything is read; every artefact must
match the SHA-256 the metadata gives, and passes the same checks as a publication. The importing commune
becomes the publisher; labels and reuse declarations belong to the installation that gave them and are not
carried over.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import PurePosixPath
from typing import Any

from sqlmodel import select

from dms import zip_guard
from dms.accounts import Principal
from dms.backends import Backends
from dms.db import unit_of_work
from dms.errors import BadInput, Conflict, TooLarge
from dms.library import MAX_ARTEFACT_BYTES, catalog, semver
from dms.models import LibraryItem, Tenant
from dms.zip_guard import ZipLimits

FORMAT = "dms-library-item/1"
METADATA = "library-item.json"
MAX_MEMBERS = 500
MAX_TOTAL = 4 * MAX_ARTEFACT_BYTES
MAX_RATIO = 100
MAX_METADATA = 2 * 1024 * 1024


def export_item(backends: Backends, item_ref: str) -> tuple[str, bytes]:
    """(file name, zip bytes) of an item with all its versions."""
    with unit_of_work(backends.engine, write=False) as session:
        item = catalog.get_item(session, item_ref)
        versions = catalog.versions_of(session, item.id)
        publisher = session.get(Tenant, item.publisher_id)
        based_on = session.get(LibraryItem, item.based_on_id) if item.based_on_id else None
    meta: dict[str, Any] = {
        "format": FORMAT,
        "slug": item.slug, "kind": item.kind, "title": item.title, "description": item.description,
        "licence": item.licence, "keywords": item.keywords, "maintainers": item.maintainers,
        "publisher": {"slug": publisher.slug, "name": publisher.name} if publisher else None,
        "based_on": {"slug": based_on.slug, "version": item.based_on_version} if based_on else None,
        "versions": [],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for version in sorted(versions, key=lambda v: semver.key(v.version)):
            path = f"versions/{version.version}/{version.filename}"
            archive.writestr(path, catalog.read_bytes(backends, version))
            meta["versions"].append({
                "version": version.version, "changelog": version.changelog, "file": path,
                "sha256": version.sha256, "size": version.size, "mime": version.mime,
                "publiccode": version.publiccode, "label": version.label_status,
                "published_at": version.published_at.isoformat(),
            })
        archive.writestr(METADATA, json.dumps(meta, ensure_ascii=False, indent=2))
    return f"{item.slug}.zip", out.getvalue()


LIMITS = ZipLimits(members=MAX_MEMBERS, total_bytes=MAX_TOTAL, member_bytes=MAX_ARTEFACT_BYTES, ratio=MAX_RATIO,
                   size_error=TooLarge)


def _open(data: bytes) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    archive = zip_guard.open_zip(data)
    try:
        return archive, zip_guard.checked_members(archive, LIMITS)
    except BaseException:
        archive.close()
        raise


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    return zip_guard.read_member(archive, info, LIMITS, limit)


def import_item(backends: Backends, principal: Principal, data: bytes) -> LibraryItem:
    """A new item of the caller's commune with every version of the archive (checked, then stored, then one
    transaction)."""
    archive, members = _open(data)
    with archive:
        if METADATA not in members:
            raise BadInput(f"zip refused: no {METADATA}")
        try:
            meta = json.loads(_read(archive, members[METADATA], MAX_METADATA))
        except (ValueError, UnicodeDecodeError):
            raise BadInput(f"{METADATA}: not valid JSON") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise BadInput(f"{METADATA}: not a library item (format {FORMAT} expected)")
        entries = meta.get("versions")
        if not isinstance(entries, list) or not entries:
            raise BadInput(f"{METADATA}: no versions")
        loaded = []
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
                raise BadInput(f"{METADATA}: each version needs a file")
            info = members.get(entry["file"])
            if info is None:
                raise BadInput(f"{METADATA}: {entry['file']!r} is not in the archive")
            body = _read(archive, info, MAX_ARTEFACT_BYTES)
            if hashlib.sha256(body).hexdigest() != entry.get("sha256"):
                raise BadInput(f"{entry['file']}: SHA-256 does not match {METADATA}")
            new = catalog.VersionInput(version=semver.check(str(entry.get("version", ""))),
                                       filename=PurePosixPath(entry["file"]).name,
                                       changelog=str(entry.get("changelog") or ""), publiccode=entry.get("publiccode"))
            loaded.append((new, body))
    loaded.sort(key=lambda pair: semver.key(pair[0].version))
    if len({new.version for new, _ in loaded}) != len(loaded):
        raise BadInput(f"{METADATA}: a version appears twice")
    item_meta = catalog.ItemInput(
        kind=str(meta.get("kind", "")), title=meta.get("title") or {}, description=meta.get("description") or {},
        slug=meta.get("slug"), licence=meta.get("licence"), keywords=list(meta.get("keywords") or []),
        maintainers=list(meta.get("maintainers") or []),
    )
    with unit_of_work(backends.engine, write=False) as session:
        if item_meta.slug and session.exec(select(LibraryItem.id).where(LibraryItem.slug == item_meta.slug)).first():
            raise Conflict(f"library item {item_meta.slug!r} already exists")
        based = meta.get("based_on") if isinstance(meta.get("based_on"), dict) else None
        if based and session.exec(select(LibraryItem.id).where(LibraryItem.slug == based.get("slug"))).first():
            item_meta.based_on, item_meta.based_on_version = based.get("slug"), based.get("version")
    prepared = [(new, catalog.prepare(item_meta.kind, body, new)) for new, body in loaded]
    stored = [(new, ready, catalog.store(backends, ready)) for new, ready in prepared]
    job_ids = []
    with unit_of_work(backends.engine) as session:
        (first, first_ready, first_blob), *rest = stored
        item, _version, job_id = catalog.create_item(session, principal, item_meta, first, first_ready, first_blob)
        job_ids.append(job_id)
        for new, ready, blob in rest:
            _item, _version, job_id = catalog.add_version(session, principal, item.id, new, ready, blob)
            job_ids.append(job_id)
    catalog.run_index_jobs(backends, job_ids)
    return item
