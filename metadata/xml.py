"""The one XML parser of the project: every XML byte that comes from outside goes through ``parse_xml``.

Uploaded sidecars, transfer packages and stored documents are untrusted. The classic attacks on XML
parsers all live in the document type declaration (external entities reading ``file:///etc/passwd``,
entity expansion bombs, DTDs fetched from the network), and no format we read (SEDA, Dublin Core)
needs one, so a DOCTYPE is refused outright, before libxml2 has seen the document. What remains is
bounded: the size is checked first (a 50 MB document costs one ``len``), the depth is counted while
parsing and the parse stops at the first element over the limit, and libxml2 runs with
``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False`` as a second wall.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from metadata.errors import MetadataError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: libxml2 itself stops at 256 levels without ``huge_tree``; SEDA documents are ~10 levels deep.
DEFAULT_MAX_DEPTH = 256
_CHUNK = 64 * 1024
_PROLOG_SCAN = 1024 * 1024  # even, so a UTF-16 prefix decodes whole

#: Encodings a legitimate metadata document uses. Anything exotic (UTF-7, EBCDIC...) is refused because
#: it is the usual way to hide markup from byte-level checks.
_ALLOWED_ENCODINGS = frozenset(
    {
        "utf-8",
        "utf8",
        "utf-16",
        "utf-16le",
        "utf-16be",
        "us-ascii",
        "ascii",
        "iso-8859-1",
        "latin-1",
        "latin1",
        "iso-8859-15",
        "windows-1252",
        "cp1252",
    }
)
_DECLARED_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _prolog_text(data: bytes) -> str:
    """Decode the start of the document (only to look at its prolog): by BOM / first bytes, else Latin-1.

    Latin-1 maps every byte to a character, so for every ASCII-compatible encoding the markup of the
    prolog reads the same as in the real encoding. Only the first ``_PROLOG_SCAN`` bytes are decoded;
    a prolog padded beyond that still meets the post-parse DOCTYPE check.
    """
    data = data[:_PROLOG_SCAN]
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or data[:4] in (b"\x00\x00\x00<", b"<\x00\x00\x00"):
        raise MetadataError("UTF-32 XML is not accepted; use UTF-8")
    if data.startswith(codecs.BOM_UTF16_LE) or data[:2] == b"<\x00":
        return data.decode("utf-16-le", errors="replace").lstrip("\ufeff")
    if data.startswith(codecs.BOM_UTF16_BE) or data[:2] == b"\x00<":
        return data.decode("utf-16-be", errors="replace").lstrip("\ufeff")
    return data.decode("latin-1").removeprefix("\xef\xbb\xbf")


def _check_prolog(data: bytes) -> None:
    """Refuse a DOCTYPE and exotic encodings by reading the prolog (before the root element) only.

    Reading only the prolog means a "<!DOCTYPE" inside a comment or CDATA of the body is not mistaken
    for one; the post-parse check in ``parse_xml`` covers anything this scan would miss.
    """
    text = _prolog_text(data)
    declared = _DECLARED_ENCODING.match(text)
    if declared and declared.group(1).lower() not in _ALLOWED_ENCODINGS:
        raise MetadataError(f"XML encoding {declared.group(1)!r} is not accepted; use UTF-8")
    pos, end = 0, len(text)
    while pos < end:
        ch = text[pos]
        if ch in " \t\r\n":
            pos += 1
        elif text.startswith("<?", pos):
            close = text.find("?>", pos)
            pos = end if close < 0 else close + 2
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos)
            pos = end if close < 0 else close + 3
        elif text.startswith("<!", pos):
            raise MetadataError(
                "XML with a DOCTYPE is refused: document type declarations can define entities"
                " (external entity / entity expansion attacks) and are never needed here"
            )
        else:
            return  # the root element (or garbage that libxml2 will report)


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH) -> etree._Element:
    """Parse untrusted XML bytes and return the root element, or raise ``MetadataError`` (one line).

    Comments and processing instructions are dropped: nothing we read needs them and they would
    otherwise survive into documents we write back.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_xml takes bytes (let the XML declare its own encoding)")
    data = bytes(data)
    if len(data) > max_bytes:
        raise MetadataError(f"XML document too large: {len(data)} bytes, the limit is {max_bytes}")
    if not data.strip():
        raise MetadataError("empty XML document")
    _check_prolog(data)

    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    depth = 0
    try:
        for offset in range(0, len(data), _CHUNK):
            parser.feed(data[offset : offset + _CHUNK])
            for event, element in parser.read_events():
                if event == "end":
                    depth -= 1
                    continue
                depth += 1
                if depth > max_depth:
                    raise MetadataError(f"XML nested deeper than {max_depth} elements")
                if depth == 1:
                    docinfo = element.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise MetadataError("XML with a DOCTYPE is refused (entity and DTD attacks)")
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "syntax error"
        if "depth" in message.lower():
            raise MetadataError(f"XML nested deeper than {min(max_depth, 256)} elements") from None
        raise MetadataError(f"malformed XML: {message}") from None
    if root is None:  # pragma: no cover - close() raises on an empty document
        raise MetadataError("empty XML document")
    return root


def to_bytes(root: etree._Element) -> bytes:
    """Serialise a document the way every builder of this package does (UTF-8, declared, indented)."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
