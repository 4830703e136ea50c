"""Concept schemes in the database: the regional thesaurus and classification plan (``tenant_id`` NULL,
visible to every tenant) and tenant extensions (``tenant_id`` set).

A stored scheme is what one SKOS file import holds: its concepts, collections and scheme resources, kept as
rows (``thesaurus_resources``) with their labels and links in two narrow tables, so that an import is three
bulk inserts in one transaction. Each import or accepted proposal replaces the content and bumps ``version``;
``thesaurus_versions`` keeps when and by whom each version was released.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, new_id, utcnow

REGIONAL_SCOPE = ""  # ``scope`` of federation-wide schemes (a unique constraint cannot rely on NULLs)


class SchemeKind(StrEnum):
    thesaurus = "thesaurus"
    plan = "plan"  # the classification plan: concepts with notations
    extension = "extension"  # a tenant's own concepts placed under regional ones


class ProposalStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class ThesaurusScheme(SQLModel, table=True):
    __tablename__ = "thesaurus_schemes"
    __table_args__ = (UniqueConstraint("scope", "uri"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    scope: str = Field(default=REGIONAL_SCOPE, max_length=36)
    tenant_id: str | None = Field(default=None, foreign_key="tenants.id", index=True, max_length=36)
    uri: str = Field(max_length=1000)
    kind: str = Field(default=SchemeKind.thesaurus, max_length=16)
    title: str = Field(default="", max_length=500)
    version: int = 0
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    released_by: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ThesaurusVersion(SQLModel, table=True):
    __tablename__ = "thesaurus_versions"
    __table_args__ = (UniqueConstraint("scheme_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: str = Field(foreign_key="thesaurus_schemes.id", index=True, max_length=36)
    version: int
    released_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    released_by: str | None = Field(default=None, max_length=36)
    source: str = Field(default="import", max_length=16)
    summary: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class ThesaurusResource(SQLModel, table=True):
    """A concept, collection or scheme resource of a stored scheme; ``data`` (JSON) holds notes, notations,
    matches, scheme membership and replacements: what is read back but never queried."""

    __tablename__ = "thesaurus_resources"
    __table_args__ = (Index("ix_thesaurus_resources_uri", "uri"),)

    scheme_id: str = Field(foreign_key="thesaurus_schemes.id", primary_key=True, max_length=36)
    uri: str = Field(primary_key=True, max_length=1000)
    type: str = Field(max_length=16)
    notation: str | None = Field(default=None, max_length=200)
    deprecated: bool = False
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class ThesaurusLabel(SQLModel, table=True):
    __tablename__ = "thesaurus_labels"
    __table_args__ = (Index("ix_thesaurus_labels_scheme", "scheme_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: str = Field(foreign_key="thesaurus_schemes.id", max_length=36)
    uri: str = Field(max_length=1000)
    kind: str = Field(max_length=8)  # pref, alt, hidden
    lang: str = Field(default="", max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))


class ThesaurusRelation(SQLModel, table=True):
    """``source`` --kind--> ``target``: broader, narrower, related, top (topConceptOf), has_top, member."""

    __tablename__ = "thesaurus_relations"
    __table_args__ = (Index("ix_thesaurus_relations_scheme", "scheme_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: str = Field(foreign_key="thesaurus_schemes.id", max_length=36)
    source: str = Field(max_length=1000)
    kind: str = Field(max_length=8)
    target: str = Field(max_length=1000)


class ThesaurusProposal(SQLModel, table=True):
    """A commune's proposed change to a regional scheme, decided by a regional curator."""

    __tablename__ = "thesaurus_proposals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    scheme_id: str = Field(foreign_key="thesaurus_schemes.id", index=True, max_length=36)
    kind: str = Field(max_length=16)  # new, change, deprecate
    concept_uri: str = Field(max_length=1000)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    status: str = Field(default=ProposalStatus.pending, max_length=16, index=True)
    proposed_by: str | None = Field(default=None, max_length=36)
    proposed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    decided_by: str | None = Field(default=None, max_length=36)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    version: int | None = None  # the scheme version that applied it
