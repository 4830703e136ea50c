"""Plain dataclasses describing one mail record for archival metadata.

They are the library's only input and output: ``seda`` turns them into SEDA 2.3 XML and back,
``dublin_core`` into Dublin Core, ``messages`` into transfer / destruction / authorisation messages.
They know nothing about the database; the records service fills them from its rows.

They are frozen and normalise sequences to tuples, so that ``parse(build(meta)) == meta`` is a
meaningful test and a value can be shared between threads. Each checks, when built, what SEDA would
otherwise refuse much later with a less readable schema message (an unknown final action, a bad
language code, a SHA-256 that is not 64 hex digits...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Literal

from metadata.errors import MetadataError

Register = Literal["incoming", "outgoing", "internal"]
FinalAction = Literal["Keep", "Destroy"]
#: SEDA dates (``DateType``) are a union of xsd:date and xsd:dateTime: a record keeps whichever it has.
DateValue = date | datetime

REGISTERS: tuple[str, ...] = ("incoming", "outgoing", "internal")
FINAL_ACTIONS: tuple[str, ...] = ("Keep", "Destroy")
#: ``CodeKeywordType`` of the SEDA 2.3 ontology (the only values ``KeywordType`` accepts).
KEYWORD_TYPES: tuple[str, ...] = (
    "corpname",
    "famname",
    "geogname",
    "name",
    "occupation",
    "persname",
    "subject",
    "genreform",
    "function",
)
#: ``LevelType`` of the SEDA 2.3 ontology (``DescriptionLevel``): a registered mail item is an ``Item``.
DESCRIPTION_LEVELS: tuple[str, ...] = (
    "Fonds",
    "Subfonds",
    "Class",
    "Collection",
    "Series",
    "Subseries",
    "RecordGrp",
    "SubGrp",
    "File",
    "Item",
    "OtherLevel",
)
#: ``DataObjectVersion`` usages understood by Vitam and RESIP (``<use>_<n>`` in the document).
DATA_OBJECT_USES: tuple[str, ...] = ("BinaryMaster", "Dissemination", "Thumbnail", "TextContent")

_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")  # xsd:language
_DURATION = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")


def _tuple(obj: object, name: str) -> None:
    """Freeze a list-valued field in place (dataclasses are frozen, hence ``object.__setattr__``)."""
    value = getattr(obj, name)
    if not isinstance(value, tuple):
        object.__setattr__(obj, name, tuple(value))


def _not_blank(value: str | None, what: str) -> None:
    if value is not None and not value.strip():
        raise MetadataError(f"{what} must not be blank")


def _as_date(obj: object, name: str) -> None:
    """Rule dates are xsd:date: a datetime given by a caller is cut to its day rather than refused."""
    value = getattr(obj, name)
    if isinstance(value, datetime):
        object.__setattr__(obj, name, value.date())
    elif value is not None and not isinstance(value, date):
        raise MetadataError(f"{name} must be a date, not {type(value).__name__}")


@dataclass(frozen=True)
class Organization:
    """A commune (or any agency) as SEDA knows it: an identifier, plus a name for people."""

    identifier: str
    name: str | None = None

    def __post_init__(self) -> None:
        _not_blank(self.identifier, "organisation identifier")


@dataclass(frozen=True)
class Agent:
    """A correspondent: a person (names), an organisation, or a person within an organisation."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    organisation: str | None = None
    email: str | None = None
    identifier: str | None = None

    def __post_init__(self) -> None:
        if not any((self.name, self.first_name, self.last_name, self.organisation)):
            raise MetadataError("an agent needs a name, first/last names or an organisation")
        if self.email is not None and "@" not in self.email:
            raise MetadataError(f"not an e-mail address: {self.email!r}")
        _not_blank(self.identifier, "agent identifier")

    @property
    def is_person(self) -> bool:
        return bool(self.name or self.first_name or self.last_name)

    @property
    def display_name(self) -> str:
        """ "Prénom Nom (Organisation)", the form Dublin Core and people read."""
        person = self.name or " ".join(p for p in (self.first_name, self.last_name) if p)
        if person and self.organisation:
            return f"{person} ({self.organisation})"
        return person or self.organisation or ""


