"""SEDA 2.3 ArchiveUnit: build one from a ``RecordMetadata`` and read one back.

A record's stored metadata document is a complete, minimal ``ArchiveTransfer`` message holding its one
ArchiveUnit and the BinaryDataObjects of its files (docs/metadata.md explains why): the official schemas
declare messages, not a bare ArchiveUnit, as global elements, and only a whole message can carry the
DataObjects an ArchiveUnit references (``xsd:IDREF``). So the document validates, unmodified, against
the official XSDs, and the same unit-building code makes the transfer messages in ``messages``.

Element order follows the XSD sequences (``BaseObjectGroup``, ``ManagementGroup``,
``BinaryDataObjectType``...), which are order-sensitive; the schema tests catch any slip.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from lxml import etree

from metadata.errors import MetadataError
from metadata.model import (
    REGISTERS,
    AccessRule,
    Agent,
    AppraisalRule,
    Classification,
    DataObject,
    DateValue,
    HoldRule,
    Keyword,
    Organization,
    RecordMetadata,
    default_content_path,
)
from metadata.namespaces import DMS, SEDA, SEDA_READABLE, XML, q
from metadata.schema import default_schema_dir, validate  # re-exported: validation is part of "SEDA"
from metadata.xml import parse_xml, to_bytes

__all__ = [
    "DIGEST_ALGORITHM",
    "archive_unit_document",
    "build_archive_unit",
    "build_data_object_group",
    "default_schema_dir",
    "parse_archive_transfer",
    "parse_archive_unit",
    "validate",
]

#: Identifier of SHA-256 in the SEDA ``DigestAlgorithmCodeList`` (the XSD only asks for a token; the code
#: list used by Vitam / RESIP / As@lae spells it this way).
DIGEST_ALGORITHM = "SHA-256"
REGISTRATION_EVENT = "Registration"
_REGISTER_LABELS = {
    "incoming": "Enregistrement au registre du courrier entrant",
    "outgoing": "Enregistrement au registre du courrier sortant",
    "internal": "Enregistrement au registre des documents internes",
}
_NSMAP = {None: SEDA, "dms": DMS}
_NCNAME_SAFE = re.compile(r"[A-Za-z0-9._-]+")


# ----------------------------------------------------------------------------------------------- build


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, q(SEDA, name), attrib)
    if text is not None:
        try:
            element.text = text
        except ValueError:
            raise MetadataError(f"{name}: the text holds characters XML cannot carry") from None
    return element


def _xml_id(prefix: str, value: str) -> str:
    """An ``xsd:ID`` (an NCName, unique in the document) derived from one of our identifiers."""
    if _NCNAME_SAFE.fullmatch(value):
        return f"{prefix}-{value}"
    return f"{prefix}-{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def unit_xml_id(meta: RecordMetadata) -> str:
    return _xml_id("AU", _identifier(meta))


def group_xml_id(meta: RecordMetadata) -> str:
    return _xml_id("DOG", _identifier(meta))


def data_object_xml_id(obj: DataObject) -> str:
    return f"BDO-{obj.id}"


def _identifier(meta: RecordMetadata) -> str:
    if not meta.identifier:
        raise MetadataError("a record needs its identifier to be written as SEDA")
    return meta.identifier


def _date_text(value: DateValue) -> str:
    return value.isoformat()


def _organization(parent: etree._Element, name: str, org: Organization) -> etree._Element:
    element = _sub(parent, name)
    _sub(element, "Identifier", org.identifier)
    if org.name:
        descriptive = _sub(element, "OrganizationDescriptiveMetadata")
        etree.SubElement(descriptive, q(DMS, "Name")).text = org.name
    return element


def _agent(parent: etree._Element, name: str, agent: Agent) -> None:
    """AgentType has no organisation or e-mail element: the e-mail is an ``Identifier`` (mailto: URI),
    a person's organisation goes to ``Position``, an organisation alone is a ``Corpname``."""
    element = _sub(parent, name)
    if agent.is_person:
        if agent.first_name:
            _sub(element, "FirstName", agent.first_name)
        if agent.last_name:
            _sub(element, "BirthName", agent.last_name)
        if agent.name:
            _sub(element, "FullName", agent.name)
    else:
        _sub(element, "Corpname", agent.organisation)
    if agent.identifier:
        _sub(element, "Identifier", agent.identifier)
    if agent.email:
        _sub(element, "Identifier", f"mailto:{agent.email}")
    if agent.is_person and agent.organisation:
        _sub(element, "Position", agent.organisation)


