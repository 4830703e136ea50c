"""Opening a zip that somebody else made: every check on the central directory before a byte is unpacked.

Bags sent to the API, library item archives and letter templates (DOCX/ODT) are zips from outside. Each is
refused, with one line naming the member, when it has too many members, a member name that leaves the folder
(absolute, ``..``, a drive letter, a backslash, control characters), a link or a special file, a member or a
total larger than the caller's limit, a member compressed more than ``ratio`` times (a zip bomb), the same name
twice, or, when read, more bytes than its header announced. Each caller gives its limits and its words
("zip refused", "the bag"); the rules are the same everywhere. The office-package sniffing in
``ingest/detect.py`` only reads the directory (it never raises) and keeps its own aggregate check.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dms.errors import BadInput, DmsError

#: Members smaller than this are never called a bomb, however well they compress (a page of blanks does).
RATIO_FLOOR_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    members: int
    total_bytes: int
    member_bytes: int | None = None
    ratio: int = 100
    refusal: str = "zip refused"
    container: str = "archive"
    size_error: type[DmsError] = BadInput  # TooLarge where the caller answers 413 for sizes


def open_zip(source: bytes | Path, not_a_zip: str = "not a zip archive") -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadInput(f"{not_a_zip}: {exc}" if isinstance(source, Path) else not_a_zip) from None


def escapes(name: str) -> bool:
    """Whether a member name would land outside the folder it is unpacked into."""
    parts = PurePosixPath(name).parts
    return (name.startswith(("/", "\\")) or "\\" in name or ".." in parts or (bool(parts) and ":" in parts[0])
            or any(ord(ch) < 32 for ch in name))


def checked_members(archive: zipfile.ZipFile, limits: ZipLimits) -> dict[str, zipfile.ZipInfo]:
    """The members by name, once every one passed ``limits``; the first that fails is refused."""
    members = archive.infolist()
    refused = limits.refusal
    if len(members) > limits.members:
        raise BadInput(f"{refused}: more than {limits.members} members")
    member_bytes = limits.member_bytes or limits.total_bytes
    total = 0
    by_name: dict[str, zipfile.ZipInfo] = {}
    for info in members:
        name = info.filename
        if escapes(name):
            raise BadInput(f"{refused}: member {name!r} escapes the {limits.container}")
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0: no type given (zipfile.writestr gives 0o600 only)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise BadInput(f"{refused}: member {name!r} is a link or a special file")
        if info.file_size > member_bytes:
            raise limits.size_error(f"{refused}: member {name!r} is larger than {member_bytes} bytes")
        total += info.file_size
        if total > limits.total_bytes:
            raise limits.size_error(f"{refused}: more than {limits.total_bytes} bytes unpacked")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise BadInput(f"{refused}: member {name!r} is compressed suspiciously well (a zip bomb?)")
        if name in by_name:
            raise BadInput(f"{refused}: member {name!r} appears twice")
        by_name[name] = info
    return by_name


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, limit: int | None = None) -> bytes:
    """A member's bytes, never more than its header announced (nor ``limit``)."""
    cap = info.file_size if limit is None else min(info.file_size, limit)
    try:
        with archive.open(info) as handle:
            data = handle.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise BadInput(f"{limits.refusal}: member {info.filename!r} is damaged or encrypted") from exc
    if len(data) > cap:
        raise BadInput(f"{limits.refusal}: member {info.filename!r} is larger than announced")
    return data


def copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: ZipLimits,
                chunk: int = 1024 * 1024) -> None:
    """Stream one member into a new file ``target``, stopping as soon as it outgrows its header."""
    written = 0
    try:
        with archive.open(info) as src, target.open("xb") as out:
            while data := src.read(chunk):
                written += len(data)
                if written > info.file_size:
                    raise BadInput(f"{limits.refusal}: member {info.filename!r} is larger than announced")
                out.write(data)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as exc:
        raise BadInput(f"{limits.refusal}: member {info.filename!r} is damaged: {exc}") from exc
    except FileExistsError:
        raise BadInput(f"{limits.refusal}: member {info.filename!r} appears twice") from None