@dataclass(frozen=True)
class Keyword:
    """A thesaurus concept used as a keyword: its label, its URI and its scheme's URI."""

    label: str
    uri: str | None = None
    scheme: str | None = None
    type: str = "subject"

    def __post_init__(self) -> None:
        _not_blank(self.label, "keyword label")
        if self.scheme and not self.uri:
            raise MetadataError(f"keyword {self.label!r}: a scheme needs the concept's uri")
        if self.type not in KEYWORD_TYPES:
            raise MetadataError(f"keyword type {self.type!r} is not one of {', '.join(KEYWORD_TYPES)}")


@dataclass(frozen=True)
class Classification:
    """The record's position in the classification plan (a concept with a notation)."""

    notation: str | None = None
    label: str | None = None
    uri: str | None = None
    scheme: str | None = None

    def __post_init__(self) -> None:
        if not (self.notation or self.label):
            raise MetadataError("a classification needs a notation or a label")
        if (self.uri or self.scheme) and not self.label:
            raise MetadataError("a classification with a uri or scheme needs its label")
        if self.scheme and not self.uri:
            raise MetadataError("a classification scheme needs the concept's uri")
        _not_blank(self.notation, "classification notation")


@dataclass(frozen=True)
class AppraisalRule:
    """Retention: the rule of the schedule, when it starts and what happens at its end.

    ``duration`` (ISO 8601, e.g. ``P10Y``) belongs to the rule referential, not to SEDA: a SEDA
    ArchiveUnit only names the rule. It is kept here for the caller's convenience and restored by
    ``parse_archive_unit(..., rule_durations=...)``.
    """

    rule_id: str
    start_date: date | None = None
    final_action: FinalAction = "Keep"
    duration: str | None = None

    def __post_init__(self) -> None:
        _not_blank(self.rule_id, "appraisal rule id")
        _as_date(self, "start_date")
        if self.final_action not in FINAL_ACTIONS:
            raise MetadataError(f"final action must be Keep or Destroy, not {self.final_action!r}")
        if self.duration is not None and not _DURATION.fullmatch(self.duration):
            raise MetadataError(f"duration {self.duration!r} is not an ISO 8601 duration such as P10Y")


@dataclass(frozen=True)
class AccessRule:
    rule_id: str
    start_date: date | None = None

    def __post_init__(self) -> None:
        _not_blank(self.rule_id, "access rule id")
        _as_date(self, "start_date")


@dataclass(frozen=True)
class HoldRule:
    """A legal hold (gel): blocks destruction until lifted or until ``hold_end_date``."""

    rule_id: str
    start_date: date | None = None
    reason: str | None = None
    hold_end_date: date | None = None

    def __post_init__(self) -> None:
        _not_blank(self.rule_id, "hold rule id")
        _not_blank(self.reason, "hold reason")
        _as_date(self, "start_date")
        _as_date(self, "hold_end_date")


_PATH_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")


def is_safe_content_path(path: str) -> bool:
    """``content/a/b.pdf``: relative, under ``content/``, plain ASCII names, no ``..``, no hidden parts.

    The same check guards what we write into a package and what we accept from one, so a path from a
    message can never point outside the package (or at the message itself).
    """
    parts = path.split("/")
    return (
        len(parts) >= 2
        and len(parts) <= 16
        and parts[0] == "content"
        and all(_PATH_PART.fullmatch(part) for part in parts[1:])
    )


