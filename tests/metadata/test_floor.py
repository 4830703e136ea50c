"""metadata/ is a floor-1 library: lxml, bagit and the standard library only (DESIGN §1)."""

from __future__ import annotations

import ast
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import metadata
from metadata import MetadataInvalid, archive_unit_document, validate
from tests.metadata.samples import numbered_record

ALLOWED = {"lxml", "bagit", "metadata", "__future__"}


def test_metadata_imports_only_lxml_bagit_and_the_standard_library() -> None:
    package = Path(metadata.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            for root in roots:
                assert root in ALLOWED or root in sys.stdlib_module_names, f"{module.name} imports {root}"


def test_validation_is_safe_from_many_threads(schema_dir: Path) -> None:
    """A compiled schema's error log is shared: concurrent callers must each get their own verdict."""
    good = [archive_unit_document(numbered_record(i)) for i in range(16)]
    bad = [doc.replace(b"<Language>fr</Language>", b"<Language>fr</Language><Oops/>") for doc in good]

    def check(doc: bytes) -> str:
        try:
            validate(doc, schema_dir)
        except MetadataInvalid as exc:
            return str(exc)
        return "valid"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(check, [d for pair in zip(good, bad, strict=True) for d in pair] * 4))
    assert results[0::2] == ["valid"] * (len(results) // 2)
    assert all("Oops" in r for r in results[1::2])


@pytest.mark.parametrize("name", metadata.__all__)
def test_public_names_exist(name: str) -> None:
    assert hasattr(metadata, name)
