"""Tenants, users and API tokens: creation and authentication."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from dms.audit import record_event
from dms.errors import BadInput, Conflict, NotFound, Unauthenticated
from dms.models import ApiToken, Role, Tenant, User
from dms.models.base import utcnow

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "dms_"  # noqa: S105 (a marker, not a secret)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, their role and their tenant (None for federation-wide users)."""

    user_id: str | None
    email: str
    role: Role
    tenant_id: str | None


def create_tenant(session: Session, slug: str, name: str, *, kind: str = "commune") -> Tenant:
    if not _SLUG.match(slug):
        raise BadInput(f"invalid tenant slug {slug!r}: lowercase letters, digits and dashes")
    if session.exec(select(Tenant).where(Tenant.slug == slug)).first():
        raise Conflict(f"tenant {slug!r} already exists")
    tenant = Tenant(slug=slug, name=name.strip() or slug, kind=kind)
    session.add(tenant)
    session.flush()
    record_event(session, tenant_id=tenant.id, actor_id=None, action="tenant.created", object_type="tenant",
                 object_id=tenant.id, data={"slug": slug, "name": tenant.name})
    return tenant


def get_tenant(session: Session, slug: str) -> Tenant:
    tenant = session.exec(select(Tenant).where(Tenant.slug == slug)).first()
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    return tenant


def create_user(session: Session, email: str, *, role: str, tenant_slug: str | None, name: str = "") -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise BadInput(f"invalid e-mail address {email!r}")
    try:
        parsed_role = Role(role)
    except ValueError:
        raise BadInput(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}") from None
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"user {email} already exists")
    tenant_id = None
    if tenant_slug:
        tenant_id = get_tenant(session, tenant_slug).id
    elif not parsed_role.federation:
        raise BadInput(f"role {parsed_role.value} needs a tenant (--tenant)")
    user = User(email=email, role=parsed_role.value, tenant_id=tenant_id, name=name)
    session.add(user)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=None, action="user.created", object_type="user",
                 object_id=user.id, data={"email": email, "role": parsed_role.value})
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, email: str, *, label: str = "", expires_at: datetime | None = None
) -> str:
    """A new random token; only its hash is stored, so this is the one time it can be read."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user {email}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label, expires_at=expires_at))
    record_event(session, tenant_id=user.tenant_id, actor_id=user.id, action="token.created",
                 object_type="user", object_id=user.id, data={"label": label})
    return token


def authenticate(session: Session, token: str) -> Principal:
    row = session.exec(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise Unauthenticated("invalid token")
    api_token, user = row
    now = utcnow()
    if api_token.revoked_at is not None or (api_token.expires_at and api_token.expires_at <= now):
        raise Unauthenticated("token expired or revoked")
    if not user.active:
        raise Unauthenticated("user disabled")
    return Principal(user_id=user.id, email=user.email, role=Role(user.role), tenant_id=user.tenant_id)
