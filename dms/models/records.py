"""Registered records, their files and the per-register counters that number them without gaps."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, new_id, utcnow


class RegisterKind(StrEnum):
    incoming = "E"
    outgoing = "S"
    internal = "I"

    @classmethod
    def parse(cls, value: str) -> RegisterKind:
        names = {"incoming": cls.incoming, "outgoing": cls.outgoing, "internal": cls.internal}
        if value in names:
            return names[value]
        return cls(value.upper())


class TextStatus(StrEnum):
    done = "done"
    pending = "pending"
    failed = "failed"


class RegisterCounter(SQLModel, table=True):
    """One row per tenant, register and year; its row lock serialises numbering inside the transaction."""

    __tablename__ = "register_counters"

    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=36)
    register_code: str = Field(primary_key=True, max_length=1)
    year: int = Field(primary_key=True)
    last_number: int = 0


class Record(SQLModel, table=True):
    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("tenant_id", "register_code", "year", "number"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    register_code: str = Field(max_length=1)
    year: int
    number: int
    reference: str = Field(max_length=64)
    subject: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    language: str = Field(default="fr", max_length=8)
    status: str = Field(default="created", max_length=32)
    received_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    registered_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    created_by: str | None = Field(default=None, foreign_key="users.id", max_length=36)
    cancelled: bool = False
    cancel_reason: str | None = Field(default=None, max_length=500)
    classification: str | None = Field(default=None, max_length=1000)  # a concept URI of the plan
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # the mail registry (docs/mail-registry.md): contacts, services, people, dates and links of a mail item
    external_reference: str = Field(default="", max_length=200)
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    sender_id: str | None = Field(default=None, foreign_key="contacts.id", max_length=36)
    recipient_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    treating_service_id: str | None = Field(default=None, foreign_key="services.id", max_length=36)
    copy_service_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    assignee_id: str | None = Field(default=None, foreign_key="users.id", max_length=36)
    due_date: date | None = None
    mail_type: str | None = Field(default=None, max_length=64)
    send_modes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    # no foreign key, like related_ids: a record may answer one registered after it, and copy-installation
    # inserts rows in storage order; dms/mail_fields.py checks the link (records are never deleted)
    reply_to_id: str | None = Field(default=None, max_length=36)
    related_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))


class File(SQLModel, table=True):
    __tablename__ = "files"
    __table_args__ = (Index("ix_files_tenant_sha256", "tenant_id", "sha256"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    record_id: str = Field(foreign_key="records.id", index=True, max_length=36)
    blob_key: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size: int
    mime: str = Field(max_length=200)
    original_name: str = Field(max_length=255)
    pages: int | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    text_status: str = Field(default=TextStatus.pending, max_length=16)
    ocr: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # a re-scan (ingest/scan_batches.py) replaces a file: the older one stays, pointing at its successor
    superseded_by: str | None = Field(default=None, max_length=36)
    scanned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
