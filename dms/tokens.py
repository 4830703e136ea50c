"""API tokens over their life: issued with an expiry, listed without their secret, revoked.

Only the SHA-256 of a token is stored (``accounts.hash_token``): the value is shown once, when it is made.
``accounts.authenticate`` refuses an expired or revoked token with 401. A user manages their own tokens; a
tenant admin also lists and revokes the tokens of the users of their tenant. Anyone else's token is reported
missing (404), so token ids cannot be probed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from dms.accounts import TOKEN_PREFIX, Principal, hash_token
from dms.audit import record_event
from dms.errors import BadInput, NotFound
from dms.models import ApiToken, Role, User
from dms.models.base import utcnow

MAX_LABEL = 200
#: What the API gives when the caller names no lifetime, and the longest lifetime it gives at all.
DEFAULT_LIFETIME = timedelta(days=90)
MAX_API_LIFETIME = timedelta(days=366)
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([hdwy]?)\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "y": timedelta(days=365),
          "": timedelta(days=1)}


@dataclass(frozen=True)
class Issued:
    row: ApiToken
    token: str  # the only time the value exists outside the caller's hands


def parse_lifetime(text: str | None) -> timedelta | None:
    """``90d``, ``12h``, ``2w``, ``1y`` (a bare number is days); ``never`` or empty: no expiry."""
    if text is None or text.strip().lower() in ("", "never", "none"):
        return None
    match = _DURATION.match(text.lower())
    if not match or int(match.group(1)) == 0:
        raise BadInput(f"invalid lifetime {text!r}: a number of hours, days, weeks or years, like 90d, 12h, 2w, 1y")
    lifetime = int(match.group(1)) * _UNITS[match.group(2)]
    if lifetime > timedelta(days=100 * 365):
        raise BadInput(f"invalid lifetime {text!r}: at most 100 years (or never)")
    return lifetime


def _user(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user {email}")
    return user


def _may_manage(principal: Principal | None, user: User) -> bool:
    """The CLI (no principal) manages every token; a user their own; a tenant admin their tenant's users'."""
    if principal is None or principal.user_id == user.id:
        return True
    return principal.role == Role.admin and principal.tenant_id is not None and principal.tenant_id == user.tenant_id


def issue(
    session: Session,
    email: str,
    *,
    label: str = "",
    lifetime: timedelta | None = None,
    actor: Principal | None = None,
) -> Issued:
    """A new random token for the user; only its hash is kept."""
    label = " ".join(label.split())
    if len(label) > MAX_LABEL:
        raise BadInput(f"label longer than {MAX_LABEL} characters")
    user = _user(session, email)
    if not _may_manage(actor, user):
        raise NotFound(f"no user {email}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + lifetime if lifetime is not None else None
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), label=label, expires_at=expires_at)
    session.add(row)
    session.flush()
    record_event(session, tenant_id=user.tenant_id, actor_id=actor.user_id if actor else None,
                 action="token.created", object_type="token", object_id=row.id,
                 data={"user": user.email, "label": label, "expires_at": expires_at})
    return Issued(row=row, token=token)


def list_tokens(session: Session, email: str, *, actor: Principal | None = None) -> list[ApiToken]:
    user = _user(session, email)
    if not _may_manage(actor, user):
        raise NotFound(f"no user {email}")
    return list(session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at, ApiToken.id)
    ).all())


def revoke(session: Session, token_id: str, *, actor: Principal | None = None) -> ApiToken:
    """Revoke a token (from now on it answers 401). Revoking it again changes nothing."""
    row = session.exec(select(ApiToken).where(ApiToken.id == token_id).with_for_update()).first()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not _may_manage(actor, user):
        raise NotFound("no such token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
        record_event(session, tenant_id=user.tenant_id, actor_id=actor.user_id if actor else None,
                     action="token.revoked", object_type="token", object_id=row.id,
                     data={"user": user.email, "label": row.label})
    return row


def state(row: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def to_dict(row: ApiToken) -> dict:
    """A token as it may be shown: never its hash."""
    return {
        "id": row.id,
        "label": row.label,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
        "state": state(row),
    }
