"""Dublin Core: an export crosswalk from a record, and a reader for Dublin Core sidecars.

SEDA is the record's metadata of reference; Dublin Core is what other systems (OAI-PMH harvesters,
portals, a user's own tools) understand. The export is a ``<metadata>`` container with DCMI Metadata
Terms in the ``dcterms:`` namespace, encoding schemes given with ``xsi:type`` as the DCMI XML
guidelines do (``dcterms:URI``, ``dcterms:W3CDTF``, ``dcterms:RFC5646``, ``dcterms:IMT``).

A thesaurus concept is written as its label followed by its URI (``xsi:type="dcterms:URI"``) in the
next element of the same term, and read back in pairs the same way. The crosswalk is lossy by nature
(rules, file-level detail, organisations' identifiers have no DC term); docs/metadata.md has the table.
"""

from __future__ import annotations

from datetime import date, datetime

from lxml import etree

from metadata.errors import MetadataError
from metadata.model import Agent, DateValue, Keyword, RecordMetadata
from metadata.namespaces import DC, DCTERMS, OAI_DC, XML, XSI, q
from metadata.xml import parse_xml, to_bytes

_NSMAP = {"dc": DC, "dcterms": DCTERMS, "xsi": XSI}
_UUID_URN = "urn:uuid:"
#: ISO 639-2 codes people put in ``dc:language`` for the languages of the region, to the 639-1 we keep.
_LANGUAGE_639_2 = {"fre": "fr", "fra": "fr", "dut": "nl", "nld": "nl", "ger": "de", "deu": "de", "eng": "en"}


# ---------------------------------------------------------------------------------------------- export


def _term(parent: etree._Element, name: str, text: str, *, scheme: str | None = None, lang: str | None = None) -> None:
    element = etree.SubElement(parent, q(DCTERMS, name))
    if scheme:
        element.set(q(XSI, "type"), f"dcterms:{scheme}")
    if lang:
        element.set(q(XML, "lang"), lang)
    try:
        element.text = text
    except ValueError:
        raise MetadataError(f"dcterms:{name}: the text holds characters XML cannot carry") from None


def _creator(meta: RecordMetadata) -> str | None:
    """The sender wrote an incoming letter; an outgoing or internal one without sender is the commune's."""
    if meta.sender:
        return meta.sender.display_name
    if meta.register in ("outgoing", "internal") and meta.originating_agency:
        return meta.originating_agency.name or meta.originating_agency.identifier
    return None


def dublin_core_element(meta: RecordMetadata) -> etree._Element:
    """The Dublin Core ``<metadata>`` element of a record."""
    root = etree.Element("metadata", nsmap=_NSMAP)
    if meta.registration_number:
        _term(root, "identifier", meta.registration_number)
    if meta.identifier:
        _term(root, "identifier", f"{_UUID_URN}{meta.identifier}", scheme="URI")
    if meta.title:
        _term(root, "title", meta.title, lang=meta.language)
    if meta.description:
        _term(root, "description", meta.description, lang=meta.language)
    if creator := _creator(meta):
        _term(root, "creator", creator)
    for agent in meta.addressees:
        _term(root, "audience", agent.display_name)
    if meta.originating_agency:
        _term(root, "publisher", meta.originating_agency.name or meta.originating_agency.identifier)
    for name, value in (
        ("date", meta.sent),
        ("created", meta.created),
        ("dateSubmitted", meta.received),
        ("dateAccepted", meta.registered),
        ("modified", meta.updated),
    ):
        if value is not None:
            _term(root, name, value.isoformat(), scheme="W3CDTF")
    if meta.document_type:
        _term(root, "type", meta.document_type, lang=meta.language)
    _term(root, "type", "Text", scheme="DCMIType")
    _term(root, "language", meta.language, scheme="RFC5646")
    for kw in meta.keywords:
        _term(root, "subject", kw.label, lang=meta.language)
        if kw.uri:
            _term(root, "subject", kw.uri, scheme="URI")
    if meta.classification:
        cls = meta.classification
        _term(root, "isPartOf", " ".join(p for p in (cls.notation, cls.label) if p), lang=meta.language)
        if cls.uri:
            _term(root, "isPartOf", cls.uri, scheme="URI")
    for mime in dict.fromkeys(f.mime for f in meta.files if f.mime):
        _term(root, "format", mime, scheme="IMT")
    pages = sum(f.pages or 0 for f in meta.files if f.use == "BinaryMaster")
    if pages:
        _term(root, "extent", f"{pages} page{'s' if pages > 1 else ''}")
    if meta.reply_to:
        _term(root, "references", meta.reply_to)
    for related in meta.related:
        _term(root, "relation", related)
    return root


