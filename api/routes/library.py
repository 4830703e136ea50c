"""The shared library under /library: catalog search and item pages, publication of items and versions,
downloads, label reviews, reuse, adoption, letters rendered from adopted templates, branding, zip import and
export. Thin: each route authorises, calls one service of dms/library and shapes the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import current_principal, get_runtime, read_session
from dms import records
from dms.accounts import Principal
from dms.db import unit_of_work
from dms.errors import TooLarge
from dms.library import MAX_ARTEFACT_BYTES, adoption, archive, branding, catalog, labels, letters, reuse
from dms.permissions import Action, require, require_scope
from ingest.pipeline import run_jobs_now
from ingest.runtime import Runtime

router = APIRouter(prefix="/library", tags=["library"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(read_session)]


def _read_upload(part: UploadFile, limit: int = MAX_ARTEFACT_BYTES) -> bytes:
    data = part.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"file larger than {limit} bytes")
    return data


def _split(values: list[str]) -> list[str]:
    return [v for value in values for v in value.replace(",", " ").split()]


def _titles(fr: str, nl: str, de: str, en: str) -> dict[str, str]:
    return {lang: text for lang, text in (("fr", fr), ("nl", nl), ("de", de), ("en", en)) if text.strip()}


# ------------------------------------------------------------------------------------------- catalog


@router.get("/items", summary="Search the federation-wide catalog, with facets (kind, licence, publisher, label, "
            "keywords)")
def search_items(
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    filter: Annotated[list[str], Query(description="facet filter field:value, repeatable")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=500)] = None,
) -> dict:
    require_scope(principal, Action.library_read)
    return catalog.search(session, runtime.backends.search, q, filters=catalog.parse_filters(filter), limit=limit,
                          after=after)


@router.post("/items", status_code=201, summary="Publish a new item with its first version")
def publish_item(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="the artefact: DOCX/ODT template, code package, XSD/XSLT…")],
    kind: Annotated[str, Form(description="letter_template, code, schema, thesaurus_extension or process")],
    version: Annotated[str, Form(max_length=100, description="semantic version, e.g. 1.0.0")],
    title: Annotated[str, Form(max_length=300, description="title in French")],
    title_nl: Annotated[str, Form(max_length=300)] = "",
    title_de: Annotated[str, Form(max_length=300)] = "",
    title_en: Annotated[str, Form(max_length=300)] = "",
    description: Annotated[str, Form(max_length=20000)] = "",
    description_nl: Annotated[str, Form(max_length=20000)] = "",
    description_de: Annotated[str, Form(max_length=20000)] = "",
    description_en: Annotated[str, Form(max_length=20000)] = "",
    slug: Annotated[str | None, Form(max_length=100)] = None,
    licence: Annotated[str | None, Form(max_length=500, description="SPDX expression (default EUPL-1.2)")] = None,
    keywords: Annotated[list[str], Form(description="regional thesaurus concept URIs (repeatable)")] = [],  # noqa: B006
    maintainers: Annotated[list[str], Form(description="names or e-mails (repeatable)")] = [],  # noqa: B006
    based_on: Annotated[str | None, Form(max_length=100, description="id or slug of the item forked")] = None,
    based_on_version: Annotated[str | None, Form(max_length=100)] = None,
    changelog: Annotated[str, Form(max_length=50000)] = "",
    publiccode: Annotated[UploadFile | None, File(description="publiccode.yml (code items)")] = None,
) -> dict:
    require(principal, Action.library_publish)
    meta = catalog.ItemInput(
        kind=kind, title=_titles(title, title_nl, title_de, title_en),
        description=_titles(description, description_nl, description_de, description_en), slug=slug or None,
        licence=licence or None, keywords=_split(keywords), maintainers=[m for m in maintainers if m.strip()],
        based_on=based_on or None, based_on_version=based_on_version or None,
    )
    new = catalog.VersionInput(version=version, filename=file.filename or "artefact", changelog=changelog,
                               publiccode=_read_upload(publiccode, 256 * 1024 + 1) if publiccode else None)
    item, _version = catalog.publish(runtime.backends, principal, _read_upload(file), meta, new)
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return catalog.item_page(session, catalog.get_item(session, item.id))


@router.get("/items/{item_ref}", summary="The item page: versions with labels, users per version, forks")
def get_item(item_ref: str, principal: PrincipalDep, session: SessionDep) -> dict:
    require_scope(principal, Action.library_read)
    return catalog.item_page(session, catalog.get_item(session, item_ref))


@router.post("/items/{item_ref}/versions", status_code=201, summary="Publish a new version (never replaces one)")
def publish_version(
    item_ref: str,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    file: UploadFile,
    version: Annotated[str, Form(max_length=100)],
    changelog: Annotated[str, Form(max_length=50000)] = "",
    publiccode: Annotated[UploadFile | None, File(description="publiccode.yml (code items)")] = None,
) -> dict:
    require(principal, Action.library_publish)
    new = catalog.VersionInput(version=version, filename=file.filename or "artefact", changelog=changelog,
                               publiccode=_read_upload(publiccode, 256 * 1024 + 1) if publiccode else None)
    item, row = catalog.publish(runtime.backends, principal, _read_upload(file), None, new, item_ref=item_ref)
    return {"item": {"id": item.id, "slug": item.slug}, "version": catalog.version_dict(row)}


@router.get("/items/{item_ref}/versions/{version}/download", summary="The bytes of a version (counted)",
            response_class=StreamingResponse)
def download_version(item_ref: str, version: str, principal: PrincipalDep, runtime: RuntimeDep) -> StreamingResponse:
    require_scope(principal, Action.library_read)
    row, chunks = catalog.download(runtime.backends, principal, item_ref, version)
    return StreamingResponse(chunks, media_type=row.mime, headers={
        "Content-Length": str(row.size),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{row.sha256}"',
        "X-Library-Label": row.label_status,
    })


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=5000)


class ReviewStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Literal["in_review", "labelled", "rejected"]
    comment: str = Field(default="", max_length=5000)


@router.post("/items/{item_ref}/versions/{version}/submit", summary="Ask the region to label a version")
def submit_for_label(item_ref: str, version: str, body: Comment, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require(principal, Action.library_publish)
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = labels.submit(session, principal, item_ref, version, body.comment)
    catalog.run_index_jobs(runtime.backends, [job_id])
    return answer


@router.post("/items/{item_ref}/versions/{version}/review",
             summary="The regional librarian's review: in_review, then labelled or rejected")
def review_version(item_ref: str, version: str, body: ReviewStep, principal: PrincipalDep,
                   runtime: RuntimeDep) -> dict:
    require_scope(principal, Action.library_review)
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = labels.review(session, principal, item_ref, version, body.to, body.comment)
    catalog.run_index_jobs(runtime.backends, [job_id])
    return answer


@router.get("/reviews", summary="Versions waiting for the librarian (submitted, in review)")
def review_queue(principal: PrincipalDep, session: SessionDep) -> dict:
    require_scope(principal, Action.library_review)
    return {"reviews": labels.queue(session)}


class ReuseDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=100)
    since: date | None = None


@router.post("/items/{item_ref}/reuse", summary="Declare that the caller's commune uses a version (\"used by\")")
def declare_reuse(item_ref: str, body: ReuseDeclaration, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require(principal, Action.library_adopt)
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = reuse.declare_use(session, principal, item_ref, body.version, body.since)
    catalog.run_index_jobs(runtime.backends, [job_id])
    return answer


@router.get("/items/{item_ref}/export", summary="The item and all its versions as one zip",
            response_class=Response, responses={200: {"content": {"application/zip": {}}}})
def export_item(item_ref: str, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    require_scope(principal, Action.library_read)
    name, data = archive.export_item(runtime.backends, item_ref)
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.post("/import", status_code=201, summary="Import an item exported as a zip; the caller's commune publishes")
def import_item(file: UploadFile, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require(principal, Action.library_publish)
    item = archive.import_item(runtime.backends, principal, _read_upload(file, archive.MAX_TOTAL))
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return catalog.item_page(session, catalog.get_item(session, item.id))


# ------------------------------------------------------------------------------------------- adoption


class AdoptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=100, description="item id or slug")
    version: str | None = Field(default=None, max_length=100, description="default: the newest labelled")


class UpdateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str | None = Field(default=None, max_length=100, description="default: the newest labelled")


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: str = Field(min_length=1, max_length=36, description="the incoming record answered")
    subject: str = Field(default="", max_length=500)
    format: Literal["docx", "odt"] | None = Field(default=None, description="the editable document's format "
                                                  "(default: the template's)")


@router.get("/adoptions", summary="The commune's adopted templates, with newer labelled versions")
def list_adoptions(principal: PrincipalDep, session: SessionDep) -> dict:
    tenant_id = require(principal, Action.library_read)
    return {"adoptions": adoption.list_for(session, tenant_id)}


@router.post("/adoptions", status_code=201, summary="Adopt a library template into the commune's set")
def adopt(body: AdoptRequest, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require(principal, Action.library_adopt)
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = adoption.adopt(session, principal, body.item, body.version)
    catalog.run_index_jobs(runtime.backends, [job_id])
    return answer


@router.post("/adoptions/{adoption_id}/update", summary="Move an adoption to the newest labelled version")
def update_adoption(adoption_id: str, body: UpdateRequest, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require(principal, Action.library_adopt)
    with unit_of_work(runtime.backends.engine) as session:
        answer, job_id = adoption.update(session, principal, adoption_id, body.version)
    catalog.run_index_jobs(runtime.backends, [job_id])
    return answer


@router.post("/adoptions/{adoption_id}/render", status_code=201,
             summary="Reply to an incoming record with an adopted template: an outgoing record with PDF and document")
def render_reply(adoption_id: str, body: RenderRequest, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require(principal, Action.library_render)
    done = letters.render_reply(runtime.backends, principal, adoption_id, body.record_id, subject=body.subject,
                                output_format=body.format)
    run_jobs_now(runtime, done.registered.job_ids)
    return {
        "record": records.to_dict(done.registered.record, done.registered.files),
        "reply_to": {"id": done.incoming.id, "reference": done.incoming.reference},
        "template": {"item": {"id": done.item.id, "slug": done.item.slug},
                     "version": catalog.version_brief(done.version), "format": done.format},
    }


# ------------------------------------------------------------------------------------------- branding


class BrandingChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=500)
    street: str | None = Field(default=None, max_length=500)
    postal_code: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=500)
    website: str | None = Field(default=None, max_length=500)
    footer: str | None = Field(default=None, max_length=500)
    signatories: list[dict[str, str]] | None = Field(default=None, max_length=branding.MAX_SIGNATORIES)


@router.get("/branding", summary="The branding the caller's letters show (commune over the regional base)")
def get_branding(principal: PrincipalDep, session: SessionDep) -> dict:
    require_scope(principal, Action.library_read)
    return branding.effective(session, principal.tenant_id).as_dict()


@router.put("/branding", summary="Set the commune's branding (or, for the librarian, the regional base); "
            "null inherits")
def put_branding(body: BrandingChanges, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require_scope(principal, Action.library_branding)
    changes = body.model_dump(exclude_unset=True)
    has_people = "signatories" in changes
    people = changes.pop("signatories", None)
    with unit_of_work(runtime.backends.engine) as session:
        return branding.update(session, principal, changes, signatories=people, set_signatories=has_people).as_dict()


@router.put("/branding/logo", summary="Set the logo of the commune (or of the regional base)")
def put_logo(file: UploadFile, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    require_scope(principal, Action.library_branding)
    stored = branding.store_logo(runtime.backends.blobs, principal, _read_upload(file, branding.MAX_LOGO_BYTES))
    with unit_of_work(runtime.backends.engine) as session:
        return branding.set_logo(session, principal, stored).as_dict()
