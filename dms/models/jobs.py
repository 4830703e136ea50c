"""The durable job table (transactional outbox): work enqueued in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    dead = "dead"


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    tenant_id: str | None = Field(default=None, max_length=36, index=True)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    status: str = Field(default=JobStatus.queued, max_length=16)
    attempts: int = 0
    max_attempts: int = 8
    run_after: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    locked_by: str | None = Field(default=None, max_length=100)
    locked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
