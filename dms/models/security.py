"""Security tables (issue 11): the access log (who read which record or file, when) and the per-register
lists of accepted file types."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, utcnow


class AccessEvent(SQLModel, table=True):
    """One read of personal data: append-only, never updated. Kept apart from the hash-chained audit trail so
    that reads do not queue behind the chain's head lock (docs/decisions/0002-read-audit.md)."""

    __tablename__ = "access_events"
    __table_args__ = (Index("ix_access_events_tenant_record_at", "tenant_id", "record_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor_id: str | None = Field(default=None, max_length=36)
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=32)  # record.read, metadata.read, file.read, search, subject_access
    record_id: str | None = Field(default=None, max_length=36)
    file_id: str | None = Field(default=None, max_length=36)
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class RegisterMimePolicy(SQLModel, table=True):
    """The file types a tenant accepts in one register: a subset of the types intake accepts at all. No row:
    every accepted type."""

    __tablename__ = "register_mime_policies"

    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=36)
    register_code: str = Field(primary_key=True, max_length=1)
    mime_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