def _keyword(parent: etree._Element, kw: Keyword, xml_id: str | None = None) -> None:
    element = _sub(parent, "Keyword", **({"id": xml_id} if xml_id else {}))
    _sub(element, "KeywordContent", kw.label)
    if kw.uri:
        _sub(element, "KeywordReference", kw.uri, **({"schemeURI": kw.scheme} if kw.scheme else {}))
    _sub(element, "KeywordType", kw.type)


def _classification_keyword(cls: Classification) -> Keyword | None:
    if not cls.label:
        return None
    return Keyword(cls.label, cls.uri, cls.scheme, type="function")


def _registration_time(meta: RecordMetadata) -> DateValue:
    for value in (meta.registered, meta.received, meta.sent, meta.created):
        if value is not None:
            return value
    raise MetadataError("a record in a register needs its registration date")


def _management(parent: etree._Element, meta: RecordMetadata) -> None:
    if not (meta.appraisal or meta.access_rules or meta.holds or meta.need_authorization is not None):
        return
    management = _sub(parent, "Management")
    if meta.appraisal:
        rule = _sub(management, "AppraisalRule")
        _sub(rule, "Rule", meta.appraisal.rule_id)
        if meta.appraisal.start_date:
            _sub(rule, "StartDate", meta.appraisal.start_date.isoformat())
        _sub(rule, "FinalAction", meta.appraisal.final_action)
    if meta.access_rules:
        rule = _sub(management, "AccessRule")
        for access in meta.access_rules:
            _sub(rule, "Rule", access.rule_id)
            if access.start_date:
                _sub(rule, "StartDate", access.start_date.isoformat())
    if meta.need_authorization is not None:
        _sub(management, "NeedAuthorization", "true" if meta.need_authorization else "false")
    if meta.holds:
        rule = _sub(management, "HoldRule")
        for hold in meta.holds:
            _sub(rule, "Rule", hold.rule_id)
            if hold.start_date:
                _sub(rule, "StartDate", hold.start_date.isoformat())
            if hold.hold_end_date:
                _sub(rule, "HoldEndDate", hold.hold_end_date.isoformat())
            if hold.reason:
                _sub(rule, "HoldReason", hold.reason)


