"""Transfer packages: a SEDA ArchiveTransfer and its files as a BagIt bag (RFC 8493).

Layout (docs/metadata.md)::

    <bag>/bagit.txt, bag-info.txt
    <bag>/manifest-sha256.txt, manifest-sha512.txt, tagmanifest-sha256.txt, tagmanifest-sha512.txt
    <bag>/data/manifest.xml          the SEDA message (Vitam's name for the bordereau)
    <bag>/data/content/<sha256>.pdf  each file, at the ``Uri`` the message gives it

Writing: the bag is written by this module, not by ``bagit.make_bag``, because ``make_bag`` changes the
process's working directory (``os.chdir``) while it runs, which breaks every other thread of the API
server or worker that uses a relative path. Files are hashed (SHA-256 and SHA-512) while they are copied,
checked against the message's ``MessageDigest``, and the bag appears at its destination by one rename,
complete or not at all. It is then opened with the ``bagit`` library to check it is complete.

Reading: the ``bagit`` library validates the bag in full (every checksum recomputed), after we refused
symbolic links, special files and ``fetch.txt``; then the message must validate against SEDA 2.3 and
agree with the payload, file for file (path, SHA-256, size).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import BinaryIO

import bagit
from lxml import etree

from metadata.errors import MetadataError
from metadata.model import is_safe_content_path
from metadata.namespaces import SEDA
from metadata.schema import MAX_VALIDATED_BYTES, validate
from metadata.xml import parse_xml

MESSAGE_PATH = "manifest.xml"  # relative to data/
CHECKSUMS = ("sha256", "sha512")
BAGIT_VERSION = "1.0"
SOFTWARE_AGENT = f"dms metadata (bagit {bagit.VERSION} for validation)"
_CHUNK = 1024 * 1024
_INFO_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_RESERVED_INFO = {"Payload-Oxum", "Bag-Software-Agent"}

Source = Path | str | bytes | BinaryIO


#: SEDA ``MessageDigest/@algorithm`` -> the BagIt manifest that holds the same digest. We write SHA-256;
#: SHA-512 (Vitam's choice) is accepted when reading, since every bag we accept has both manifests.
_DIGESTS = {"SHA-256": "sha256", "SHA-512": "sha512"}


def _hex_digest(text: str | None, algorithm: str) -> str:
    """MessageDigest is ``xsd:hexBinary | xsd:base64Binary``: normalise to lowercase hex."""
    value = (text or "").strip()
    length = hashlib.new(algorithm).digest_size
    if re.fullmatch(rf"[0-9A-Fa-f]{{{2 * length}}}", value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != length:
        raise MetadataError(f"MessageDigest {value[:20]!r}... is not a {algorithm} digest")
    return raw.hex()


def _message_objects(root: etree._Element) -> dict[str, tuple[str, str, int | None]]:
    """``{Uri: (manifest algorithm, hex digest, size)}`` of every BinaryDataObject of an ArchiveTransfer."""
    objects: dict[str, tuple[str, str, int | None]] = {}
    for bdo in root.iter(f"{{{SEDA}}}BinaryDataObject"):
        uri = bdo.findtext(f"{{{SEDA}}}Uri")
        digest = bdo.find(f"{{{SEDA}}}MessageDigest")
        size = bdo.findtext(f"{{{SEDA}}}Size")
        if not uri or not is_safe_content_path(uri):
            raise MetadataError(f"data object {bdo.get('id')}: Uri {uri!r} is not a plain path under content/")
        algorithm = _DIGESTS.get(digest.get("algorithm", "") if digest is not None else "")
        if digest is None or algorithm is None:
            raise MetadataError(f"data object {bdo.get('id')}: a SHA-256 or SHA-512 MessageDigest is required")
        entry = (algorithm, _hex_digest(digest.text, algorithm), int(size) if size else None)
        if objects.setdefault(uri, entry) != entry:
            raise MetadataError(f"two data objects share the Uri {uri} with different contents")
    return objects


def _transfer_root(message: bytes, schema_dir: Path | None) -> etree._Element:
    validate(message, schema_dir)
    root = parse_xml(message, max_bytes=MAX_VALIDATED_BYTES)
    if root.tag != f"{{{SEDA}}}ArchiveTransfer":
        raise MetadataError("a transfer package carries a SEDA 2.3 ArchiveTransfer message")
    return root


def _chunks(source: Source, stack: contextlib.ExitStack) -> Iterator[bytes]:
    if isinstance(source, bytes):
        return iter((source,))
    stream = stack.enter_context(open(source, "rb")) if isinstance(source, str | Path) else source
    return iter(lambda: stream.read(_CHUNK), b"")


def _copy_hashing(source: Source, target: Path) -> tuple[dict[str, str], int]:
    """Copy ``source`` to a new file, computing every manifest digest in the same single pass."""
    digests = {name: hashlib.new(name) for name in CHECKSUMS}
    size = 0
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(target.open("xb"))
        for chunk in _chunks(source, stack):
            out.write(chunk)
            size += len(chunk)
            for digest in digests.values():
                digest.update(chunk)
    return {name: d.hexdigest() for name, d in digests.items()}, size


def _tag_line(label: str, value: str) -> str:
    if not _INFO_LABEL.fullmatch(label) or any(c in value for c in "\r\n"):
        raise MetadataError(f"bag-info entry {label!r}: labels are letters/digits/'-', values one line")
    return f"{label}: {value}\n"


def _write_text(path: Path, text: str, hashes: dict[str, dict[str, str]], rel: str) -> None:
    data = text.encode("utf-8")
    path.write_bytes(data)
    hashes[rel] = {name: hashlib.new(name, data).hexdigest() for name in CHECKSUMS}


def _manifest_text(entries: Mapping[str, Mapping[str, str]], algorithm: str) -> str:
    return "".join(f"{hashes[algorithm]}  {rel}\n" for rel, hashes in sorted(entries.items()))


def write_transfer_bag(
    dest_dir: Path | str,
    message: bytes,
    files: Iterable[tuple[str, Source]],
    info: Mapping[str, str] | None = None,
    *,
    schema_dir: Path | None = None,
) -> Path:
    """Write the package of an ArchiveTransfer and return its path.

    ``files`` pairs each ``Uri`` of the message (``content/<sha256>.pdf``, i.e. ``DataObject.path``) with
    its bytes: a path, an open binary stream or ``bytes``. The message must validate, every file it
    references must be given with the digest it announces, and nothing else may be given. ``info`` adds
    bag-info.txt entries (``Source-Organization``, ``Contact-Email``...). ``dest_dir`` must not exist or
    be an empty directory.
    """
    dest = Path(dest_dir)
    if dest.is_symlink() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
        raise MetadataError(f"{dest} already exists and is not an empty directory")
    root = _transfer_root(message, schema_dir)
    expected = _message_objects(root)

    work = dest.parent / f".{dest.name}.partial-{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    try:
        payload: dict[str, dict[str, str]] = {}
        data_dir = work / "data"
        data_dir.mkdir()
        oxum_bytes = 0
        hashes, size = _copy_hashing(message, data_dir / MESSAGE_PATH)
        payload[f"data/{MESSAGE_PATH}"], oxum_bytes = hashes, oxum_bytes + size
        for rel, source in files:
            if not is_safe_content_path(rel):
                raise MetadataError(f"file path {rel!r} must be a plain relative path under content/")
            if f"data/{rel}" in payload:
                raise MetadataError(f"file {rel} given twice")
            if rel not in expected:
                raise MetadataError(f"file {rel} is not referenced by the message")
            target = data_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            hashes, size = _copy_hashing(source, target)
            algorithm, announced_digest, announced_size = expected[rel]
            if hashes[algorithm] != announced_digest or announced_size not in (None, size):
                raise MetadataError(f"file {rel} does not match the digest / size the message announces")
            payload[f"data/{rel}"], oxum_bytes = hashes, oxum_bytes + size
        missing = sorted(set(expected) - {rel.removeprefix("data/") for rel in payload})
        if missing:
            raise MetadataError(f"the message references files that were not given: {', '.join(missing[:5])}")

        tags: dict[str, dict[str, str]] = {}
        _write_text(
            work / "bagit.txt",
            f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n",
            tags,
            "bagit.txt",
        )
        entries = {
            "Bagging-Date": date.today().isoformat(),
            "External-Identifier": root.findtext(f"{{{SEDA}}}MessageIdentifier") or "",
        }
        entries.update({k: v for k, v in (info or {}).items() if k not in _RESERVED_INFO})
        entries["Bag-Software-Agent"] = SOFTWARE_AGENT
        entries["Payload-Oxum"] = f"{oxum_bytes}.{len(payload)}"
        _write_text(work / "bag-info.txt", "".join(_tag_line(k, v) for k, v in entries.items()), tags, "bag-info.txt")
        for algorithm in CHECKSUMS:
            name = f"manifest-{algorithm}.txt"
            _write_text(work / name, _manifest_text(payload, algorithm), tags, name)
        for algorithm in CHECKSUMS:
            (work / f"tagmanifest-{algorithm}.txt").write_text(_manifest_text(tags, algorithm), encoding="utf-8")

        try:
            bagit.Bag(str(work)).validate(completeness_only=True)
        except bagit.BagError as exc:  # pragma: no cover - would be a bug of this module
            raise MetadataError(f"the written bag is not complete: {_bag_error(exc)}") from None
        if dest.exists():
            dest.rmdir()
        os.rename(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return dest


def _bag_error(exc: bagit.BagError) -> str:
    message = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    details = getattr(exc, "details", None) or []
    if details:
        message += ": " + "; ".join(str(d) for d in details[:3])
    return message


def _refuse_links_and_specials(bag_dir: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(bag_dir, followlinks=False):
        for name in (*dirnames, *filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(bag_dir)
            if path.is_symlink():
                raise MetadataError(f"bag refused: {rel} is a symbolic link")
            if name in filenames and not path.is_file():
                raise MetadataError(f"bag refused: {rel} is not a regular file")


def read_transfer_bag(
    path: Path | str,
    *,
    schema_dir: Path | None = None,
    max_message_bytes: int = MAX_VALIDATED_BYTES,
) -> tuple[bytes, dict[str, Path]]:
    """Validate a transfer package and return its SEDA message and ``{Uri: file path}`` of its files.

    Refused, with ``MetadataError``: links, special files, ``fetch.txt`` (remote payload), any manifest
    path outside the bag, a checksum that does not match, a bag without SHA-256/512 manifests, a message
    that does not validate against SEDA 2.3, a file the message does not describe or describes
    differently, a described file that is missing.
    """
    bag_dir = Path(path)
    if bag_dir.is_symlink() or not bag_dir.is_dir():
        raise MetadataError(f"{bag_dir} is not a bag directory")
    bag_dir = bag_dir.resolve()
    _refuse_links_and_specials(bag_dir)
    if (bag_dir / "fetch.txt").exists():
        raise MetadataError("bag refused: fetch.txt (payload to download) is not accepted")
    try:
        bag = bagit.Bag(str(bag_dir))
        bag.validate(processes=1, fast=False)
    except bagit.BagError as exc:
        raise MetadataError(f"invalid BagIt bag: {_bag_error(exc)}") from None
    if not {"sha256", "sha512"} & set(bag.algorithms):
        raise MetadataError("bag refused: it has neither a SHA-256 nor a SHA-512 manifest")

    message_file = bag_dir / "data" / MESSAGE_PATH
    if not message_file.is_file():
        raise MetadataError(f"bag refused: no SEDA message at data/{MESSAGE_PATH}")
    if message_file.stat().st_size > max_message_bytes:
        raise MetadataError(f"bag refused: the message is larger than {max_message_bytes} bytes")
    message = message_file.read_bytes()
    expected = _message_objects(_transfer_root(message, schema_dir))

    entries = {rel.replace(os.sep, "/"): hashes for rel, hashes in bag.payload_entries().items()}
    files: dict[str, Path] = {}
    for uri, (algorithm, digest, size) in expected.items():
        hashes = entries.get(f"data/{uri}")
        if hashes is None:
            raise MetadataError(f"bag refused: the message references {uri}, which the bag does not hold")
        file = bag_dir / "data" / uri
        if algorithm not in hashes:
            raise MetadataError(f"bag refused: no {algorithm} manifest entry for {uri}, the message's digest")
        if hashes[algorithm].lower() != digest or size not in (None, file.stat().st_size):
            raise MetadataError(f"bag refused: {uri} differs from the digest / size the message announces")
        files[uri] = file
    unexpected = sorted(set(entries) - {f"data/{u}" for u in expected} - {f"data/{MESSAGE_PATH}"})
    if unexpected:
        raise MetadataError(f"bag refused: files not described by the message: {', '.join(unexpected[:5])}")
    return message, files
