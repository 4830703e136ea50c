"""The catalog: items and their immutable versions, the item page, downloads, and search with facets.

Publishing follows the write order of every upload: the artefact is checked (a letter template's placeholders,
a code package's publiccode.yml, the licence expression), stored as a blob, then one transaction creates the
rows, the audit event and the index job; the item is indexed right after the commit (the job stays queued if
the engine is down). A version is never replaced: publishing an existing number is a conflict.

Catalog documents live in the same search engine as records, under their own kind and index scope, so a
record search never returns a catalog item and a catalog search never returns a record.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import magic
from lxml import etree
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dms import jobs, searching
from dms.accounts import Principal
from dms.audit import record_event
from dms.backends import Backends
from dms.blobs import BlobNotFound, BlobTooLarge, BlobUnavailable, StoredBlob
from dms.db import unit_of_work
from dms.errors import BackendUnavailable, BadInput, Conflict, Forbidden, NotFound, TooLarge
from dms.library import BLOB_SCOPE, INDEX_KIND, INDEX_SCOPE, MAX_ARTEFACT_BYTES, licences, publiccode, semver, templates
from dms.models import (
    ItemKind,
    LabelStatus,
    LibraryItem,
    LibraryReuse,
    LibraryReview,
    LibraryVersion,
    Tenant,
)
from dms.models.base import utcnow
from dms.search import IndexDoc, SearchIndex, SearchQuery, SearchUnavailable, Term
from dms.search.cursors import InvalidCursor
from dms.search.rules import MAX_FACET_VALUE
from thesaurus.analysis import analyze, analyze_joined

INDEX_JOB = "index_library_item"
FACETS = ["kind", "licence", "publisher", "label", "keywords"]
LANGUAGES = ("fr", "nl", "de", "en")
MAX_TITLE = 300
MAX_DESCRIPTION = 20_000
MAX_CHANGELOG = 50_000
MAX_MAINTAINERS = 50
MAX_KEYWORDS = 50
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$")


@dataclass
class ItemInput:
    kind: str
    title: dict[str, str] | str
    description: dict[str, str] | str = ""
    slug: str | None = None
    licence: str | None = None
    keywords: list[str] = field(default_factory=list)
    maintainers: list[str] = field(default_factory=list)
    based_on: str | None = None  # id or slug of the item this one forks
    based_on_version: str | None = None


@dataclass
class VersionInput:
    version: str
    filename: str
    changelog: str = ""
    publiccode: str | bytes | None = None


@dataclass
class Prepared:
    """An artefact that passed its kind's checks, ready to be stored."""

    data: bytes
    mime: str
    filename: str
    template: templates.TemplateInfo | None = None
    publiccode_text: str | None = None
    publiccode_licence: str | None = None


# ------------------------------------------------------------------------------------------- input rules


def _kind(value: str) -> ItemKind:
    try:
        return ItemKind(value.strip().replace("-", "_"))
    except ValueError:
        raise BadInput(f"unknown kind {value!r}: one of {', '.join(k.value for k in ItemKind)}") from None


def _texts(value: dict[str, str] | str, what: str, limit: int, *, required: bool) -> dict[str, str]:
    items = {"fr": value} if isinstance(value, str) else dict(value or {})
    out = {}
    for language, text in items.items():
        if language not in LANGUAGES:
            raise BadInput(f"{what}: unknown language {language!r}: one of {', '.join(LANGUAGES)}")
        text = str(text or "").strip()
        if len(text) > limit:
            raise BadInput(f"{what}: longer than {limit} characters")
        if text:
            out[language] = text
    if required and not out:
        raise BadInput(f"{what} is required")
    return out


def slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:90] or "item"