def _content(parent: etree._Element, meta: RecordMetadata, unit_id: str) -> None:
    content = _sub(parent, "Content")
    _sub(content, "DescriptionLevel", meta.description_level)
    if meta.title:
        _sub(content, "Title", meta.title)
    if meta.classification and meta.classification.notation:
        _sub(content, "FilePlanPosition", meta.classification.notation)
    _sub(content, "OriginatingSystemId", _identifier(meta))
    if meta.registration_number:
        _sub(content, "OriginatingAgencyArchiveUnitIdentifier", meta.registration_number)
    if meta.description:
        _sub(content, "Description", meta.description)
    if meta.custodial_history:
        history = _sub(content, "CustodialHistory")
        for item in meta.custodial_history:
            _sub(history, "CustodialHistoryItem", item)
    if meta.document_type:
        _sub(content, "DocumentType", meta.document_type)
    _sub(content, "Language", meta.language)
    if meta.classification and (kw := _classification_keyword(meta.classification)):
        _keyword(content, kw, f"{unit_id}-classification")
    for kw in meta.keywords:
        _keyword(content, kw)
    if meta.originating_agency:
        _organization(content, "OriginatingAgency", meta.originating_agency)
    if meta.transferring_agency:
        _organization(content, "SubmissionAgency", meta.transferring_agency)
    for agent in meta.addressees:
        _agent(content, "Addressee", agent)
    for agent in meta.recipients:
        _agent(content, "Recipient", agent)
    if meta.sender:
        _agent(content, "Sender", meta.sender)
    if meta.related:
        # References is a choice of ONE reference (DataObjectOrArchiveUnitReferenceType): one per item
        relations = _sub(content, "RelatedObjectReference")
        for related in meta.related:
            _sub(_sub(relations, "References"), "ExternalReference", related)
    for name, value in (
        ("CreatedDate", meta.created),
        ("SentDate", meta.sent),
        ("ReceivedDate", meta.received),
        ("RegisteredDate", meta.registered),
    ):
        if value is not None:
            _sub(content, name, _date_text(value))
    if meta.register:
        event = _sub(content, "Event")
        if meta.registration_number:
            _sub(event, "EventIdentifier", meta.registration_number)
        _sub(event, "EventTypeCode", REGISTRATION_EVENT)
        _sub(event, "EventType", meta.register)
        _sub(event, "EventDateTime", _date_text(_registration_time(meta)))
        _sub(event, "EventDetail", _REGISTER_LABELS[meta.register], **{q(XML, "lang"): "fr"})
    if meta.reply_to:
        _sub(content, "OriginatingSystemIdReplyTo", meta.reply_to)


def build_archive_unit(meta: RecordMetadata, *, with_data_objects: bool = True) -> etree._Element:
    """The ``ArchiveUnit`` element of a record (SEDA namespace), detached from any document.

    With ``with_data_objects`` it references the record's DataObjectGroup (``build_data_object_group``),
    which the enclosing message must then carry; without, it is description only (authorisation
    requests list units whose files are not sent).
    """
    unit_id = unit_xml_id(meta)
    unit = etree.Element(q(SEDA, "ArchiveUnit"), {"id": unit_id}, nsmap=_NSMAP)
    _management(unit, meta)
    _content(unit, meta, unit_id)
    if with_data_objects and meta.files:
        _sub(_sub(unit, "DataObjectReference"), "DataObjectGroupReferenceId", group_xml_id(meta))
    return unit


def build_data_object_group(meta: RecordMetadata) -> etree._Element | None:
    """The ``DataObjectGroup`` of the record's files (one group per unit, as Vitam requires), or None."""
    if not meta.files:
        return None
    group = etree.Element(q(SEDA, "DataObjectGroup"), {"id": group_xml_id(meta)}, nsmap=_NSMAP)
    counters: dict[str, int] = {}
    for obj in meta.files:
        counters[obj.use] = counters.get(obj.use, 0) + 1
        bdo = _sub(group, "BinaryDataObject", id=data_object_xml_id(obj))
        _sub(bdo, "DataObjectVersion", f"{obj.use}_{counters[obj.use]}")
        _sub(bdo, "Uri", obj.path)
        _sub(bdo, "MessageDigest", obj.sha256, algorithm=DIGEST_ALGORITHM)
        if obj.size > 0:  # SizeInBytesType is xsd:positiveInteger
            _sub(bdo, "Size", str(obj.size))
        if obj.mime or obj.format_id:
            formats = _sub(bdo, "FormatIdentification")
            if obj.mime:
                _sub(formats, "MimeType", obj.mime)
            if obj.format_id:
                _sub(formats, "FormatId", obj.format_id)
        if obj.filename:
            _sub(_sub(bdo, "FileInfo"), "Filename", obj.filename)
        if obj.pages is not None:
            document = _sub(_sub(bdo, "Metadata"), "Document")
            etree.SubElement(document, q(DMS, "PageCount")).text = str(obj.pages)
    return group


