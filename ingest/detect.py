"""What a file really is, from its bytes, and whether mail intake accepts it.

The name and the Content-Type of an upload are chosen by whoever sends it, so they are never trusted: the type
comes from libmagic (python-magic), refined where libmagic is known to be vague or wrong for office files.
Measured with libmagic 5.44 (Debian 12):

* OOXML: a DOCX written by python-docx is recognised, but the same package with its members in another order
  (or a PPTX written by Apache POI) comes out as ``application/octet-stream``, and a macro-enabled DOCM is
  reported as a plain DOCX. So every zip-based result is checked against the package's own declaration
  (``[Content_Types].xml``), which also tells macro-enabled files apart.
* ODF: recognised only when the ``mimetype`` member is first and stored uncompressed (odfpy and LibreOffice
  do that); otherwise ``application/zip``. The ``mimetype`` member settles it.
* Legacy Office (CDF/OLE2): ``application/msword``, ``application/vnd.ms-excel`` and
  ``application/vnd.ms-powerpoint`` come from the stream names (``WordDocument``, ``Workbook``…); a compound
  file with none of them is ``application/x-ole-storage`` (installers, thumbnail caches…) and is refused.
* E-mail: only messages whose first header is ``From:``, ``Received:`` or ``Return-Path:`` are
  ``message/rfc822``; one starting with ``MIME-Version:`` is ``text/plain``. A bounded look at the header
  block fixes that.

The container checks read the zip's central directory and at most two small members, with size caps, and
never extract anything to disk: a zip bomb costs at most a few hundred kilobytes of reading.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

import magic

__all__ = [
    "ALLOWED_MIME_TYPES",
    "UnsupportedType",
    "check_allowed",
    "detect_mime",
    "safe_filename",
]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
PPTM = "application/vnd.ms-powerpoint.presentation.macroEnabled.12"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"

#: What a registry clerk may register: scans, born-digital letters, office documents, e-mails, web pages.
ALLOWED_MIME_TYPES: frozenset[str] = frozenset(
    {
        "application/pdf",
        # scans and photos
        "image/png",
        "image/jpeg",
        "image/tiff",
        "image/gif",
        "image/webp",
        # office documents
        ODT,
        ODS,
        ODP,
        DOCX,
        XLSX,
        PPTX,
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-outlook",  # .msg, what Outlook saves a mail as
        "text/rtf",
        "application/rtf",
        # text, web, mail
        "text/plain",
        "text/csv",
        "text/html",
        "text/xml",
        "application/xml",
        "message/rfc822",
        "application/mbox",
    }
)

#: Reasons given in the refusal, so the clerk knows what to do rather than just "no".
_EXECUTABLES = frozenset(
    {
        "application/x-dosexec",
        "application/vnd.microsoft.portable-executable",
        "application/x-msdownload",
        "application/x-executable",
        "application/x-pie-executable",
        "application/x-sharedlib",
        "application/x-object",
        "application/x-coredump",
        "application/x-mach-binary",
        "application/x-elf",
        "application/x-msi",
        "application/java-archive",
        "application/x-java-applet",
        "application/vnd.android.package-archive",
        "application/x-iso9660-image",
        "application/vnd.debian.binary-package",
        "application/x-rpm",
    }
)
_ARCHIVES = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
        "application/x-7z-compressed",
        "application/x-rar",
        "application/vnd.rar",
        "application/x-tar",
        "application/x-lzip",
        "application/x-lzma",
        "application/x-compress",
        "application/x-cpio",
        "application/x-archive",
    }
)
_MACROS = frozenset({DOCM, XLSM, PPTM})

# The container checks only ever read this much.
MAX_ZIP_MEMBERS = 10_000
MAX_CONTENT_TYPES_BYTES = 1 << 20
MAX_ODF_MIMETYPE_BYTES = 128
MAIL_HEAD_BYTES = 16 * 1024

# Office packages are zips that the extractor unpacks: refuse the ones that would unpack to far more than
# any real letter (a zip bomb named .docx or .odt), before Tika ever sees them. The declared sizes are what
# a bomb inflates; a package lying about them still meets Tika's own write limit (10M characters).
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 16 * 1024 * 1024
ZIP_BOMB = "application/x-dms-zip-bomb"


class UnsupportedType(ValueError):
    """The file's detected type is not accepted for registration (the API answers 415)."""

    def __init__(self, mime: str, reason: str | None = None) -> None:
        self.mime = mime
        self.reason = reason
        detail = f" ({reason})" if reason else ""
        super().__init__(f"Type de fichier refusé : {mime}{detail}.")


