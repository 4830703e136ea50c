"""Fixtures of the metadata tests: the official SEDA 2.3 schemas, records, real files on disk.

Nothing here needs a service: the schemas are files in ../shared/standards/seda-2.3 (or
$DMS_SEDA_SCHEMA_DIR), and a missing schema folder fails the tests instead of skipping them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from metadata.model import DataObject, RecordMetadata
from tests.metadata.samples import realistic_record


@pytest.fixture(scope="session")
def schema_dir() -> Path:
    path = Path(
        os.environ.get("DMS_SEDA_SCHEMA_DIR") or Path(__file__).resolve().parents[3] / "shared/standards/seda-2.3"
    )
    assert (path / "seda-2.3-main.xsd").is_file(), f"official SEDA 2.3 schemas missing in {path}"
    return path


@pytest.fixture
def record() -> RecordMetadata:
    return realistic_record()


@pytest.fixture
def make_files(tmp_path: Path) -> Callable[[int, int], list[tuple[DataObject, Path]]]:
    """``make_files(index, count)``: real files on disk with their DataObjects (true SHA-256 and size)."""

    def make(index: int, count: int) -> list[tuple[DataObject, Path]]:
        out = []
        for n in range(count):
            body = f"%PDF-1.7\n% courrier {index}.{n} – données de test\n".encode() + os.urandom(512 + n * 97)
            path = tmp_path / "sources" / f"{index}-{n}.pdf"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(body)
            obj = DataObject(
                f"file-{index}-{n}",
                f"courrier {index} pièce {n}.pdf",
                "application/pdf",
                len(body),
                hashlib.sha256(body).hexdigest(),
                pages=1 + n,
            )
            out.append((obj, path))
        return out

    return make