def _safe_filename(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()[:255]
    return base or "artefact"


def check_keywords(session: Session, refs: list[str]) -> list[str]:
    """Concept URIs (or short ids) of the regional thesaurus."""
    from dms.vocabulary import view

    refs = list(dict.fromkeys(r.strip() for r in refs if r and r.strip()))
    if len(refs) > MAX_KEYWORDS:
        raise BadInput(f"keywords: at most {MAX_KEYWORDS}")
    if not refs:
        return []
    vocabulary = view(session, None)
    out = []
    for ref in refs:
        try:
            concept = vocabulary.resolve(ref)
        except NotFound:
            raise BadInput(f"keywords: unknown concept {ref!r} in the regional thesaurus") from None
        out.append(concept.uri)
    return out


def _maintainers(values: list[str]) -> list[str]:
    out = list(dict.fromkeys(" ".join(str(v).split())[:200] for v in values if str(v).strip()))
    if len(out) > MAX_MAINTAINERS:
        raise BadInput(f"maintainers: at most {MAX_MAINTAINERS}")
    return out


def _publiccode_in(data: bytes) -> bytes | None:
    """publiccode.yml at the root of a zip package (or under its single top folder)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return None
    with archive:
        for info in archive.infolist():
            parts = info.filename.strip("/").split("/")
            if parts[-1] in ("publiccode.yml", "publiccode.yaml") and len(parts) <= 2:
                if info.file_size > publiccode.MAX_BYTES:
                    raise BadInput(f"publiccode.yml: larger than {publiccode.MAX_BYTES} bytes")
                with archive.open(info) as handle:
                    return handle.read(publiccode.MAX_BYTES + 1)
    return None


def prepare(kind: str, data: bytes, new: VersionInput) -> Prepared:
    """The artefact checked for its kind: nothing is stored when this raises."""
    item_kind = _kind(kind)
    if not data:
        raise BadInput("empty artefact")
    if len(data) > MAX_ARTEFACT_BYTES:
        raise TooLarge(f"artefact larger than {MAX_ARTEFACT_BYTES} bytes")
    filename = _safe_filename(new.filename)
    prepared = Prepared(data=data, mime=magic.from_buffer(data[:65536], mime=True) or "application/octet-stream",
                        filename=filename)
    if item_kind == ItemKind.letter_template:
        prepared.template = templates.inspect(data)
        prepared.mime = prepared.template.mime
    elif item_kind == ItemKind.code:
        text = new.publiccode if new.publiccode is not None else _publiccode_in(data)
        if text is None:
            raise BadInput("publiccode.yml: missing: a code item needs one (a publiccode part, or the file at the "
                           "root of the package)")
        parsed = publiccode.validate(text)
        prepared.publiccode_text = text.decode("utf-8") if isinstance(text, bytes) else text
        prepared.publiccode_licence = publiccode.licence_of(parsed)
    elif item_kind == ItemKind.schema:
        try:
            etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
        except etree.XMLSyntaxError as exc:
            raise BadInput(f"an XML schema or XSLT must be well-formed XML: {exc}") from None
    return prepared


def store(backends: Backends, prepared: Prepared) -> StoredBlob:
    try:
        return backends.blobs.put(BLOB_SCOPE, io.BytesIO(prepared.data), max_bytes=MAX_ARTEFACT_BYTES)
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
    except BlobTooLarge as exc:
        raise TooLarge(str(exc)) from exc


# ----------------------------------------------------------------------------------------------- reads


def get_item(session: Session, ref: str) -> LibraryItem:
    """An item by id or slug (the catalog is federation-wide: every user may name any item)."""
    item = session.get(LibraryItem, ref) or session.exec(select(LibraryItem).where(LibraryItem.slug == ref)).first()
    if item is None:
        raise NotFound("no such library item")
    return item


def versions_of(session: Session, item_id: str) -> list[LibraryVersion]:
    rows = list(session.exec(select(LibraryVersion).where(LibraryVersion.item_id == item_id)).all())
    return sorted(rows, key=lambda v: semver.key(v.version), reverse=True)


def get_version(session: Session, item: LibraryItem, version: str) -> LibraryVersion:
    try:
        wanted = semver.check(version)
    except BadInput:
        raise NotFound("no such version") from None
    row = session.exec(
        select(LibraryVersion).where(LibraryVersion.item_id == item.id, LibraryVersion.version == wanted)
    ).first()
    if row is None:
        raise NotFound("no such version")
    return row


def latest_labelled(versions: list[LibraryVersion]) -> LibraryVersion | None:
    return next((v for v in versions if v.label_status == LabelStatus.labelled), None)


def version_brief(version: LibraryVersion) -> dict[str, Any]:
    """A version as every answer shows it: its label is always there."""
    return {
        "id": version.id,
        "version": version.version,
        "label": version.label_status,
        "labelled": version.label_status == LabelStatus.labelled,
    }


def version_dict(version: LibraryVersion) -> dict[str, Any]:
    return {
        **version_brief(version),
        "changelog": version.changelog,
        "sha256": version.sha256,
        "size": version.size,
        "mime": version.mime,
        "filename": version.filename,
        "template_format": version.template_format,
        "placeholders": list(version.placeholders or []),
        "publiccode": version.publiccode,
        "downloads": version.downloads,
        "published_at": version.published_at,
    }


def _tenant_brief(tenant: Tenant | None) -> dict[str, Any] | None:
    return {"id": tenant.id, "slug": tenant.slug, "name": tenant.name} if tenant else None


def item_summary(session: Session, item: LibraryItem, versions: list[LibraryVersion] | None = None) -> dict:
    versions = versions if versions is not None else versions_of(session, item.id)
    labelled = latest_labelled(versions)
    return {
        "id": item.id,
        "slug": item.slug,
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "publisher": _tenant_brief(session.get(Tenant, item.publisher_id)),
        "licence": item.licence,
        "keywords": list(item.keywords or []),
        "maintainers": list(item.maintainers or []),
        "latest_version": version_brief(versions[0]) if versions else None,
        "latest_labelled_version": version_brief(labelled) if labelled else None,
        "based_on": {"id": item.based_on_id, "version": item.based_on_version} if item.based_on_id else None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def item_page(session: Session, item: LibraryItem) -> dict[str, Any]:
    """Everything the item page shows: versions with their labels, reviews and users, forks, reuse."""
    versions = versions_of(session, item.id)
    users = session.exec(
        select(LibraryReuse, Tenant).join(Tenant, Tenant.id == LibraryReuse.tenant_id)
        .where(LibraryReuse.item_id == item.id).order_by(LibraryReuse.since)
    ).all()
    by_version: dict[str, list[dict]] = {}
    for reuse, tenant in users:
        by_version.setdefault(reuse.version_id, []).append({**_tenant_brief(tenant), "since": reuse.since})
    reviews: dict[str, list[dict]] = {}
    if versions:
        for row in session.exec(
            select(LibraryReview).where(LibraryReview.version_id.in_([v.id for v in versions]))
            .order_by(LibraryReview.at)
        ):
            reviews.setdefault(row.version_id, []).append(
                {"from": row.from_status, "to": row.to_status, "comment": row.comment, "at": row.at}
            )
    forks = session.exec(select(LibraryItem).where(LibraryItem.based_on_id == item.id).order_by(LibraryItem.slug))
    based_on = session.get(LibraryItem, item.based_on_id) if item.based_on_id else None
    page = item_summary(session, item, versions)
    page["based_on"] = (
        {"id": based_on.id, "slug": based_on.slug, "title": based_on.title, "version": item.based_on_version}
        if based_on else None
    )
    page["versions"] = [
        {**version_dict(v), "used_by": by_version.get(v.id, []), "reviews": reviews.get(v.id, [])} for v in versions
    ]
    page["used_by"] = [
        {**_tenant_brief(tenant), "version": next((v.version for v in versions if v.id == reuse.version_id), None),
         "since": reuse.since}
        for reuse, tenant in users
    ]
    page["forks"] = [{"id": f.id, "slug": f.slug, "title": f.title, "publisher_id": f.publisher_id} for f in forks]
    page["downloads"] = sum(v.downloads for v in versions)
    return page


# ---------------------------------------------------------------------------------------------- writes


def _unique_slug(session: Session, wanted: str | None, title: dict[str, str]) -> str:
    if wanted:
        slug = wanted.strip().lower()
        if not _SLUG.match(slug):
            raise BadInput(f"invalid slug {wanted!r}: lowercase letters, digits and dashes (2 to 100)")
        if session.exec(select(LibraryItem.id).where(LibraryItem.slug == slug)).first():
            raise Conflict(f"library item {slug!r} already exists")
        return slug
    base = slugify(next(iter(title.values())))
    if len(base) < 2:
        base = f"{base}-item"
    slug, n = base, 1
    while session.exec(select(LibraryItem.id).where(LibraryItem.slug == slug)).first():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _new_version_row(item: LibraryItem, new: VersionInput, prepared: Prepared, stored: StoredBlob,
                     principal: Principal) -> LibraryVersion:
    changelog = (new.changelog or "").strip()
    if len(changelog) > MAX_CHANGELOG:
        raise BadInput(f"changelog longer than {MAX_CHANGELOG} characters")
    return LibraryVersion(
        item_id=item.id, version=semver.check(new.version), changelog=changelog, blob_key=stored.key,
        sha256=stored.sha256, size=stored.size, mime=prepared.mime[:200], filename=prepared.filename,
        template_format=prepared.template.format if prepared.template else None,
        placeholders=prepared.template.placeholders if prepared.template else [],
        publiccode=prepared.publiccode_text, published_by=principal.user_id,
    )


def create_item(session: Session, principal: Principal, meta: ItemInput, new: VersionInput, prepared: Prepared,
                stored: StoredBlob) -> tuple[LibraryItem, LibraryVersion, int]:
    """The item, its first version, the audit event and the index job, in the caller's transaction."""
    if principal.tenant_id is None:
        raise Forbidden("a library item is published by a commune")
    kind = _kind(meta.kind)
    title = _texts(meta.title, "title", MAX_TITLE, required=True)
    description = _texts(meta.description, "description", MAX_DESCRIPTION, required=False)
    licence = licences.check(meta.licence or prepared.publiccode_licence)
    based_on = _based_on(session, meta)
    item = LibraryItem(
        slug=_unique_slug(session, meta.slug, title), kind=kind.value, title=title, description=description,
        publisher_id=principal.tenant_id, maintainers=_maintainers(meta.maintainers), licence=licence,
        keywords=check_keywords(session, meta.keywords), based_on_id=based_on.id if based_on else None,
        based_on_version=semver.check(meta.based_on_version) if based_on and meta.based_on_version else None,
        created_by=principal.user_id,
    )
    session.add(item)
    session.flush()
    version = _new_version_row(item, new, prepared, stored, principal)
    session.add(version)
    session.flush()
    record_event(session, tenant_id=principal.tenant_id, actor_id=principal.user_id, action="library.item.published",
                 object_type="library_item", object_id=item.id,
                 data={"slug": item.slug, "kind": item.kind, "licence": licence, "version": version.version,
                       "sha256": version.sha256, "based_on": item.based_on_id})
    job = jobs.enqueue(session, INDEX_JOB, {"item_id": item.id})
    session.flush()
    return item, version, job.id


def add_version(session: Session, principal: Principal, item_ref: str, new: VersionInput, prepared: Prepared,
                stored: StoredBlob) -> tuple[LibraryItem, LibraryVersion, int]:
    item = get_item(session, item_ref)
    if item.publisher_id != principal.tenant_id:
        raise Forbidden("only the publishing commune adds versions to an item (fork it instead)")
    version_number = semver.check(new.version)
    if session.exec(select(LibraryVersion.id).where(LibraryVersion.item_id == item.id,
                                                    LibraryVersion.version == version_number)).first():
        raise Conflict(f"version {version_number} of {item.slug} already exists: versions are immutable")
    version = _new_version_row(item, new, prepared, stored, principal)
    session.add(version)
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    record_event(session, tenant_id=principal.tenant_id, actor_id=principal.user_id, action="library.version.published",
                 object_type="library_version", object_id=version.id,
                 data={"item": item.slug, "version": version.version, "sha256": version.sha256})
    job = jobs.enqueue(session, INDEX_JOB, {"item_id": item.id})
    session.flush()
    return item, version, job.id


def _precheck_version(backends: Backends, item_ref: str, version: str, principal: Principal) -> LibraryItem:
    with unit_of_work(backends.engine, write=False) as session:
        item = get_item(session, item_ref)
        if item.publisher_id != principal.tenant_id:
            raise Forbidden("only the publishing commune adds versions to an item (fork it instead)")
        number = semver.check(version)
        if session.exec(select(LibraryVersion.id).where(LibraryVersion.item_id == item.id,
                                                        LibraryVersion.version == number)).first():
            raise Conflict(f"version {number} of {item.slug} already exists: versions are immutable")
        return item


def _precheck_item(backends: Backends, meta: ItemInput, prepared: Prepared) -> None:
    """What ``create_item`` would refuse, checked before the blob is stored (bad input leaves nothing)."""
    _texts(meta.title, "title", MAX_TITLE, required=True)
    _texts(meta.description, "description", MAX_DESCRIPTION, required=False)
    licences.check(meta.licence or prepared.publiccode_licence)
    _maintainers(meta.maintainers)
    with unit_of_work(backends.engine, write=False) as session:
        check_keywords(session, meta.keywords)
        if meta.slug:
            _unique_slug(session, meta.slug, {})
        _based_on(session, meta)


def _based_on(session: Session, meta: ItemInput) -> LibraryItem | None:
    """The item a fork is based on (and its version, if named): unknown ones are bad input, not a 404."""
    if not meta.based_on:
        return None
    try:
        item = get_item(session, meta.based_on)
        if meta.based_on_version:
            get_version(session, item, meta.based_on_version)
    except NotFound as exc:
        named = " ".join(part for part in (meta.based_on, meta.based_on_version) if part)
        raise BadInput(f"based_on: {exc.message} ({named})") from None
    return item


def publish(backends: Backends, principal: Principal, data: bytes, meta: ItemInput | None, new: VersionInput,
            *, item_ref: str | None = None) -> tuple[LibraryItem, LibraryVersion]:
    """Publish a new item (``meta``) or a new version of an existing one (``item_ref``): check, store, commit,
    index. The one entry point of the API and the CLI."""
    semver.check(new.version)
    if item_ref is not None:
        kind = _precheck_version(backends, item_ref, new.version, principal).kind
    else:
        assert meta is not None
        kind = meta.kind
    prepared = prepare(kind, data, new)
    if meta is not None:
        _precheck_item(backends, meta, prepared)
    stored = store(backends, prepared)
    try:
        with unit_of_work(backends.engine) as session:
            if item_ref is not None:
                item, version, job_id = add_version(session, principal, item_ref, new, prepared, stored)
            else:
                item, version, job_id = create_item(session, principal, meta, new, prepared, stored)
    except IntegrityError:
        raise Conflict(f"version {new.version} (or the slug) already exists: versions are immutable") from None
    run_index_jobs(backends, [job_id])
    return item, version


def download(backends: Backends, principal: Principal, item_ref: str, version: str) -> tuple[LibraryVersion, Any]:
    """The version's bytes (a chunk iterator), its download counted and audited."""
    with unit_of_work(backends.engine) as session:
        item = get_item(session, item_ref)
        row = get_version(session, item, version)
        try:
            if not backends.blobs.exists(row.blob_key):
                raise NotFound("the artefact is missing from the store")
        except BlobUnavailable as exc:
            raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
        row.downloads += 1
        session.add(row)
        record_event(session, tenant_id=principal.tenant_id, actor_id=principal.user_id,
                     action="library.version.downloaded", object_type="library_version", object_id=row.id,
                     data={"item": item.slug, "version": row.version})
    try:
        return row, backends.blobs.open(row.blob_key)
    except BlobNotFound as exc:
        raise NotFound("the artefact is missing from the store") from exc
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc


def read_bytes(backends: Backends, version: LibraryVersion) -> bytes:
    try:
        return b"".join(backends.blobs.open(version.blob_key))
    except BlobNotFound as exc:
        raise NotFound("the artefact is missing from the store") from exc
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc


# ---------------------------------------------------------------------------------------------- search


def item_doc(session: Session, item: LibraryItem) -> IndexDoc:
    from dms.indexing import direct_token
    from dms.vocabulary import view

    versions = versions_of(session, item.id)
    publisher = session.get(Tenant, item.publisher_id)
    vocabulary = view(session, None) if item.keywords else None
    title = " ".join(analyze_joined(text, lang) for lang, text in item.title.items())
    parts = [analyze_joined(text, lang) for lang, text in (item.description or {}).items()]
    parts += [analyze_joined(" ".join(item.maintainers or []), "fr"), analyze_joined(item.slug.replace("-", " "), "fr")]
    if publisher:
        parts.append(analyze_joined(publisher.name, "fr"))
    for uri in item.keywords or []:
        parts.append(direct_token(uri))
        if vocabulary is not None and vocabulary.thesaurus.get(uri) is not None:
            parts += [analyze_joined(label.text, label.language or "fr")
                      for label in vocabulary.thesaurus.get(uri).labels() if label.language in (*LANGUAGES, "")]
    labels = sorted({v.label_status for v in versions}) or [LabelStatus.none.value]
    return IndexDoc(
        id=item.id,
        tenant_id=INDEX_SCOPE,
        kind=INDEX_KIND,
        title_tokens=title,
        body_tokens=" ".join(p for p in parts if p),
        facets={
            "kind": [item.kind],
            "licence": [item.licence[:MAX_FACET_VALUE]],
            "publisher": [publisher.slug] if publisher else [],
            "label": labels,
            "keywords": [k for k in (item.keywords or []) if len(k) <= MAX_FACET_VALUE],
        },
        date=item.updated_at,
    )


def index_item_job(backends: Backends, job) -> None:
    item_id = jobs.payload(job)["item_id"]
    with unit_of_work(backends.engine, write=False) as session:
        item = session.get(LibraryItem, item_id)
        doc = item_doc(session, item) if item is not None else None
    try:
        if doc is None:
            backends.search.delete(INDEX_SCOPE, [item_id])
        else:
            backends.search.index([doc])
    except SearchUnavailable as exc:
        raise jobs.RetryLater(str(exc)) from exc


def handlers(backends: Backends) -> dict:
    return {INDEX_JOB: partial(index_item_job, backends)}


def run_index_jobs(backends: Backends, job_ids: list[int]) -> None:
    """Best effort after the commit; what fails stays queued for the worker."""
    try:
        jobs.run_pending(backends.engine, handlers(backends), ids=job_ids)
    except BackendUnavailable:
        pass


def enqueue_index(session: Session, item_id: str) -> int:
    job = jobs.enqueue(session, INDEX_JOB, {"item_id": item_id})
    session.flush()
    return job.id


def reindex_all(backends: Backends) -> int:
    """Every catalog item into the index again (``dms reindex``)."""
    count = 0
    with unit_of_work(backends.engine, write=False) as session:
        docs = [item_doc(session, item) for item in session.exec(select(LibraryItem).order_by(LibraryItem.id))]
    for start in range(0, len(docs), 200):
        backends.search.index(docs[start:start + 200])
        count += len(docs[start:start + 200])
    return count


def parse_filters(raw: list[str]) -> dict[str, list[str]]:
    return searching.parse_filters(raw, FACETS)


def search(session: Session, index: SearchIndex, q: str = "", *, filters: dict[str, list[str]] | None = None,
           limit: int = 20, after: str | None = None, language: str = "fr") -> dict[str, Any]:
    """Catalog search, with the records' analysis and the regional thesaurus' expansion."""
    from dms.searching import expand_query
    from dms.vocabulary import view

    if len(q) > 1000:
        raise BadInput("query longer than 1000 characters")
    if not 1 <= limit <= 100:
        raise BadInput("limit must be between 1 and 100")
    terms = list(dict.fromkeys(analyze(q, language)))
    vocab = view(session, None)
    groups, expanded = expand_query(vocab, q, language) if terms else ([], [])
    query = SearchQuery(tenant_id=INDEX_SCOPE, groups=groups or [[Term(t)] for t in terms], kind=INDEX_KIND,
                        filters=filters or {}, facets=FACETS, limit=limit, after=after)
    try:
        result = index.search(query)
    except InvalidCursor as exc:
        raise BadInput(str(exc)) from exc
    except SearchUnavailable as exc:
        raise BackendUnavailable(f"search unavailable: {exc}") from exc
    ids = [hit.id for hit in result.hits]
    rows = {i.id: i for i in session.exec(select(LibraryItem).where(LibraryItem.id.in_(ids)))} if ids else {}
    hits = []
    for hit in result.hits:
        item = rows.get(hit.id)
        if item is not None:
            hits.append({**item_summary(session, item), "score": hit.score})
    return {
        "total": result.total,
        "hits": hits,
        "facets": {
            name: [
                {"value": value, "count": count, **({"label": vocab.label(value, language)} if name == "keywords"
                                                   else {})}
                for value, count in values
            ]
            for name, values in result.facets.items()
        },
        "next": result.next_after,
        "expanded": expanded,
    }


def touch(session: Session, item_id: str) -> int:
    """Mark an item changed (a label, a new user) and queue its reindex."""
    item = session.get(LibraryItem, item_id)
    if item is not None:
        item.updated_at = utcnow()
        session.add(item)
    return enqueue_index(session, item_id)

