"""Letter templates (DOCX and ODT) and their placeholders: found, checked and filled without ever evaluating.

A placeholder is a plain dotted field name between double braces, ``{{ record.reference }}``, taken from a
fixed list (``FIELDS``). Nothing is handed to a template engine: the text is matched with one regular
expression and the value substituted as text. Anything else that looks like template syntax (an expression,
a call, a filter, ``{% … %}`` blocks, macros, comments, an unclosed ``{{``) refuses the whole template, at
publication and again at rendering, naming what was found.

Word and LibreOffice cut text into runs (``w:r``/``w:t``) and spans (``text:span``) wherever formatting,
spell-checking or editing history says so, so one placeholder is often split across several. Each paragraph's
text is therefore read across its runs, matched, and the replacement written into the first run of the match
(keeping its formatting) while the rest of the match is removed from the following runs.

The logo: a picture named, titled or described "logo" in the template is replaced by the commune's logo,
keeping the picture's width and adapting its height to the logo's proportions.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lxml import etree
from PIL import Image, UnidentifiedImageError

from dms import zip_guard
from dms.errors import BadInput
from dms.zip_guard import ZipLimits

#: Every field a placeholder may name. The whole list, documented in docs/library.md.
FIELDS: dict[str, str] = {
    "record.reference": "registration number of the letter answered",
    "record.subject": "its subject",
    "record.date": "its date of registration",
    "record.received_date": "its date of receipt",
    "record.sent_date": "the date the sender gave it",
    "record.external_reference": "the sender's reference",
    "recipient.name": "who the reply goes to (the letter's sender): full name",
    "recipient.first_name": "first name",
    "recipient.last_name": "last name",
    "recipient.title": "role title (a position)",
    "recipient.street": "street and number",
    "recipient.postal_code": "postal code",
    "recipient.city": "city",
    "recipient.country": "country",
    "recipient.email": "e-mail",
    "commune.name": "the commune's name (branding)",
    "commune.street": "its street and number",
    "commune.postal_code": "its postal code",
    "commune.city": "its city",
    "commune.phone": "its phone",
    "commune.email": "its e-mail",
    "commune.website": "its website",
    "commune.footer": "the footer line",
    "commune.signatory1_name": "first signatory's name",
    "commune.signatory1_title": "first signatory's title",
    "commune.signatory2_name": "second signatory's name",
    "commune.signatory2_title": "second signatory's title",
    "reply.date": "today's date, in words",
    "reply.subject": "the reply's subject",
    "service.name": "the treating service of the letter answered",
}

DOCX = "docx"
ODT = "odt"
MIME = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ODT: "application/vnd.oasis.opendocument.text",
}
ODT_MIMES = ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template")

MAX_MEMBERS = 2000
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_XML_PART = 30 * 1024 * 1024

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_FORBIDDEN = (("{%", "a {% … %} block"), ("%}", "a {% … %} block"), ("{#", "a {# … #} comment"),
              ("{{", "an unclosed {{"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
XLINK = "http://www.w3.org/1999/xlink"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


@dataclass
class TemplateInfo:
    format: str
    placeholders: list[str] = field(default_factory=list)

    @property
    def mime(self) -> str:
        return MIME[self.format]


# ------------------------------------------------------------------------------------------- package


LIMITS = ZipLimits(members=MAX_MEMBERS, total_bytes=MAX_UNPACKED, ratio=MAX_RATIO, refusal="template refused",
                   container="package")


def _members(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The package opened with the same limits as any upload: member count, unpacked size, ratio, names."""
    archive = zip_guard.open_zip(data, "a letter template must be a DOCX or ODT file (not a valid package)")
    try:
        return archive, list(zip_guard.checked_members(archive, LIMITS).values())
    except BaseException:
        archive.close()
        raise


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    return zip_guard.read_member(archive, info, LIMITS)