def to_dublin_core(meta: RecordMetadata) -> bytes:
    """The Dublin Core document of a record (UTF-8 bytes)."""
    return to_bytes(dublin_core_element(meta))


# ---------------------------------------------------------------------------------------------- import


def is_dublin_core(root: etree._Element) -> bool:
    """OAI-DC, or any container whose children are Dublin Core elements or terms."""
    if etree.QName(root).namespace in (OAI_DC, DC, DCTERMS):
        return True
    return any(etree.QName(child).namespace in (DC, DCTERMS) for child in root if isinstance(child.tag, str))


def _scheme(element: etree._Element) -> str | None:
    """The encoding scheme of ``xsi:type="dcterms:URI"``, whatever prefix the document bound."""
    value = element.get(q(XSI, "type"))
    if not value:
        return None
    prefix, _, local = value.rpartition(":")
    return local if element.nsmap.get(prefix or None) == DCTERMS else None


def _date(text: str) -> DateValue | None:
    text = text.strip()
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None  # "2024" or "mars 2024": not a day, leave the field empty rather than guess


def _language(text: str) -> str:
    code = text.strip()
    return _LANGUAGE_639_2.get(code.lower(), code)


def parse_dublin_core(data: bytes | etree._Element) -> RecordMetadata:
    """Read a Dublin Core sidecar (ours, OAI-DC, or any container of dc:/dcterms: elements)."""
    root = parse_xml(data) if not isinstance(data, etree._Element) else data
    if not is_dublin_core(root):
        raise MetadataError("not a Dublin Core document: no dc: or dcterms: element")
    terms: list[tuple[str, str, str | None]] = []
    for element in root:
        if not isinstance(element.tag, str) or etree.QName(element).namespace not in (DC, DCTERMS):
            continue
        text = (element.text or "").strip()
        if text:
            terms.append((etree.QName(element).localname, text, _scheme(element)))

    fields: dict[str, object] = {}
    keywords: list[Keyword] = []
    addressees: list[Agent] = []
    related: list[str] = []
    dates = {
        "date": "sent",
        "issued": "sent",
        "created": "created",
        "dateSubmitted": "received",
        "dateAccepted": "registered",
        "modified": "updated",
    }
    for index, (name, text, scheme) in enumerate(terms):
        following = terms[index + 1] if index + 1 < len(terms) else None
        if name == "identifier":
            if text.lower().startswith(_UUID_URN):
                fields.setdefault("identifier", text[len(_UUID_URN) :])
            elif scheme != "URI":
                fields.setdefault("registration_number", text)
        elif name == "title":
            fields.setdefault("title", text)
        elif name in ("description", "abstract"):
            fields.setdefault("description", text)
        elif name == "creator":
            fields.setdefault("sender", Agent(name=text))
        elif name == "audience":
            addressees.append(Agent(name=text))
        elif name in dates and (value := _date(text)) is not None:
            if name == "modified" and not isinstance(value, datetime):
                continue
            fields.setdefault(dates[name], value)
        elif name == "type" and scheme != "DCMIType":
            fields.setdefault("document_type", text)
        elif name == "language":
            fields.setdefault("language", _language(text))
        elif name == "subject" and scheme != "URI":
            paired = following and following[0] == "subject" and following[2] == "URI"
            keywords.append(Keyword(text, following[1] if paired else None))
        elif name == "subject" and not (index and terms[index - 1][0] == "subject" and terms[index - 1][2] != "URI"):
            keywords.append(Keyword(text, text))  # a bare concept URI, no label given
        elif name == "references":
            fields.setdefault("reply_to", text)
        elif name == "relation":
            related.append(text)
    try:
        return RecordMetadata(keywords=tuple(keywords), addressees=tuple(addressees), related=tuple(related), **fields)  # type: ignore[arg-type]
    except MetadataError as exc:
        raise MetadataError(f"Dublin Core sidecar: {exc}") from None