def message_root(tag: str, *, message_id: str, date: datetime, comment: str | None = None) -> etree._Element:
    """The common head of every SEDA message: Comment?, Date, MessageIdentifier."""
    root = etree.Element(q(SEDA, tag), nsmap=_NSMAP)
    if comment:
        _sub(root, "Comment", comment)
    _sub(root, "Date", date.isoformat())
    _sub(root, "MessageIdentifier", message_id)
    return root


def add_organization(parent: etree._Element, name: str, org: Organization) -> etree._Element:
    return _organization(parent, name, org)


def add_text(parent: etree._Element, name: str, text: str | None = None, **attrib: str) -> etree._Element:
    return _sub(parent, name, text, **attrib)


def data_object_package(
    parent: etree._Element,
    units: Iterable[RecordMetadata],
    *,
    with_data_objects: bool = True,
    legal_status: str | None = None,
    originating_agency: str | None = None,
    submission_agency: str | None = None,
) -> etree._Element:
    """DataObjectPackage: all groups first, then DescriptiveMetadata, then ManagementMetadata."""
    package = _sub(parent, "DataObjectPackage")
    units = list(units)
    if with_data_objects:
        for meta in units:
            group = build_data_object_group(meta)
            if group is not None:
                package.append(group)
    descriptive = _sub(package, "DescriptiveMetadata")
    for meta in units:
        descriptive.append(build_archive_unit(meta, with_data_objects=with_data_objects))
    management = _sub(package, "ManagementMetadata")
    if legal_status:
        _sub(management, "LegalStatus", legal_status)
    if originating_agency:
        _sub(management, "OriginatingAgencyIdentifier", originating_agency)
    if submission_agency:
        _sub(management, "SubmissionAgencyIdentifier", submission_agency)
    return package


def archive_unit_document(meta: RecordMetadata) -> bytes:
    """The record's standalone metadata document: an ArchiveTransfer holding just this record.

    The commune keeps its own records, so it is both the archival agency and (unless another is named)
    the transferring agency of this message. ``updated`` is the message date (now if unset) and the
    record identifier its ``MessageIdentifier``. Validate the result with ``validate``.
    """
    if meta.originating_agency is None:
        raise MetadataError("a record needs its originating agency (the commune) to be written as SEDA")
    root = message_root(
        "ArchiveTransfer", message_id=_identifier(meta), date=meta.updated or datetime.now(UTC).replace(microsecond=0)
    )
    _sub(root, "CodeListVersions")
    data_object_package(
        root,
        [meta],
        originating_agency=meta.originating_agency.identifier,
        submission_agency=meta.transferring_agency.identifier if meta.transferring_agency else None,
    )
    _organization(root, "ArchivalAgency", meta.originating_agency)
    _organization(root, "TransferringAgency", meta.transferring_agency or meta.originating_agency)
    return to_bytes(root)


# ----------------------------------------------------------------------------------------------- parse