def check_allowed(mime: str) -> None:
    """Raise :class:`UnsupportedType` unless ``mime`` (as :func:`detect_mime` gave it) may be registered."""
    if mime in ALLOWED_MIME_TYPES:
        return
    if mime in _EXECUTABLES:
        raise UnsupportedType(mime, "programme exécutable")
    if mime.startswith("text/x-") and mime not in ("text/x-mail", "text/x-vcard"):
        raise UnsupportedType(mime, "script ou code source")
    if mime in ("application/javascript", "text/javascript", "application/x-shellscript"):
        raise UnsupportedType(mime, "script ou code source")
    if mime in _ARCHIVES:
        raise UnsupportedType(mime, "archive : envoyez les documents qu'elle contient un par un")
    if mime in _MACROS:
        raise UnsupportedType(mime, "document avec macros : enregistrez-le sans macros")
    if mime == ZIP_BOMB:
        raise UnsupportedType("application/zip", "paquet compressé suspect : il se décompresserait démesurément")
    if mime in ("inode/x-empty", "application/x-empty"):
        raise UnsupportedType(mime, "fichier vide")
    if mime == "application/octet-stream":
        raise UnsupportedType(mime, "contenu non reconnu")
    raise UnsupportedType(mime, "format non pris en charge")


def detect_mime(path: Path) -> str:
    """The MIME type of the file at ``path``, from its content only (symlinks are not followed)."""
    detected = magic.from_file(str(path), mime=True)
    if detected in _ZIP_FAMILY or (detected == "application/octet-stream" and _starts_with(path, b"PK\x03\x04")):
        return _refine_zip(path, detected)
    if detected == "text/plain" and _looks_like_mail(path):
        return "message/rfc822"
    return detected


# --- zip containers ----------------------------------------------------------------------------------------

_ZIP_FAMILY = frozenset({"application/zip", DOCX, XLSX, PPTX, ODT, ODS, ODP}) | frozenset(
    {
        "application/vnd.oasis.opendocument.graphics",
        "application/vnd.oasis.opendocument.formula",
        "application/vnd.oasis.opendocument.text-template",
        "application/vnd.oasis.opendocument.spreadsheet-template",
        "application/vnd.oasis.opendocument.presentation-template",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
        "application/vnd.openxmlformats-officedocument.presentationml.template",
    }
)

# Main part content type declared in [Content_Types].xml -> the package's MIME type.
_OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.ms-word.document.macroEnabled.main+xml": DOCM,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template"
    ),
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml": (
        "application/vnd.ms-word.template.macroEnabled.12"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": XLSM,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template"
    ),
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "application/vnd.ms-excel.template.macroEnabled.12",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml": PPTM,
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow"
    ),
}
_MACRO_TWIN = {DOCX: DOCM, XLSX: XLSM, PPTX: PPTM}
_VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"


def _starts_with(path: Path, prefix: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(prefix)) == prefix


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """At most ``limit`` bytes of one member, whatever its header claims; None when it is larger."""
    if info.file_size > limit:
        return None
    with archive.open(info) as member:
        data = member.read(limit + 1)
    return data if len(data) <= limit else None


