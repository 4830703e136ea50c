"""The mail registry's tables: the contacts directory, mail types, notes, workflow history, agents' services
and the per-register number format. The record's own mail fields are columns of ``records``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dms.models.base import UTCDateTime, new_id, utcnow


class ContactKind(StrEnum):
    organisation = "organisation"
    person = "person"
    position = "position"  # a person's role in an organisation


class Contact(SQLModel, table=True):
    """One entry of a tenant's directory. A position links a person to an organisation with a role title and
    may carry its own address and e-mail (the person's work address). Contacts are deactivated, never deleted:
    registered mail keeps naming them."""

    __tablename__ = "contacts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    kind: str = Field(max_length=16)
    name: str = Field(default="", max_length=200)  # organisation name, or the person's full name
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    # links inside the table carry no foreign key (checked by dms/contacts.py, contacts are never deleted):
    # copy-installation inserts a table's rows in storage order, which need not put a person before its position
    organisation_id: str | None = Field(default=None, max_length=36)
    person_id: str | None = Field(default=None, max_length=36)
    role_title: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    street: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=100)
    country: str = Field(default="", max_length=100)
    search_key: str = Field(default="", index=True, max_length=400)  # folded names, for prefix search
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MailType(SQLModel, table=True):
    __tablename__ = "mail_types"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    code: str = Field(max_length=64)
    label: str = Field(max_length=200)
    active: bool = True


class RecordNote(SQLModel, table=True):
    """Append-only: a note is never edited or removed."""

    __tablename__ = "record_notes"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    record_id: str = Field(foreign_key="records.id", index=True, max_length=36)
    author_id: str | None = Field(default=None, foreign_key="users.id", max_length=36)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class RecordTransition(SQLModel, table=True):
    """The workflow history of a record (the audit trail holds the same facts, hash-chained)."""

    __tablename__ = "record_transitions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=36)
    record_id: str = Field(foreign_key="records.id", index=True, max_length=36)
    from_status: str = Field(max_length=32)
    to_status: str = Field(max_length=32)
    actor_id: str | None = Field(default=None, foreign_key="users.id", max_length=36)
    comment: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class UserService(SQLModel, table=True):
    """Which services a user works in: an agent sees and acts on the mail of these services only."""

    __tablename__ = "user_services"

    user_id: str = Field(foreign_key="users.id", primary_key=True, max_length=36)
    service_id: str = Field(foreign_key="services.id", primary_key=True, max_length=36)


class RegisterSetting(SQLModel, table=True):
    __tablename__ = "register_settings"

    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=36)
    register_code: str = Field(primary_key=True, max_length=1)
    number_format: str = Field(max_length=100)
