"""Zipped transfer bags (dms/transfers.unpack_bag_zip): every archive limit refuses clearly and leaves nothing.

The API route is covered by tests/test_transfer_api.py (escaping, absolute, symbolic link, zip bomb); these
are the limits it did not reach: too many members, one member over its own limit, too much in total, sizes
that lie, names that escape on Windows, a member twice.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import pytest

from dms import transfers
from dms.errors import BadInput


def _zip(path: Path, members: list[tuple[str, bytes]], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def _lie_about_size(path: Path, new_size: int) -> None:
    """Rewrite the first member's uncompressed size in its local and central headers."""
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, new_size)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, new_size)
    path.write_bytes(bytes(data))


def _refused(archive: Path, dest: Path, words: str, **limits) -> None:
    limits.setdefault("max_bytes", 10 * 1024 * 1024)
    with pytest.raises(BadInput) as refused:
        transfers.unpack_bag_zip(archive, dest, **limits)
    assert words in refused.value.message and "\n" not in refused.value.message, refused.value.message
    assert not dest.exists(), "a refused zip left files behind"


def test_too_many_members(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for n in range(transfers.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"bag/data/content/{n}.txt", b"")
    (tmp_path / "many.zip").write_bytes(buffer.getvalue())
    _refused(tmp_path / "many.zip", tmp_path / "out", f"more than {transfers.MAX_ZIP_MEMBERS} members")


def test_one_member_over_its_limit(tmp_path):
    archive = _zip(tmp_path / "big.zip", [("bag/bagit.txt", b"x"), ("bag/data/content/big.bin", os.urandom(4096))])
    _refused(archive, tmp_path / "out", "larger than 1000 bytes", max_member_bytes=1000)


def test_too_much_in_total(tmp_path):
    archive = _zip(tmp_path / "total.zip", [(f"bag/data/content/{n}.bin", os.urandom(3000)) for n in range(4)])
    _refused(archive, tmp_path / "out", "more than 10000 bytes unpacked", max_bytes=10_000)


def test_zip_bomb_member(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", [("bag/data/content/zeros.txt", b"\0" * (8 * 1024 * 1024))])
    _refused(archive, tmp_path / "out", "compressed suspiciously well", max_bytes=64 * 1024 * 1024)


def test_member_larger_than_announced(tmp_path):
    archive = _zip(tmp_path / "liar.zip", [("bag/data/content/a.txt", b"A" * 5000)], compression=zipfile.ZIP_STORED)
    _lie_about_size(archive, 100)
    with pytest.raises(BadInput) as refused:
        transfers.unpack_bag_zip(archive, tmp_path / "out", max_bytes=1_000_000)
    assert "zip refused" in refused.value.message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "name", ["..\\..\\evil.txt", "C:/windows/evil.txt", "bag/../../evil.txt", "/etc/evil", "bag/data/..//../x"]
)
def test_names_that_escape(tmp_path, name):
    archive = _zip(tmp_path / "escape.zip", [("bag/bagit.txt", b"x"), (name, b"evil")])
    _refused(archive, tmp_path / "out", "escapes the bag")
    assert not list(tmp_path.rglob("evil*"))


def test_member_twice(tmp_path):
    with pytest.warns(UserWarning):  # zipfile itself warns about the duplicate name
        archive = _zip(tmp_path / "twice.zip", [("bag/bagit.txt", b"a"), ("bag/bagit.txt", b"b")])
    _refused(archive, tmp_path / "out", "appears twice")


def test_an_existing_destination_is_kept_but_emptied_of_nothing_else(tmp_path):
    """A caller's own folder is not removed on refusal (only a folder the unpacking made)."""
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    archive = _zip(tmp_path / "escape.zip", [("../evil.txt", b"evil")])
    with pytest.raises(BadInput):
        transfers.unpack_bag_zip(archive, dest, max_bytes=1000)
    assert (dest / "keep.txt").read_text() == "mine"


def test_a_good_zip_unpacks_into_its_folder(tmp_path):
    archive = _zip(tmp_path / "ok.zip", [("bag/bagit.txt", b"BagIt-Version: 1.0\n"), ("bag/data/a.txt", b"a")])
    bag = transfers.unpack_bag_zip(archive, tmp_path / "out", max_bytes=1000)
    assert bag == (tmp_path / "out" / "bag").resolve() and (bag / "data/a.txt").read_bytes() == b"a"


def test_members_with_permission_bits_but_no_file_type_unpack(tmp_path):
    """Regression: zipfile.writestr (and other tools) record 0o600 with no file-type bits; such a member is a
    plain file, not a 'link or special file'. Links are still refused (tests/test_transfer_api.py)."""
    archive = _zip(tmp_path / "plain.zip", [("bag/bagit.txt", b"x")])
    assert zipfile.ZipFile(archive).infolist()[0].external_attr >> 16 == 0o600
    bag = transfers.unpack_bag_zip(archive, tmp_path / "out", max_bytes=1000)
    assert (bag / "bagit.txt").read_bytes() == b"x"