def _refine_zip(path: Path, detected: str) -> str:
    """The type the package declares about itself; ``application/zip`` for a plain (refused) archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return "application/zip"
            if _inflates_too_much(members):
                return ZIP_BOMB
            by_name = {info.filename: info for info in members}
            if "mimetype" in by_name:
                odf = _odf_type(archive, by_name["mimetype"])
                if odf:
                    return odf
            if "[Content_Types].xml" in by_name:
                ooxml = _ooxml_type(archive, by_name["[Content_Types].xml"], by_name)
                if ooxml:
                    return ooxml
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        # An office package we cannot open is not something we can vouch for.
        return "application/octet-stream"
    return "application/zip" if detected in _ZIP_FAMILY or detected == "application/octet-stream" else detected


def _inflates_too_much(members: list[zipfile.ZipInfo]) -> bool:
    unpacked = sum(info.file_size for info in members)
    packed = sum(info.compress_size for info in members) or 1
    return unpacked > MAX_UNPACKED_BYTES or (unpacked > RATIO_FLOOR_BYTES and unpacked / packed > MAX_RATIO)


def _odf_type(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    data = _read_member(archive, info, MAX_ODF_MIMETYPE_BYTES)
    if data is None:
        return None
    declared = data.decode("ascii", "replace").strip()
    if re.fullmatch(r"application/vnd\.oasis\.opendocument\.[a-z-]+", declared):
        return declared
    return None


def _ooxml_type(archive: zipfile.ZipFile, info: zipfile.ZipInfo, by_name: dict[str, zipfile.ZipInfo]) -> str | None:
    from lxml import etree

    data = _read_member(archive, info, MAX_CONTENT_TYPES_BYTES)
    if data is None:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        return None
    declared = {
        (element.get("ContentType") or "").strip()
        for element in root
        if isinstance(element.tag, str) and etree.QName(element).localname in ("Override", "Default")
    }
    mime = next((_OOXML_MAIN_PARTS[ct] for ct in declared if ct in _OOXML_MAIN_PARTS), None)
    if mime is None:
        return None
    # A VBA project smuggled into a package that calls itself macro-free is still a macro document.
    has_vba = _VBA_CONTENT_TYPE in declared or any(name.lower().endswith("vbaproject.bin") for name in by_name)
    return _MACRO_TWIN.get(mime, mime) if has_vba else mime


# --- e-mail that libmagic calls text -------------------------------------------------------------------------

_HEADER = re.compile(rb"^([!-9;-~]+):[ \t]?")
_MAIL_HEADERS = {b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"mime-version", b"received"}


def _looks_like_mail(path: Path) -> bool:
    """A header block (``Name: value`` lines up to a blank line) with From: and at least two mail headers."""
    with path.open("rb") as handle:
        head = handle.read(MAIL_HEAD_BYTES)
    names: set[bytes] = set()
    for line in head.splitlines():
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            if not names:
                return False
            continue  # folded header continuation
        match = _HEADER.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    else:
        return False  # no blank line ending the headers within the first block
    return b"from" in names and len(names & _MAIL_HEADERS) >= 3


# --- file names -----------------------------------------------------------------------------------------------

MAX_FILENAME_LENGTH = 200
MAX_FILENAME_BYTES = 255
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def safe_filename(name: str) -> str:
    """A name that is safe to store, show and put in a Content-Disposition header.

    Keeps the last path component whatever the separator (``../../etc/passwd`` → ``passwd``,
    ``..\\..\\win.ini`` → ``win.ini``), removes NUL and control characters (tabs and newlines become
    spaces), replaces characters Windows refuses, drops leading dots (no hidden files, no ``..``), and keeps
    at most 200 characters, extension included. Never empty: ``document`` when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.sub(r"[\t\r\n\v\f]", " ", name)
    # control, format and unassigned characters (NUL, bidi overrides that disguise an extension…)
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = PureWindowsPath(PurePosixPath(name).name).name  # last component for both separators
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    name = name.rstrip(". ")  # Windows drops trailing dots and spaces
    if not name or set(name) <= {"_", ".", " "}:
        return "document"
    if _WINDOWS_DEVICES.match(name):
        name = "_" + name
    return _shorten(name)


def _shorten(name: str) -> str:
    """At most 200 characters and 255 UTF-8 bytes (what file systems allow), the extension kept."""
    if len(name) <= MAX_FILENAME_LENGTH and len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and 0 < len(extension) <= 16):
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    stem = stem[: MAX_FILENAME_LENGTH - len(suffix)]
    while len((stem + suffix).encode()) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    return stem.rstrip() + suffix