class _Reader:
    """Namespace-aware lookups, so the same code reads SEDA 2.3 and (for sidecars) 2.1 / 2.2."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def find(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(self.path(path))

    def findall(self, element: etree._Element, path: str) -> list[etree._Element]:
        return element.findall(self.path(path))

    def text(self, element: etree._Element | None, path: str | None = None) -> str | None:
        if element is not None and path:
            element = self.find(element, path)
        if element is None or element.text is None:
            return None
        return element.text

    def texts(self, element: etree._Element, path: str) -> list[str]:
        return [e.text for e in self.findall(element, path) if e.text]


def _parse_date(text: str | None) -> DateValue | None:
    """xsd:date or xsd:dateTime; partial dates (a year alone) have no ``date`` and are dropped."""
    if not text:
        return None
    text = text.strip()
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def _parse_day(text: str | None) -> date | None:
    value = _parse_date(text)
    return value.date() if isinstance(value, datetime) else value


def _read_organization(r: _Reader, element: etree._Element | None) -> Organization | None:
    if element is None:
        return None
    identifier = r.text(element, "Identifier")
    if not identifier:
        return None
    name = element.findtext(f"{r.path('OrganizationDescriptiveMetadata')}/{{{DMS}}}Name")
    return Organization(identifier, name)


def _read_agent(r: _Reader, element: etree._Element) -> Agent | None:
    identifiers = r.texts(element, "Identifier")
    emails = [i.removeprefix("mailto:") for i in identifiers if i.startswith("mailto:")]
    others = [i for i in identifiers if not i.startswith("mailto:")]
    corpname = r.text(element, "Corpname")
    position = r.text(element, "Position")
    fields = {
        "name": r.text(element, "FullName"),
        "first_name": r.text(element, "FirstName"),
        "last_name": r.text(element, "BirthName"),
        "organisation": corpname or position,
        "email": emails[0] if emails else None,
        "identifier": others[0] if others else None,
    }
    if corpname is None and not any((fields["name"], fields["first_name"], fields["last_name"])):
        fields["organisation"] = None  # a Position alone is not an organisation
    try:
        return Agent(**fields)
    except MetadataError:
        return None  # nothing that names the agent (e.g. an identifier alone): not worth a record field


def _read_keyword(r: _Reader, element: etree._Element) -> Keyword | None:
    label = r.text(element, "KeywordContent")
    if not label or not label.strip():
        return None
    reference = r.find(element, "KeywordReference")
    uri = reference.text if reference is not None and reference.text else None
    scheme = reference.get("schemeURI") if uri and reference is not None else None
    kw_type = r.text(element, "KeywordType") or "subject"
    return Keyword(label, uri, scheme, kw_type.strip())


def _read_rules(r: _Reader, rule_element: etree._Element) -> list[tuple[str, dict[str, str]]]:
    """Rule / StartDate / HoldEndDate... come as flat sequences: group them by their ``Rule``."""
    rules: list[tuple[str, dict[str, str]]] = []
    for child in rule_element:
        name = etree.QName(child).localname
        if name == "Rule" and child.text:
            rules.append((child.text.strip(), {}))
        elif rules and child.text and name not in ("PreventInheritance", "RefNonRuleId", "FinalAction"):
            rules[-1][1][name] = child.text.strip()
    return rules


def _read_management(r: _Reader, unit: etree._Element, rule_durations: Mapping[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    management = r.find(unit, "Management")
    if management is None:
        return out
    appraisal = r.find(management, "AppraisalRule")
    if appraisal is not None:
        rules = _read_rules(r, appraisal)
        action = r.text(appraisal, "FinalAction")
        if rules and action:
            rule_id, values = rules[0]
            out["appraisal"] = AppraisalRule(
                rule_id, _parse_day(values.get("StartDate")), action.strip(), rule_durations.get(rule_id)
            )
    access = r.find(management, "AccessRule")
    if access is not None:
        out["access_rules"] = tuple(
            AccessRule(rid, _parse_day(v.get("StartDate"))) for rid, v in _read_rules(r, access)
        )
    need = r.text(management, "NeedAuthorization")
    if need is not None:
        out["need_authorization"] = need.strip() in ("true", "1")
    holds = r.find(management, "HoldRule")
    if holds is not None:
        out["holds"] = tuple(
            HoldRule(rid, _parse_day(v.get("StartDate")), v.get("HoldReason"), _parse_day(v.get("HoldEndDate")))
            for rid, v in _read_rules(r, holds)
        )
    return out


def _read_data_object(r: _Reader, bdo: etree._Element) -> DataObject:
    xml_id = bdo.get("id", "")
    version = r.text(bdo, "DataObjectVersion") or "BinaryMaster"
    use = version.split("_", 1)[0].strip()
    digest = r.find(bdo, "MessageDigest")
    algorithm = (digest.get("algorithm", "") if digest is not None else "").upper().replace("_", "-")
    if digest is None or algorithm not in ("SHA-256", "SHA256"):
        raise MetadataError(f"data object {xml_id}: only SHA-256 message digests are supported")
    filename = r.text(bdo, "FileInfo/Filename")
    sha256 = (digest.text or "").strip().lower()
    uri = r.text(bdo, "Uri")
    size = r.text(bdo, "Size")
    pages = bdo.findtext(f"{r.path('Metadata/Document')}/{{{DMS}}}PageCount")
    return DataObject(
        id=xml_id.removeprefix("BDO-"),
        filename=filename,
        mime=r.text(bdo, "FormatIdentification/MimeType"),
        size=_count(size, f"data object {xml_id}: Size") or 0,
        sha256=sha256,
        pages=_count(pages, f"data object {xml_id}: PageCount"),
        use=use if use in ("BinaryMaster", "Dissemination", "Thumbnail", "TextContent") else "BinaryMaster",
        format_id=r.text(bdo, "FormatIdentification/FormatId"),
        uri=None if uri == default_content_path(sha256, filename) else uri,
    )


def _count(text: str | None, what: str) -> int | None:
    """A non-negative whole number, or MetadataError naming the field (the schema is not always checked first)."""
    if not text or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise MetadataError(f"{what} is not a whole number: {text.strip()[:40]!r}") from None
    if value < 0:
        raise MetadataError(f"{what} is negative: {value}")
    return value


def _read_files(r: _Reader, unit: etree._Element, package: etree._Element | None) -> tuple[DataObject, ...]:
    if package is None:
        return ()
    groups = {g.get("id"): g for g in r.findall(package, "DataObjectGroup")}
    objects = {o.get("id"): o for o in package.iter(q(r.ns, "BinaryDataObject"))}
    found: list[etree._Element] = []
    for reference in r.findall(unit, "DataObjectReference"):
        group_id = r.text(reference, "DataObjectGroupReferenceId")
        object_id = r.text(reference, "DataObjectReferenceId")
        if group_id and group_id in groups:
            found.extend(r.findall(groups[group_id], "BinaryDataObject"))
        elif object_id and object_id in objects:
            found.append(objects[object_id])
    return tuple(_read_data_object(r, bdo) for bdo in found)


def _unit_to_record(
    r: _Reader,
    unit: etree._Element,
    package: etree._Element | None,
    rule_durations: Mapping[str, str],
    updated: datetime | None,
    with_files: bool = True,
) -> RecordMetadata:
    content = r.find(unit, "Content")
    if content is None:
        raise MetadataError(f"ArchiveUnit {unit.get('id')} has no Content")
    unit_id = unit.get("id", "")
    classification_kw: Keyword | None = None
    keywords: list[Keyword] = []
    for element in r.findall(content, "Keyword"):
        kw = _read_keyword(r, element)
        if kw is None:
            continue
        if unit_id and element.get("id") == f"{unit_id}-classification":
            classification_kw = kw
        else:
            keywords.append(kw)
    notation = r.text(content, "FilePlanPosition")
    classification = None
    if notation or classification_kw:
        classification = Classification(
            notation=notation,
            label=classification_kw.label if classification_kw else None,
            uri=classification_kw.uri if classification_kw else None,
            scheme=classification_kw.scheme if classification_kw else None,
        )
    register = None
    for event in r.findall(content, "Event"):
        if r.text(event, "EventTypeCode") == REGISTRATION_EVENT and r.text(event, "EventType") in REGISTERS:
            register = r.text(event, "EventType")
    senders = [a for a in (_read_agent(r, e) for e in r.findall(content, "Sender")) if a]
    language = (r.text(content, "Language") or "fr").strip()
    return RecordMetadata(
        identifier=r.text(content, "OriginatingSystemId"),
        registration_number=r.text(content, "OriginatingAgencyArchiveUnitIdentifier"),
        title=r.text(content, "Title"),
        description=r.text(content, "Description"),
        language=language,
        document_type=r.text(content, "DocumentType"),
        register=register,
        description_level=(r.text(content, "DescriptionLevel") or "Item").strip(),
        sent=_parse_date(r.text(content, "SentDate")),
        received=_parse_date(r.text(content, "ReceivedDate")),
        registered=_parse_date(r.text(content, "RegisteredDate")),
        created=_parse_date(r.text(content, "CreatedDate")),
        updated=updated,
        sender=senders[0] if senders else None,
        addressees=tuple(a for a in (_read_agent(r, e) for e in r.findall(content, "Addressee")) if a),
        recipients=tuple(a for a in (_read_agent(r, e) for e in r.findall(content, "Recipient")) if a),
        keywords=tuple(keywords),
        classification=classification,
        originating_agency=_read_organization(r, r.find(content, "OriginatingAgency")),
        transferring_agency=_read_organization(r, r.find(content, "SubmissionAgency")),
        custodial_history=tuple(r.texts(content, "CustodialHistory/CustodialHistoryItem")),
        related=tuple(r.texts(content, "RelatedObjectReference/References/ExternalReference")),
        reply_to=r.text(content, "OriginatingSystemIdReplyTo"),
        files=_read_files(r, unit, package) if with_files else (),
        **_read_management(r, unit, rule_durations),  # type: ignore[arg-type]
    )


def _message_units(
    root: etree._Element, rule_durations: Mapping[str, str] | None, with_files: bool = True
) -> list[RecordMetadata]:
    namespace = etree.QName(root).namespace
    if namespace not in SEDA_READABLE:
        raise MetadataError(
            f"not a SEDA 2.x document (root element {etree.QName(root).localname!r} in namespace {namespace!r})"
        )
    r = _Reader(namespace)
    durations = rule_durations or {}
    name = etree.QName(root).localname
    if name == "ArchiveUnit":
        return [_unit_to_record(r, root, None, durations, None, with_files)]
    package = r.find(root, "DataObjectPackage")
    if package is None:
        raise MetadataError(f"SEDA {name} without a DataObjectPackage holds no ArchiveUnit")
    date_text = r.text(root, "Date")
    message_date = _parse_date(date_text)
    updated = message_date if isinstance(message_date, datetime) else None
    units = r.findall(package, "DescriptiveMetadata/ArchiveUnit")
    return [_unit_to_record(r, unit, package, durations, updated, with_files) for unit in units]


def parse_archive_unit(
    data: bytes | etree._Element, *, rule_durations: Mapping[str, str] | None = None, with_files: bool = True
) -> RecordMetadata:
    """Read a record's metadata document (or a bare SEDA ArchiveUnit) back into ``RecordMetadata``.

    ``rule_durations`` maps appraisal rule ids to their ISO 8601 durations (the rule referential), since
    SEDA carries only the rule id. The document is read through the safe parser; it is not validated
    here (call ``validate``), so that a sidecar from another tool can still be read. ``with_files=False``
    ignores the DataObjects (a sidecar's record is the scanned file beside it, not the files it lists).
    """
    root = parse_xml(data) if not isinstance(data, etree._Element) else data
    units = _message_units(root, rule_durations, with_files)
    if len(units) != 1:
        raise MetadataError(f"the document describes {len(units)} ArchiveUnits; a record has exactly one")
    return units[0]


def parse_archive_transfer(
    data: bytes, *, rule_durations: Mapping[str, str] | None = None, max_bytes: int = 256 * 1024 * 1024
) -> list[RecordMetadata]:
    """Every top-level ArchiveUnit of a transfer message, in document order."""
    return _message_units(parse_xml(data, max_bytes=max_bytes), rule_durations)
