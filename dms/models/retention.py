"""Retention and disposition (docs/retention.md): schedules on classes of the plan, each record's retention
state, the named events that start an event-triggered period, holds, disposition batches and tombstones.

A record's retention lives in its own row (``record_retention``), created lazily (by the sweep, or the first
time an archivist acts on the record): a record without one is OPEN. The row is what the set-based sweep
updates, so it carries the dates the sweep compares and the batch the record sits in.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, new_id, utcnow


class FinalAction(StrEnum):
    destroy = "DESTROY"
    transfer = "TRANSFER"
    retain_permanently = "RETAIN_PERMANENTLY"
    review = "REVIEW"


class RetentionState(StrEnum):
    open = "OPEN"
    closed = "CLOSED"
    retained = "RETAINED"
    eligible = "ELIGIBLE"
    review = "REVIEW"
    in_batch = "IN_BATCH"
    approved = "APPROVED"
    awaiting_authorization = "AWAITING_AUTHORIZATION"
    authorized = "AUTHORIZED"
    destroyed = "DESTROYED"
    transferred = "TRANSFERRED"
    accessioned = "ACCESSIONED"


class BatchState(StrEnum):
    proposed = "PROPOSED"
    approved = "APPROVED"
    awaiting_authorization = "AWAITING_AUTHORIZATION"
    authorized = "AUTHORIZED"
    executed = "EXECUTED"
    accessioned = "ACCESSIONED"
    restored = "RESTORED"


class HoldScope(StrEnum):
    records = "records"
    classification = "classification"
    query = "query"


class RetentionSchedule(SQLModel, table=True):
    """The rule for one class of the plan (and, by inheritance, the narrower classes without their own)."""

    __tablename__ = "retention_schedules"
    __table_args__ = (UniqueConstraint("tenant_id", "class_uri"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    class_uri: str = Field(max_length=1000)
    trigger: str = Field(max_length=16)  # registered, received, closed, event
    trigger_event: str | None = Field(default=None, max_length=100)  # the event's name when trigger == event
    period: str = Field(max_length=64)  # ISO 8601 duration, e.g. P10Y
    final_action: str = Field(max_length=32)
    legal_reference: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_by: str | None = Field(default=None, max_length=36)


class RecordRetention(SQLModel, table=True):
    __tablename__ = "record_retention"
    __table_args__ = (
        Index("ix_record_retention_sweep", "tenant_id", "state", "due_date"),
        # only rows in a batch: the index serves ``batch_id = …`` (migration 0010)
        Index("ix_record_retention_batch", "batch_id", sqlite_where=text("batch_id IS NOT NULL"),
              postgresql_where=text("batch_id IS NOT NULL")),
    )

    # no foreign keys (migration 0010): rows are written by dms.retention from existing records only, and
    # records are never deleted; the checks were most of the first sweep's time on PostgreSQL
    record_id: str = Field(primary_key=True, max_length=36)
    tenant_id: str = Field(max_length=36)
    state: str = Field(default=RetentionState.open, max_length=32)
    closed_at: date | None = None
    schedule_id: str | None = Field(default=None, max_length=36)
    due_date: date | None = None
    action: str | None = Field(default=None, max_length=32)  # DESTROY or TRANSFER once eligible
    batch_id: str | None = Field(default=None, max_length=36)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class RetentionEvent(SQLModel, table=True):
    """A named event that happened to a record (``permit_expired``…): the start of an event-triggered period."""

    __tablename__ = "retention_events"
    __table_args__ = (UniqueConstraint("record_id", "name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    record_id: str = Field(foreign_key="records.id", index=True, max_length=36)
    name: str = Field(max_length=100)
    occurred_on: date
    recorded_by: str | None = Field(default=None, max_length=36)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Hold(SQLModel, table=True):
    __tablename__ = "holds"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    mandate: str = Field(default="", max_length=500)
    owner: str = Field(default="", max_length=200)
    scope: str = Field(default=HoldScope.records, max_length=16)
    class_uri: str | None = Field(default=None, max_length=1000)
    query: str | None = Field(default=None, max_length=1000)
    review_date: date | None = None
    used: bool = False  # covered a record at some point: it may be lifted, never deleted
    placed_by: str | None = Field(default=None, max_length=36)
    placed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    lifted_by: str | None = Field(default=None, max_length=36)
    lifted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    lift_reason: str = Field(default="", max_length=2000)


class HoldRecord(SQLModel, table=True):
    __tablename__ = "hold_records"

    hold_id: str = Field(foreign_key="holds.id", primary_key=True, max_length=36)
    record_id: str = Field(foreign_key="records.id", primary_key=True, max_length=36, index=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=36)
    added_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class DispositionBatch(SQLModel, table=True):
    """A bordereau: records proposed together for one final action, approved, authorised, executed."""

    __tablename__ = "disposition_batches"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    number: int
    action: str = Field(max_length=32)  # DESTROY or TRANSFER
    state: str = Field(default=BatchState.proposed, max_length=32)
    proposed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    approved_by: str | None = Field(default=None, max_length=36)
    approved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    request_message_id: str | None = Field(default=None, max_length=64)
    requested_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    authorization_reference: str | None = Field(default=None, max_length=200)
    authorized_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    executed_by: str | None = Field(default=None, max_length=36)
    executed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    certificate_record_id: str | None = Field(default=None, max_length=36)
    transfer_message_id: str | None = Field(default=None, max_length=64)
    accession_reference: str | None = Field(default=None, max_length=200)
    restored_reason: str = Field(default="", max_length=2000)


class Tombstone(SQLModel, table=True):
    """What remains of a destroyed record besides its row and metadata: the proof of what was destroyed."""

    __tablename__ = "retention_tombstones"

    record_id: str = Field(foreign_key="records.id", primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    batch_id: str = Field(max_length=36, index=True)
    reference: str = Field(max_length=64)
    title: str = Field(default="", max_length=500)
    classification: str | None = Field(default=None, max_length=1000)
    registered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    received_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closed_at: date | None = None
    due_date: date | None = None
    destroyed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    destroyed_by: str | None = Field(default=None, max_length=36)
    authorization_reference: str | None = Field(default=None, max_length=200)
    metadata_sha256: str | None = Field(default=None, max_length=64)
    files: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
