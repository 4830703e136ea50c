"""The shared library's tables: federation-wide catalog items and their immutable versions, label reviews,
reuse declarations, each commune's adopted templates, and the branding (co-marquage) letters are filled with.

Items and versions carry no ``tenant_id``: the catalog is federation-wide; ``publisher_id`` names the commune
that published. Links between items (forks) carry no foreign key, like record links: copy-installation
inserts a table's rows in storage order.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, new_id, utcnow


class ItemKind(StrEnum):
    letter_template = "letter_template"
    code = "code"
    schema = "schema"  # an XML schema or an XSLT
    thesaurus_extension = "thesaurus_extension"
    process = "process"  # a process description


class LabelStatus(StrEnum):
    none = "none"
    submitted = "submitted"
    in_review = "in_review"
    labelled = "labelled"
    rejected = "rejected"


class LibraryItem(SQLModel, table=True):
    __tablename__ = "library_items"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    slug: str = Field(index=True, unique=True, max_length=100)
    kind: str = Field(max_length=32)
    title: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    description: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    publisher_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    maintainers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    licence: str = Field(default="EUPL-1.2", max_length=500)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    based_on_id: str | None = Field(default=None, max_length=36)  # isBasedOn: the item this one forks
    based_on_version: str | None = Field(default=None, max_length=100)
    created_by: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class LibraryVersion(SQLModel, table=True):
    """An immutable artefact: its bytes are a blob (key and SHA-256 here), never replaced."""

    __tablename__ = "library_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    item_id: str = Field(foreign_key="library_items.id", index=True, max_length=36)
    version: str = Field(max_length=100)
    changelog: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    blob_key: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size: int
    mime: str = Field(max_length=200)
    filename: str = Field(max_length=255)
    template_format: str | None = Field(default=None, max_length=8)  # docx or odt for letter templates
    placeholders: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    publiccode: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    downloads: int = 0
    label_status: str = Field(default=LabelStatus.none, max_length=16)
    published_by: str | None = Field(default=None, max_length=36)
    published_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class LibraryReview(SQLModel, table=True):
    """One step of a version's label review, with the reviewer's comment."""

    __tablename__ = "library_reviews"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version_id: str = Field(foreign_key="library_versions.id", index=True, max_length=36)
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    actor_id: str | None = Field(default=None, max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class LibraryReuse(SQLModel, table=True):
    """A commune's declaration that it uses a version of an item ("used by"), since a date."""

    __tablename__ = "library_reuses"
    __table_args__ = (UniqueConstraint("item_id", "tenant_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    item_id: str = Field(foreign_key="library_items.id", index=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    version_id: str = Field(foreign_key="library_versions.id", max_length=36)
    since: date
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class LibraryAdoption(SQLModel, table=True):
    """A library template in a commune's own set, pinned to one version until the commune updates it."""

    __tablename__ = "library_adoptions"
    __table_args__ = (UniqueConstraint("tenant_id", "item_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    item_id: str = Field(foreign_key="library_items.id", index=True, max_length=36)
    version_id: str = Field(foreign_key="library_versions.id", max_length=36)
    adopted_by: str | None = Field(default=None, max_length=36)
    adopted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class LibraryBranding(SQLModel, table=True):
    """The regional base (``scope`` "region", no tenant) or one commune's overrides (``scope`` its tenant id).
    A ``None`` field inherits the regional value (co-marquage: a commune overrides only what it changes)."""

    __tablename__ = "library_brandings"

    scope: str = Field(primary_key=True, max_length=36)
    tenant_id: str | None = Field(default=None, foreign_key="tenants.id", max_length=36)
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    signatories: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class LibraryLogo(SQLModel, table=True):
    """The logo of one branding level (a PNG blob), apart so that every blob row has its key and digest."""

    __tablename__ = "library_logos"

    scope: str = Field(primary_key=True, max_length=36)
    tenant_id: str | None = Field(default=None, foreign_key="tenants.id", max_length=36)
    blob_key: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size: int
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
