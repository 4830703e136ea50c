"""Transfer packages: BagIt bags that bagit validates, that read back byte for byte, and that refuse
anything escaping the bag or disagreeing with the message."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import bagit
import pytest

from metadata import (
    DataObject,
    MetadataError,
    build_archive_transfer,
    read_transfer_bag,
    write_transfer_bag,
)
from tests.metadata.samples import BRUSSELS, COMMUNE, STATE_ARCHIVES, numbered_record

Files = Callable[[int, int], list[tuple[DataObject, Path]]]
NOW = datetime(2024, 11, 18, 14, 30, tzinfo=BRUSSELS)


def _transfer(make_files: Files, count: int) -> tuple[bytes, list[tuple[str, Path]]]:
    records, sources = [], []
    for i in range(count):
        pairs = make_files(i, 1 + i % 3)
        records.append(numbered_record(i, [obj for obj, _ in pairs]))
        sources.extend((obj.path, path) for obj, path in pairs)
    message = build_archive_transfer(
        records, message_id=f"TR-{count}", date=NOW, archival_agency=STATE_ARCHIVES, transferring_agency=COMMUNE
    )
    return message, sources


def _rehash(bag_dir: Path) -> None:
    """Rewrite every manifest from the files on disk, as an attacker crafting a consistent bag would."""
    payload = [f for f in (bag_dir / "data").rglob("*") if f.is_file() and not f.is_symlink()]
    info = bag_dir / "bag-info.txt"
    oxum = f"Payload-Oxum: {sum(f.stat().st_size for f in payload)}.{len(payload)}"
    info.write_text(
        "".join(
            oxum + "\n" if line.startswith("Payload-Oxum:") else line + "\n"
            for line in info.read_text(encoding="utf-8").splitlines()
        ),
        encoding="utf-8",
    )
    for algorithm in ("sha256", "sha512"):
        lines = []
        for file in sorted((bag_dir / "data").rglob("*")):
            if file.is_file() and not file.is_symlink():
                rel = file.relative_to(bag_dir).as_posix()
                lines.append(f"{hashlib.new(algorithm, file.read_bytes()).hexdigest()}  {rel}\n")
        (bag_dir / f"manifest-{algorithm}.txt").write_text("".join(lines))
    for algorithm in ("sha256", "sha512"):
        tags = [
            f"{hashlib.new(algorithm, (bag_dir / n).read_bytes()).hexdigest()}  {n}\n"
            for n in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt")
        ]
        (bag_dir / f"tagmanifest-{algorithm}.txt").write_text("".join(tags))


@pytest.fixture
def small_bag(make_files: Files, tmp_path: Path, schema_dir: Path) -> Path:
    message, sources = _transfer(make_files, 3)
    return write_transfer_bag(
        tmp_path / "bag", message, sources, {"Source-Organization": "Commune d'Éghezée"}, schema_dir=schema_dir
    )


def test_bag_of_100_records_validates_and_round_trips(make_files: Files, tmp_path: Path, schema_dir: Path) -> None:
    message, sources = _transfer(make_files, 100)
    bag_dir = write_transfer_bag(
        tmp_path / "transfer-2024-0007",
        message,
        sources,
        {"Source-Organization": "Commune d'Éghezée", "Contact-Email": "archives@eghezee.be"},
        schema_dir=schema_dir,
    )
    for name in (
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
        "data/manifest.xml",
    ):
        assert (bag_dir / name).is_file(), name
    bag = bagit.Bag(str(bag_dir))
    bag.validate(fast=False)
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["External-Identifier"] == "TR-100"
    assert bag.info["Payload-Oxum"].endswith(f".{len(sources) + 1}")
    assert not list(tmp_path.glob(".transfer-2024-0007.partial-*"))

    read_message, files = read_transfer_bag(bag_dir, schema_dir=schema_dir)
    assert read_message == message
    assert set(files) == {uri for uri, _ in sources}
    for uri, source in sources:
        assert files[uri].read_bytes() == source.read_bytes()
        assert hashlib.sha256(files[uri].read_bytes()).hexdigest() == uri.removeprefix("content/")[:64]


def test_streams_and_bytes_are_accepted_as_sources(make_files: Files, tmp_path: Path, schema_dir: Path) -> None:
    message, sources = _transfer(make_files, 2)
    mixed = [
        (uri, io.BytesIO(path.read_bytes()) if n % 2 else path.read_bytes()) for n, (uri, path) in enumerate(sources)
    ]
    bag_dir = write_transfer_bag(tmp_path / "bag", message, mixed, schema_dir=schema_dir)
    assert read_transfer_bag(bag_dir, schema_dir=schema_dir)[0] == message


def test_writing_refuses_paths_that_escape(make_files: Files, tmp_path: Path, schema_dir: Path) -> None:
    message, sources = _transfer(make_files, 1)
    for evil in ("../outside.pdf", "content/../../outside.pdf", "/etc/passwd", "content/.hidden", "manifest.xml"):
        with pytest.raises(MetadataError, match="plain relative path"):
            write_transfer_bag(tmp_path / "bag", message, [(evil, sources[0][1])], schema_dir=schema_dir)
    assert not (tmp_path / "bag").exists() and not (tmp_path / "outside.pdf").exists()
    assert not list(tmp_path.glob(".bag.partial-*"))


def test_writing_refuses_files_that_disagree_with_the_message(
    make_files: Files, tmp_path: Path, schema_dir: Path
) -> None:
    message, sources = _transfer(make_files, 2)
    (uri, _), (_, other) = sources[0], sources[1]
    with pytest.raises(MetadataError, match="does not match the digest"):
        write_transfer_bag(tmp_path / "bag", message, [(uri, other), *sources[1:]], schema_dir=schema_dir)
    with pytest.raises(MetadataError, match="not given"):
        write_transfer_bag(tmp_path / "bag", message, sources[1:], schema_dir=schema_dir)
    with pytest.raises(MetadataError, match="not referenced"):
        write_transfer_bag(tmp_path / "bag", message, [*sources, (f"content/{'0' * 64}", other)], schema_dir=schema_dir)
    with pytest.raises(MetadataError, match="one line"):
        write_transfer_bag(tmp_path / "bag", message, sources, {"Note": "a\nPayload-Oxum: 1.1"}, schema_dir=schema_dir)
    with pytest.raises(MetadataError, match="SEDA"):
        write_transfer_bag(tmp_path / "bag", b"<ArchiveTransfer/>", sources, schema_dir=schema_dir)
    assert not (tmp_path / "bag").exists()


def test_writing_refuses_a_non_empty_destination(small_bag: Path, make_files: Files, schema_dir: Path) -> None:
    message, sources = _transfer(make_files, 1)
    with pytest.raises(MetadataError, match="already exists"):
        write_transfer_bag(small_bag, message, sources, schema_dir=schema_dir)


def test_reading_refuses_a_manifest_path_with_dot_dot(small_bag: Path, tmp_path: Path, schema_dir: Path) -> None:
    (tmp_path / "outside.txt").write_text("not in the bag")
    manifest = small_bag / "manifest-sha256.txt"
    digest = hashlib.sha256(b"not in the bag").hexdigest()
    manifest.write_text(manifest.read_text() + f"{digest}  data/../../outside.txt\n")
    with pytest.raises(MetadataError, match="invalid BagIt bag.*unsafe"):
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_reading_refuses_a_message_uri_with_dot_dot(small_bag: Path, schema_dir: Path) -> None:
    message_file = small_bag / "data/manifest.xml"
    text = message_file.read_text(encoding="utf-8")
    message_file.write_text(text.replace("<Uri>content/", "<Uri>content/../../", 1), encoding="utf-8")
    _rehash(small_bag)
    with pytest.raises(MetadataError, match="not a plain path under content/"):
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_reading_refuses_symlinks(small_bag: Path, schema_dir: Path) -> None:
    (small_bag / "data/content/passwd").symlink_to("/etc/passwd")
    with pytest.raises(MetadataError, match="symbolic link"):
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_reading_refuses_a_symlinked_bag(small_bag: Path, tmp_path: Path, schema_dir: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(small_bag)
    with pytest.raises(MetadataError, match="not a bag directory"):
        read_transfer_bag(link, schema_dir=schema_dir)


def test_reading_refuses_tampered_content(small_bag: Path, schema_dir: Path) -> None:
    victim = next((small_bag / "data/content").iterdir())
    victim.write_bytes(victim.read_bytes() + b"!")
    with pytest.raises(MetadataError, match="invalid BagIt bag"):
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_reading_refuses_files_the_message_does_not_describe(small_bag: Path, schema_dir: Path) -> None:
    (small_bag / "data/content/extra.pdf").write_bytes(b"%PDF smuggled")
    _rehash(small_bag)
    with pytest.raises(MetadataError, match="not described by the message"):
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_reading_refuses_a_consistent_bag_with_a_lying_message(small_bag: Path, schema_dir: Path) -> None:
    victim = next((small_bag / "data/content").iterdir())
    victim.write_bytes(b"replaced after the message was written")
    _rehash(small_bag)  # the bag itself is consistent again...
    with pytest.raises(MetadataError, match="differs from the digest"):  # ...but not with the message
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_reading_refuses_an_invalid_message(small_bag: Path, schema_dir: Path) -> None:
    message_file = small_bag / "data/manifest.xml"
    message_file.write_text(
        message_file.read_text(encoding="utf-8").replace("<Date>", "<Datum>", 1).replace("</Date>", "</Datum>", 1),
        encoding="utf-8",
    )
    _rehash(small_bag)
    with pytest.raises(MetadataError, match="not valid SEDA 2.3"):
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_reading_refuses_fetch_txt(small_bag: Path, schema_dir: Path) -> None:
    (small_bag / "fetch.txt").write_text("http://127.0.0.1:9/x 10 data/content/x\n")
    with pytest.raises(MetadataError, match="fetch.txt"):
        read_transfer_bag(small_bag, schema_dir=schema_dir)


def test_sha512_and_base64_message_digests_are_accepted(make_files: Files, tmp_path: Path, schema_dir: Path) -> None:
    """Vitam-style messages carry SHA-512 digests (sometimes base64): the bag has that manifest too."""
    message, sources = _transfer(make_files, 3)
    text = message.decode("utf-8")
    for n, (_, path) in enumerate(sources):
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        raw = hashlib.sha512(path.read_bytes()).digest()
        value = base64.b64encode(raw).decode() if n % 2 else raw.hex()
        text = re.sub(rf'algorithm="SHA-256">{sha256}<', f'algorithm="SHA-512">{value}<', text)
    message = text.encode("utf-8")
    assert b'"SHA-512"' in message
    bag_dir = write_transfer_bag(tmp_path / "bag", message, sources, schema_dir=schema_dir)
    assert set(read_transfer_bag(bag_dir, schema_dir=schema_dir)[1]) == {uri for uri, _ in sources}
