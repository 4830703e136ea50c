"""Server-side browser sessions: a random id in an HttpOnly cookie, only its SHA-256 in the database, with
the user, an expiry and the CSRF secret the session's forms and htmx requests must echo back."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from dms.accounts import Principal
from dms.audit import record_event
from dms.models import Role, User, WebSession
from dms.models.base import utcnow

LIFETIME = timedelta(hours=10)  # a working day; the session ends at logout or expiry, whichever comes first


@dataclass(frozen=True)
class Active:
    principal: Principal
    name: str
    csrf: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(session: Session, user: User) -> str:
    """A new session for ``user``; returns the cookie value (the only time it exists in clear)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    session.exec(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(id_hash=_hash(session_id), user_id=user.id, csrf_secret=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + LIFETIME))
    record_event(session, tenant_id=user.tenant_id, actor_id=user.id, action="user.login", object_type="user",
                 object_id=user.id, data={"email": user.email, "channel": "web"})
    return session_id


def lookup(session: Session, session_id: str | None) -> Active | None:
    if not session_id or len(session_id) > 128:
        return None
    row = session.exec(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.id_hash == _hash(session_id))
    ).first()
    if row is None:
        return None
    web, user = row
    if web.expires_at <= utcnow() or not user.active:
        return None
    principal = Principal(user_id=user.id, email=user.email, role=Role(user.role), tenant_id=user.tenant_id)
    return Active(principal=principal, name=user.name or user.email, csrf=web.csrf_secret)


def close_session(session: Session, session_id: str | None) -> None:
    if not session_id or len(session_id) > 128:
        return
    web = session.get(WebSession, _hash(session_id))
    if web is None:
        return
    user = session.get(User, web.user_id)
    session.delete(web)
    if user is not None:
        record_event(session, tenant_id=user.tenant_id, actor_id=user.id, action="user.logout",
                     object_type="user", object_id=user.id, data={"email": user.email, "channel": "web"})


def csrf_ok(active: Active, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(active.csrf.encode(), (token or "").encode())