def default_content_path(sha256: str, filename: str | None = None) -> str:
    """Where a file lives inside a transfer package, relative to the SEDA message.

    Content-addressed (``content/<sha256>``) so that the same bytes are stored once and a name can
    never collide or escape; the original extension is kept when it is a plain one, for the people who
    open the package.
    """
    suffix = PurePosixPath(filename).suffix.lower() if filename else ""
    return f"content/{sha256}{suffix if _SAFE_SUFFIX.fullmatch(suffix) else ''}"


@dataclass(frozen=True)
class DataObject:
    """One file of the record, as a SEDA BinaryDataObject."""

    id: str
    filename: str | None
    mime: str | None
    size: int
    sha256: str
    pages: int | None = None
    use: str = "BinaryMaster"
    format_id: str | None = None
    uri: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9._-]+", self.id or ""):
            raise MetadataError(f"data object id {self.id!r} may only hold letters, digits, '.', '_', '-'")
        object.__setattr__(self, "sha256", (self.sha256 or "").lower())
        if not _SHA256.fullmatch(self.sha256):
            raise MetadataError(f"data object {self.id}: sha256 must be 64 hexadecimal digits")
        if self.size < 0 or (self.pages is not None and self.pages < 0):
            raise MetadataError(f"data object {self.id}: size and pages cannot be negative")
        if self.use not in DATA_OBJECT_USES:
            raise MetadataError(f"data object use {self.use!r} is not one of {', '.join(DATA_OBJECT_USES)}")
        if self.uri is not None and not is_safe_content_path(self.uri):
            raise MetadataError(f"data object {self.id}: uri {self.uri!r} must be a plain relative path under content/")

    @property
    def path(self) -> str:
        """The ``Uri`` of the object in a transfer package (relative to the message, under ``content/``)."""
        return self.uri or default_content_path(self.sha256, self.filename)


@dataclass(frozen=True, kw_only=True)
class RecordMetadata:
    """Everything the archival metadata of one record says. See docs/metadata.md for the mapping."""

    identifier: str | None = None
    registration_number: str | None = None
    title: str | None = None
    description: str | None = None
    language: str = "fr"
    document_type: str | None = None
    register: Register | None = None
    description_level: str = "Item"
    sent: DateValue | None = None
    received: DateValue | None = None
    registered: DateValue | None = None
    created: DateValue | None = None
    updated: datetime | None = None
    sender: Agent | None = None
    addressees: tuple[Agent, ...] = ()
    recipients: tuple[Agent, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    classification: Classification | None = None
    originating_agency: Organization | None = None
    transferring_agency: Organization | None = None
    custodial_history: tuple[str, ...] = ()
    appraisal: AppraisalRule | None = None
    access_rules: tuple[AccessRule, ...] = ()
    holds: tuple[HoldRule, ...] = ()
    need_authorization: bool | None = None
    reply_to: str | None = None
    related: tuple[str, ...] = ()
    files: tuple[DataObject, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "addressees",
            "recipients",
            "keywords",
            "custodial_history",
            "access_rules",
            "holds",
            "related",
            "files",
        ):
            _tuple(self, name)
        _not_blank(self.identifier, "record identifier")
        _not_blank(self.registration_number, "registration number")
        _not_blank(self.reply_to, "reply-to reference")
        if not _LANGUAGE.fullmatch(self.language or ""):
            raise MetadataError(f"language {self.language!r} is not an ISO 639 / BCP 47 code such as 'fr'")
        if self.description_level not in DESCRIPTION_LEVELS:
            raise MetadataError(f"description level {self.description_level!r} is not a SEDA level such as Item")
        if self.register is not None and self.register not in REGISTERS:
            raise MetadataError(f"register must be one of {', '.join(REGISTERS)}, not {self.register!r}")
        for name in ("sent", "received", "registered", "created"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                raise MetadataError(f"{name} must be a date or datetime, not {type(value).__name__}")
        if self.updated is not None and not isinstance(self.updated, datetime):
            raise MetadataError("updated must be a datetime")
        ids = [f.id for f in self.files]
        if len(set(ids)) != len(ids):
            raise MetadataError("two files of the record share an id")
