"""Versions of each record's SEDA 2.3 metadata document, and where imported records came from.

The XML of a version lives in its row, written in the same transaction as the change it describes
(docs/transfers.md, "Where the XML is stored"): the document holds the registration number, which is
allocated inside that transaction, so it cannot go to the blob store beforehand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, utcnow


class RecordMetadataVersion(SQLModel, table=True):
    """One immutable version of a record's metadata document; ``version`` counts from 1 per record."""

    __tablename__ = "record_metadata_versions"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    record_id: str = Field(foreign_key="records.id", index=True, max_length=36)
    version: int
    sha256: str = Field(max_length=64)
    size: int
    xml: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    created_by: str | None = Field(default=None, foreign_key="users.id", max_length=36)


class RecordOrigin(SQLModel, table=True):
    """A record that arrived in a transfer package: who registered it first, under which reference.

    ``source_metadata`` keeps the source's description (a one-record SEDA document) so that the fields
    the records table has no column for yet (sender, addressees, sent date, keywords...) stay in the
    record's metadata. One source reference is imported once per tenant (the unique constraint makes a
    re-run of an interrupted import skip what is already there).
    """

    __tablename__ = "record_origins"
    __table_args__ = (UniqueConstraint("tenant_id", "source_agency_identifier", "source_reference"),)

    record_id: str = Field(foreign_key="records.id", primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    source_agency_identifier: str = Field(max_length=200)
    source_agency_name: str | None = Field(default=None, max_length=200)
    source_reference: str = Field(max_length=200)
    source_identifier: str | None = Field(default=None, max_length=200)
    source_registered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    transfer_identifier: str | None = Field(default=None, max_length=200)
    source_metadata: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    imported_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