def detect_format(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if "word/document.xml" in names:
        return DOCX
    if "mimetype" in names and "content.xml" in names:
        mimetype = _read(archive, archive.getinfo("mimetype")).decode("ascii", "replace").strip()
        if mimetype in ODT_MIMES:
            return ODT
    raise BadInput("a letter template must be a DOCX or ODT text document")


def _text_parts(fmt: str, names: list[str]) -> list[str]:
    if fmt == ODT:
        return [n for n in ("content.xml", "styles.xml") if n in names]
    pattern = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
    return [n for n in names if pattern.match(n)]


def _parse(name: str, data: bytes) -> etree._Element:
    if len(data) > MAX_XML_PART:
        raise BadInput(f"template refused: {name} is larger than {MAX_XML_PART} bytes")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadInput(f"template refused: {name} is not well-formed XML: {exc}") from None


# -------------------------------------------------------------------------------------------- paragraphs


Slot = tuple[etree._Element, str]  # (element, "text" or "tail")


def _docx_paragraphs(root: etree._Element) -> Iterator[list[Slot]]:
    """Each paragraph's ``w:t`` runs in order; a paragraph nested in a text box is a paragraph of its own."""
    p_tag, t_tag = f"{{{W}}}p", f"{{{W}}}t"
    for paragraph in root.iter(p_tag):
        slots = []
        for t in paragraph.iter(t_tag):
            owner = next(t.iterancestors(p_tag), None)
            if owner is paragraph:
                slots.append((t, "text"))
        yield slots


def _odt_paragraphs(root: etree._Element) -> Iterator[list[Slot]]:
    """Each ``text:p``/``text:h``: its text and that of its spans, links… in order, nested paragraphs apart."""
    tags = (f"{{{TEXT}}}p", f"{{{TEXT}}}h")
    for paragraph in root.iter(*tags):
        slots: list[Slot] = []

        def walk(element: etree._Element, slots: list[Slot] = slots) -> None:
            slots.append((element, "text"))
            for child in element:
                if not isinstance(child.tag, str):  # comments, processing instructions
                    slots.append((child, "tail"))
                    continue
                if child.tag not in tags:
                    walk(child)
                slots.append((child, "tail"))

        walk(paragraph)
        yield slots


def _get(slot: Slot) -> str:
    element, attr = slot
    return (element.text if attr == "text" else element.tail) or ""


def _set(slot: Slot, value: str) -> None:
    element, attr = slot
    if attr == "text":
        element.text = value
        if element.tag == f"{{{W}}}t":
            element.set(XML_SPACE, "preserve")
    else:
        element.tail = value


def check_text(text: str, where: str = "template") -> list[str]:
    """The field names of the placeholders in ``text``; BadInput for anything that is not one of them."""
    names = []
    for match in _BRACES.finditer(text):
        inner = match.group(1).strip()
        if not _NAME.fullmatch(inner):
            shown = match.group(0) if len(match.group(0)) <= 80 else match.group(0)[:77] + "…"
            raise BadInput(f"{where} refused: placeholder {shown} is not a plain field name "
                           "(expressions, calls, filters and macros are not allowed)", placeholder=shown)
        if inner not in FIELDS:
            raise BadInput(f"{where} refused: unknown placeholder field {inner!r} (see docs/library.md)",
                           placeholder=inner)
        names.append(inner)
    rest = _BRACES.sub("", text)
    for marker, what in _FORBIDDEN:
        if marker in rest:
            raise BadInput(f"{where} refused: {what} is not allowed (only {{{{ field.name }}}} placeholders)",
                           placeholder=marker)
    return names


def _paragraphs(fmt: str) -> Callable[[etree._Element], Iterator[list[Slot]]]:
    return _docx_paragraphs if fmt == DOCX else _odt_paragraphs


def inspect(data: bytes) -> TemplateInfo:
    """The template's format and placeholder fields; BadInput for a package or a placeholder that is refused."""
    archive, _members_ = _members(data)
    with archive:
        fmt = detect_format(archive)
        names: list[str] = []
        for part in _text_parts(fmt, archive.namelist()):
            root = _parse(part, _read(archive, archive.getinfo(part)))
            for slots in _paragraphs(fmt)(root):
                names += check_text("".join(_get(s) for s in slots))
    return TemplateInfo(format=fmt, placeholders=sorted(set(names)))


def _fill_paragraph(slots: list[Slot], values: dict[str, str]) -> None:
    texts = [_get(s) for s in slots]
    full = "".join(texts)
    if "{{" not in full:
        return
    check_text(full)
    starts, lengths = [], [len(t) for t in texts]
    offset = 0
    for length in lengths:
        starts.append(offset)
        offset += length

    def slot_at(position: int) -> int:
        """The slot holding the character at ``position`` (empty slots hold none)."""
        return next(i for i, start in enumerate(starts) if start <= position < start + lengths[i])

    for match in reversed(list(_BRACES.finditer(full))):
        begin, end = match.span()
        value = values.get(match.group(1).strip(), "")
        first, last = slot_at(begin), slot_at(end - 1)
        if first == last:
            local = begin - starts[first]
            texts[first] = texts[first][:local] + value + texts[first][local + end - begin:]
        else:
            texts[first] = texts[first][: begin - starts[first]] + value
            for k in range(first + 1, last):
                texts[k] = ""
            texts[last] = texts[last][end - starts[last]:]
    for slot, text in zip(slots, texts, strict=True):
        if text != _get(slot):
            _set(slot, text)


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    text = ", ".join(line.strip() for line in text.splitlines() if line.strip())
    return _CONTROL.sub("", text)


# ------------------------------------------------------------------------------------------------- logo


def _image_as(logo: bytes, name: str) -> tuple[bytes, tuple[int, int]]:
    """The logo re-encoded in the format of the picture it replaces (by its member name)."""
    try:
        image = Image.open(io.BytesIO(logo))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadInput(f"logo is not a usable image: {exc}") from None
    suffix = PurePosixPath(name).suffix.lower()
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".bmp": "BMP"}.get(suffix, "PNG")
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue(), image.size


