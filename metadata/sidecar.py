"""Intake sidecars: an XML file beside a scanned document that fills the record's fields.

A sidecar is SEDA (2.1, 2.2 or 2.3: a one-unit ArchiveTransfer or a bare ArchiveUnit, as RESIP and
Vitam tools write them) or Dublin Core; the format is told by the root element's namespace, never by
the file name. Anything else is refused with a message that says what was found.
"""

from __future__ import annotations

from lxml import etree

from metadata.dublin_core import is_dublin_core, parse_dublin_core
from metadata.errors import MetadataError
from metadata.model import RecordMetadata
from metadata.namespaces import SEDA_READABLE
from metadata.seda import parse_archive_unit
from metadata.xml import DEFAULT_MAX_BYTES, parse_xml

#: A sidecar describes one document: a megabyte is already generous.
MAX_SIDECAR_BYTES = min(DEFAULT_MAX_BYTES, 1024 * 1024)


def sidecar_format(root: etree._Element) -> str:
    """``"seda"`` or ``"dublin-core"``, or ``MetadataError`` naming the unexpected root."""
    qname = etree.QName(root)
    if qname.namespace in SEDA_READABLE:
        return "seda"
    if is_dublin_core(root):
        return "dublin-core"
    where = f"namespace {qname.namespace}" if qname.namespace else "no namespace"
    raise MetadataError(
        f"unsupported sidecar: root element <{qname.localname}> in {where}; expected SEDA 2.x or Dublin Core"
    )


def parse_sidecar(data: bytes, *, max_bytes: int = MAX_SIDECAR_BYTES) -> RecordMetadata:
    """The record fields a sidecar gives. Its ``identifier``, if any, is the sender's, not ours:
    the caller keeps the record's own identifier and takes the descriptive fields. Files listed in a
    SEDA sidecar are ignored: the record's file is the scanned document the sidecar sits beside."""
    root = parse_xml(data, max_bytes=max_bytes)
    if sidecar_format(root) == "seda":
        return parse_archive_unit(root, with_files=False)
    return parse_dublin_core(root)
