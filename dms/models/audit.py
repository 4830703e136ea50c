"""The append-only, hash-chained audit trail: one chain per tenant (and one for the federation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, utcnow


class AuditHead(SQLModel, table=True):
    """The last link of each chain; locking this row orders concurrent appends to the chain."""

    __tablename__ = "audit_heads"

    chain: str = Field(primary_key=True, max_length=36)
    seq: int = 0
    hash: str = Field(default="", max_length=64)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=36, index=True)
    seq: int
    tenant_id: str | None = Field(default=None, max_length=36, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor_id: str | None = Field(default=None, max_length=36)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str = Field(max_length=64)
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
