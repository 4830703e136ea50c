"""Branding for letters (co-marquage): the region's base and each commune's overrides, merged field by field.

The regional librarian sets the base (``scope`` "region"); a commune's admin sets only what differs. A field
the commune leaves unset (absent or null) shows the regional value; the commune's name defaults to the
tenant's name. The logo is a PNG blob of its level, checked and re-encoded with Pillow on the way in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session

from dms.accounts import Principal
from dms.audit import record_event
from dms.blobs import BlobStore, BlobUnavailable
from dms.errors import BackendUnavailable, BadInput
from dms.models import LibraryBranding, LibraryLogo, Tenant
from dms.models.base import utcnow

REGION = "region"
FIELDS = ("name", "street", "postal_code", "city", "phone", "email", "website", "footer")
MAX_FIELD = 500
MAX_SIGNATORIES = 4
MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 4000 * 4000


def scope_of(principal: Principal) -> str:
    return principal.tenant_id or REGION


@dataclass
class Effective:
    values: dict[str, str]
    signatories: list[dict[str, str]]
    inherited: list[str]  # fields shown from the regional base
    logo_key: str | None
    logo_from: str | None  # "commune", "region" or None

    def as_dict(self) -> dict[str, Any]:
        return {"fields": self.values, "signatories": self.signatories, "inherited": self.inherited,
                "logo": self.logo_from}


def _row(session: Session, scope: str) -> LibraryBranding | None:
    return session.get(LibraryBranding, scope)


def effective(session: Session, tenant_id: str | None) -> Effective:
    """What a commune's letters show (or, with None, the regional base alone)."""
    base = _row(session, REGION)
    own = _row(session, tenant_id) if tenant_id else None
    values: dict[str, str] = {}
    inherited: list[str] = []
    tenant = session.get(Tenant, tenant_id) if tenant_id else None
    for name in FIELDS:
        mine = (own.fields or {}).get(name) if own else None
        if mine is not None:
            values[name] = mine
            continue
        if name == "name" and tenant is not None:
            values[name] = tenant.name
            continue
        regional = (base.fields or {}).get(name) if base else None
        values[name] = regional or ""
        if regional:
            inherited.append(name)
    signatories = own.signatories if own and own.signatories is not None else None
    if signatories is None:
        signatories = (base.signatories if base else None) or []
        if signatories:
            inherited.append("signatories")
    own_logo = session.get(LibraryLogo, tenant_id) if tenant_id else None
    base_logo = session.get(LibraryLogo, REGION)
    logo = own_logo or base_logo
    if logo is not None and logo is base_logo and tenant_id:
        inherited.append("logo")
    return Effective(values, list(signatories), inherited, logo.blob_key if logo else None,
                     ("commune" if logo is own_logo and tenant_id else REGION) if logo else None)


def _check_fields(fields: dict[str, Any]) -> dict[str, str | None]:
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise BadInput(f"unknown branding field(s) {', '.join(unknown)}: one of {', '.join(FIELDS)}")
    out: dict[str, str | None] = {}
    for name, value in fields.items():
        if value is None:
            out[name] = None
            continue
        text = str(value).strip()
        if len(text) > MAX_FIELD:
            raise BadInput(f"branding {name}: longer than {MAX_FIELD} characters")
        out[name] = text
    return out


def _check_signatories(items: Any) -> list[dict[str, str]] | None:
    if items is None:
        return None
    if not isinstance(items, list) or len(items) > MAX_SIGNATORIES:
        raise BadInput(f"signatories: a list of at most {MAX_SIGNATORIES} {{name, title}}")
    out = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"name", "title"}:
            raise BadInput("signatories: each is {name, title}")
        out.append({k: str(item.get(k) or "").strip()[:MAX_FIELD] for k in ("name", "title")})
    return out


def update(session: Session, principal: Principal, fields: dict[str, Any], *,
           signatories: Any = None, set_signatories: bool = False) -> Effective:
    """Set (or with null, clear back to the regional value) some fields of the caller's level."""
    scope = scope_of(principal)
    checked = _check_fields(fields)
    people = _check_signatories(signatories) if set_signatories else None
    row = _row(session, scope) or LibraryBranding(scope=scope, tenant_id=principal.tenant_id)
    merged = dict(row.fields or {})
    for name, value in checked.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    row.fields = merged
    if set_signatories:
        row.signatories = people
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_event(session, tenant_id=principal.tenant_id, actor_id=principal.user_id, action="library.branding.updated",
                 object_type="library_branding", object_id=scope,
                 data={"fields": checked, "signatories": people if set_signatories else "unchanged"})
    return effective(session, principal.tenant_id)


def normalise_logo(data: bytes) -> bytes:
    """The logo as a PNG; anything that is not a plain raster image of reasonable size is refused."""
    if not data:
        raise BadInput("empty logo")
    if len(data) > MAX_LOGO_BYTES:
        raise BadInput(f"logo larger than {MAX_LOGO_BYTES} bytes")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_LOGO_PIXELS:
            raise BadInput(f"logo larger than {MAX_LOGO_PIXELS} pixels")
        if image.format not in ("PNG", "JPEG", "GIF", "BMP", "WEBP"):
            raise BadInput("logo must be a PNG, JPEG, GIF, BMP or WebP image")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise BadInput("logo is not a readable image") from None
    out = io.BytesIO()
    image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
    return out.getvalue()


def store_logo(blobs: BlobStore, principal: Principal, data: bytes):
    """The normalised logo in the blob store (before its row), under the caller's level."""
    png = normalise_logo(data)
    try:
        return blobs.put(principal.tenant_id or "library", io.BytesIO(png))
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc


def set_logo(session: Session, principal: Principal, stored) -> Effective:
    scope = scope_of(principal)
    row = session.get(LibraryLogo, scope) or LibraryLogo(scope=scope, tenant_id=principal.tenant_id,
                                                         blob_key=stored.key, sha256=stored.sha256, size=stored.size)
    row.blob_key, row.sha256, row.size, row.updated_at = stored.key, stored.sha256, stored.size, utcnow()
    session.add(row)
    session.flush()
    record_event(session, tenant_id=principal.tenant_id, actor_id=principal.user_id, action="library.logo.updated",
                 object_type="library_branding", object_id=scope, data={"sha256": stored.sha256, "size": stored.size})
    return effective(session, principal.tenant_id)


def read_logo(blobs: BlobStore, key: str | None) -> bytes | None:
    if key is None:
        return None
    try:
        return b"".join(blobs.open(key))
    except BlobUnavailable as exc:
        raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
