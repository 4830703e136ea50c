"""Passwords for the web login: argon2id hashes (argon2-cffi's defaults, rehashed when they change), and the
login check that counts failures per account and per client address in the database (dms/login_throttle.py)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete
from sqlmodel import Session, select

from dms import login_throttle
from dms.accounts import Principal
from dms.audit import record_event
from dms.errors import BadInput, NotFound
from dms.models import Role, User, WebSession

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work an attacker can ask for

WRONG_LOGIN = "wrong e-mail or password"

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a wrong address costs the same time as a wrong password.
    Made on first use, not at import: every `dms` command imports this module, few check a password."""
    return _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def set_password(session: Session, email: str, password: str, *, actor_id: str | None = None) -> User:
    if len(password) < MIN_LENGTH:
        raise BadInput(f"password shorter than {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise BadInput(f"password longer than {MAX_LENGTH} characters")
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user {email}")
    user.password_hash = hash_password(password)
    session.add(user)
    session.exec(delete(WebSession).where(WebSession.user_id == user.id))  # a new password signs out everywhere
    record_event(session, tenant_id=user.tenant_id, actor_id=actor_id, action="user.password_set",
                 object_type="user", object_id=user.id, data={"email": user.email})
    return user


def attempt_login(session: Session, email: str, password: str, client: str) -> User | None:
    """The user whose password this is, or None (the failure is counted: the caller commits, then refuses with
    ``WRONG_LOGIN``, one message for every cause). Raises TooManyAttempts (429) before checking anything when
    the account or the address has failed too often lately."""
    email = email.strip().lower()
    login_throttle.check(session, email, client)
    user = session.exec(select(User).where(User.email == email)).first() if len(password) <= MAX_LENGTH else None
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    ok = False
    try:
        ok = _hasher.verify(stored, password[:MAX_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.password_hash or not user.active:
        login_throttle.failed(session, email, client)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    login_throttle.succeeded(session, email)
    return user


def principal_of(user: User) -> Principal:
    return Principal(user_id=user.id, email=user.email, role=Role(user.role), tenant_id=user.tenant_id)
