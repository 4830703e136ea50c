"""Intake bookkeeping: which e-mail messages a commune has already registered (so a message fetched twice,
from IMAP after a crash or from a re-imported .mbox, is never registered twice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, new_id, utcnow


class MailMessage(SQLModel, table=True):
    """One registered e-mail. ``key`` is the SHA-256 of the normalised Message-ID (or of the raw message when
    it has none): Message-IDs may be up to 998 characters, a fixed-size key keeps the unique index small."""

    __tablename__ = "mail_messages"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    key: str = Field(max_length=64)
    message_id: str = Field(default="", max_length=500)  # as the message gave it, cut to 500 characters
    record_id: str = Field(foreign_key="records.id", index=True, max_length=36)
    source: str = Field(default="", max_length=200)  # "file", or the IMAP host and folder (no password)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
