"""Login rate limiting, shared by every server through the database: failed attempts are rows, counted per
account and per client address over a sliding window. Keys are SHA-256 digests, so the table holds neither
e-mail addresses nor IP addresses in clear."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from dms.errors import DmsError
from dms.models import LoginFailure
from dms.models.base import utcnow

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20


class TooManyAttempts(DmsError):
    status = 429


def _key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _count(session: Session, scope: str, key: str) -> int:
    since = utcnow() - WINDOW
    return session.exec(
        select(func.count()).select_from(LoginFailure)
        .where(LoginFailure.scope == scope, LoginFailure.key == key, LoginFailure.at > since)
    ).one()


def check(session: Session, email: str, client: str) -> None:
    minutes = int(WINDOW.total_seconds() // 60)
    if _count(session, "account", _key(email)) >= MAX_PER_ACCOUNT:
        raise TooManyAttempts(f"too many failed logins for this account: try again in {minutes} minutes",
                              retry_after=int(WINDOW.total_seconds()))
    if _count(session, "ip", _key(client)) >= MAX_PER_ADDRESS:
        raise TooManyAttempts(f"too many failed logins from this address: try again in {minutes} minutes",
                              retry_after=int(WINDOW.total_seconds()))


def failed(session: Session, email: str, client: str) -> None:
    """Recorded in its own committed transaction by the caller, so the 401 that follows does not roll it back."""
    session.exec(delete(LoginFailure).where(LoginFailure.at < utcnow() - WINDOW))
    session.add(LoginFailure(scope="account", key=_key(email)))
    session.add(LoginFailure(scope="ip", key=_key(client)))
    session.flush()


def succeeded(session: Session, email: str) -> None:
    session.exec(delete(LoginFailure).where(LoginFailure.scope == "account", LoginFailure.key == _key(email)))
