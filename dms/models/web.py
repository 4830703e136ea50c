"""The web interface's own tables: browser sessions, login throttling, saved searches and the clerk's inbox
of dropped scans waiting to be registered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, new_id, utcnow


class WebSession(SQLModel, table=True):
    """Only the SHA-256 of the cookie value is stored: a leaked database does not leak live sessions."""

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    csrf_secret: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class LoginFailure(SQLModel, table=True):
    """One failed password attempt, counted per account and per client address within a window; kept in the
    database so that every server of a deployment sees the same counts."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_scope_key_at", "scope", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)  # "account" or "ip"
    key: str = Field(max_length=64)  # SHA-256 of the e-mail or of the address
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SavedSearch(SQLModel, table=True):
    __tablename__ = "saved_searches"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    query: str = Field(default="", max_length=1000)
    filters: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class InboxItem(SQLModel, table=True):
    """A scan dropped in a clerk's web inbox: its bytes are already in the blob store (blob first), its text
    extracted, but it has no number until the clerk registers it."""

    __tablename__ = "inbox_items"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    blob_key: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size: int
    mime: str = Field(max_length=200)
    original_name: str = Field(max_length=255)
    pages: int | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    text_status: str = Field(default="pending", max_length=16)
    ocr: bool = False
    title: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
