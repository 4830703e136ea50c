"""Offline validation against the official SEDA 2.3 schemas.

The schemas import ``http://www.w3.org/2001/xml.xsd`` and ``http://www.w3.org/1999/xlink.xsd``. There
is no network in production or CI (and there must be no dependency on w3.org being up), so a resolver
maps those two, and any ``xml.xsd``/``xlink.xsd`` location, to the copies kept beside the SEDA files,
and the parser has ``no_network=True``: an unmapped URL fails instead of being fetched. Loading the
schema set takes tens of milliseconds, so it is compiled once per schema directory and cached.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from lxml import etree

from metadata.errors import MetadataError, MetadataInvalid
from metadata.namespaces import SEDA
from metadata.xml import parse_xml, to_bytes

ENV_SCHEMA_DIR = "DMS_SEDA_SCHEMA_DIR"
MAIN_SCHEMA = "seda-2.3-main.xsd"
_W3C_SCHEMAS = {
    "http://www.w3.org/2001/xml.xsd": "xml.xsd",
    "https://www.w3.org/2001/xml.xsd": "xml.xsd",
    "http://www.w3.org/1999/xlink.xsd": "xlink.xsd",
    "https://www.w3.org/1999/xlink.xsd": "xlink.xsd",
}
#: Messages (a transfer of many records) may be larger than a single record's document.
MAX_VALIDATED_BYTES = 256 * 1024 * 1024
_SHOWN_ERRORS = 3


def default_schema_dir() -> Path:
    """``$DMS_SEDA_SCHEMA_DIR``, else ``../shared/standards/seda-2.3`` beside the repository."""
    configured = os.environ.get(ENV_SCHEMA_DIR)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared/standards/seda-2.3"


class _LocalSchemaResolver(etree.Resolver):
    """Serve the W3C schemas from the schema directory and refuse anything outside it."""

    def __init__(self, schema_dir: Path) -> None:
        super().__init__()
        self.schema_dir = schema_dir

    def resolve(self, system_url, public_id, context):  # lxml's signature
        url = system_url or ""
        name = _W3C_SCHEMAS.get(url) or (url.rsplit("/", 1)[-1] if url.endswith(("/xml.xsd", "/xlink.xsd")) else None)
        if name:
            return self.resolve_filename(str(self.schema_dir / name), context)
        local = Path(url.removeprefix("file://"))
        if "://" in url.removeprefix("file://") or not local.resolve().is_relative_to(self.schema_dir):
            raise MetadataError(f"schema import outside the schema directory refused: {url}")
        return None  # a sibling SEDA file: let libxml2 read it


class _Schema:
    """A compiled schema plus a lock: an ``XMLSchema``'s error log is shared state."""

    def __init__(self, schema_dir: Path) -> None:
        main = schema_dir / MAIN_SCHEMA
        if not main.is_file():
            raise MetadataError(
                f"SEDA 2.3 schemas not found in {schema_dir} (set {ENV_SCHEMA_DIR} to the folder holding {MAIN_SCHEMA})"
            )
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        parser.resolvers.add(_LocalSchemaResolver(schema_dir))
        try:
            self.schema = etree.XMLSchema(etree.parse(str(main), parser))
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            raise MetadataError(f"cannot load the SEDA schemas from {schema_dir}: {exc}") from None
        self.lock = threading.Lock()


_compiled: dict[Path, _Schema] = {}
_compiling = threading.Lock()


def _load(schema_dir: Path) -> _Schema:
    """Compiled once per folder, by one thread while the others wait: libxml2 compiling the same schemas in two
    threads at once fails ("Internal error: xmlSchemaPValAttrNodeValue"), as concurrent registrations on a fresh
    process showed."""
    compiled = _compiled.get(schema_dir)
    if compiled is None:
        with _compiling:
            compiled = _compiled.get(schema_dir)
            if compiled is None:
                compiled = _compiled[schema_dir] = _Schema(schema_dir)
    return compiled


def load_schema(schema_dir: Path | None = None) -> etree.XMLSchema:
    """The compiled SEDA 2.3 schema for ``schema_dir`` (default: ``default_schema_dir()``), cached."""
    return _load((schema_dir or default_schema_dir()).resolve()).schema


#: Elements typed xsd:IDREF in the SEDA 2.3 schemas (plus ``Relationship/@target``). libxml2's XSD
#: validator checks that IDs are unique but not that an IDREF points at an existing ID, so we do.
_IDREF_ELEMENTS = (
    "ArchiveUnitRefId",
    "DataObjectReferenceId",
    "DataObjectGroupReferenceId",
    "SignedDocumentReferenceId",
)
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _dangling_references(root: etree._Element) -> tuple[str, ...]:
    ids = {value for element in root.iter() for value in (element.get("id"), element.get(_XML_ID)) if value}
    errors = []
    for element in root.iter(*(f"{{{SEDA}}}{name}" for name in _IDREF_ELEMENTS)):
        target = (element.text or "").strip()
        if target not in ids:
            name = etree.QName(element).localname
            errors.append(f"line {element.sourceline}: Element '{name}': no element has the id '{target}'")
    for element in root.iter(f"{{{SEDA}}}Relationship"):
        if element.get("target") not in ids:
            errors.append(
                f"line {element.sourceline}: Element 'Relationship': no element has the id '{element.get('target')}'"
            )
    return tuple(errors)


def validate(doc: etree._Element | etree._ElementTree | bytes, schema_dir: Path | None = None) -> None:
    """Raise ``MetadataInvalid`` unless ``doc`` is a valid SEDA 2.3 message whose references resolve.

    A tree built in memory has no line numbers, so it is serialised and re-read first: the error then
    says "line 42: Element 'SentDate': '2024-13-01' is not a valid value..." about the bytes a user
    will actually look at.
    """
    if isinstance(doc, etree._ElementTree):
        doc = doc.getroot()
    data = to_bytes(doc) if isinstance(doc, etree._Element) else doc
    root = parse_xml(data, max_bytes=MAX_VALIDATED_BYTES)
    compiled = _load((schema_dir or default_schema_dir()).resolve())
    with compiled.lock:
        valid = compiled.schema.validate(root)
        # "{fr:gouv:...:v2.3}SentDate" -> "SentDate": the namespace is the same everywhere and unreadable.
        errors = (
            ()
            if valid
            else tuple(f"line {e.line}: {e.message.replace('{' + SEDA + '}', '')}" for e in compiled.schema.error_log)
        )
    if valid:
        errors = _dangling_references(root)
        if not errors:
            return
    shown = "; ".join(errors[:_SHOWN_ERRORS])
    more = f" (and {len(errors) - _SHOWN_ERRORS} more)" if len(errors) > _SHOWN_ERRORS else ""
    raise MetadataInvalid(f"not valid SEDA 2.3: {shown}{more}", errors)