def _is_logo(*labels: str | None) -> bool:
    return any((label or "").strip().lower().startswith("logo") for label in labels)


def _docx_logo_targets(root: etree._Element, rels: etree._Element | None, part: str) -> list[tuple[str, list]]:
    """(package member of the picture, extent elements to resize) for each picture named "logo"."""
    if rels is None:
        return []
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PR}}}Relationship")}
    found = []
    for doc_pr in root.iter(f"{{{WP}}}docPr"):
        if not _is_logo(doc_pr.get("name"), doc_pr.get("descr"), doc_pr.get("title")):
            continue
        drawing = doc_pr.getparent()
        blip = next(drawing.iter(f"{{{A}}}blip"), None)
        target = targets.get(blip.get(f"{{{R}}}embed")) if blip is not None else None
        if not target or "://" in target:
            continue
        member = str(PurePosixPath(part).parent / target) if not target.startswith("/") else target.lstrip("/")
        member = str(PurePosixPath(*[p for p in PurePosixPath(member).parts]))
        extents = [e for e in drawing.iter(f"{{{WP}}}extent", f"{{{A}}}ext")]
        found.append((_normalise(member), extents))
    return found


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _odt_logo_targets(root: etree._Element) -> list[tuple[str, list]]:
    found = []
    for frame in root.iter(f"{{{DRAW}}}frame"):
        title = frame.find(f"{{{SVG}}}title")
        desc = frame.find(f"{{{SVG}}}desc")
        if not _is_logo(frame.get(f"{{{DRAW}}}name"), title.text if title is not None else None,
                        desc.text if desc is not None else None):
            continue
        image = frame.find(f"{{{DRAW}}}image")
        href = image.get(f"{{{XLINK}}}href") if image is not None else None
        if href and "://" not in href:
            found.append((_normalise(href), [frame]))
    return found


_LENGTH = re.compile(r"^([0-9.]+)([a-z%]*)$")


def _resize(extents: list, size: tuple[int, int], fmt: str) -> None:
    width, height = size
    if not width or not height:
        return
    for element in extents:
        if fmt == DOCX:
            cx = element.get("cx")
            if cx and cx.isdigit():
                element.set("cy", str(round(int(cx) * height / width)))
        else:
            match = _LENGTH.match(element.get(f"{{{SVG}}}width") or "")
            if match:
                value = float(match.group(1)) * height / width
                element.set(f"{{{SVG}}}height", f"{value:.3f}{match.group(2)}")


# ------------------------------------------------------------------------------------------------- fill


@dataclass
class Filled:
    data: bytes
    format: str
    text: str  # the letter's text, paragraph by paragraph (the record's extracted text)
    logo_replaced: int = 0


def fill(data: bytes, values: dict[str, object], *, logo: bytes | None = None) -> Filled:
    """The template with every placeholder replaced by its value (missing values: empty) and the pictures
    named "logo" replaced by ``logo``; the template is checked again first, as at publication."""
    inspect(data)
    clean = {name: _clean(values.get(name)) for name in FIELDS}
    archive, members = _members(data)
    replaced: dict[str, bytes] = {}
    texts: list[str] = []
    logos = 0
    with archive:
        fmt = detect_format(archive)
        names = archive.namelist()
        for part in _text_parts(fmt, names):
            root = _parse(part, _read(archive, archive.getinfo(part)))
            for slots in _paragraphs(fmt)(root):
                _fill_paragraph(slots, clean)
                if part in ("word/document.xml", "content.xml"):
                    line = "".join(_get(s) for s in slots).strip()
                    if line:
                        texts.append(line)
            if logo is not None:
                if fmt == DOCX:
                    rels_name = str(PurePosixPath(part).parent / "_rels" / (PurePosixPath(part).name + ".rels"))
                    rels = _parse(rels_name, _read(archive, archive.getinfo(rels_name))) if rels_name in names \
                        else None
                    targets = _docx_logo_targets(root, rels, part)
                else:
                    targets = _odt_logo_targets(root)
                for member, extents in targets:
                    if member not in names:
                        continue
                    image, size = _image_as(logo, member)
                    replaced[member] = image
                    _resize(extents, size, fmt)
                    logos += 1
            replaced[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in members:  # same order and compression: an ODT's "mimetype" stays first and stored
                body = replaced[info.filename] if info.filename in replaced else _read(archive, info)
                target.writestr(info, body)
    return Filled(data=out.getvalue(), format=fmt, text="\n".join(texts), logo_replaced=logos)
