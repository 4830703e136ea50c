"""Pairing intake files with the XML sidecars beside them (``scan.pdf`` + ``scan.pdf.xml`` or ``scan.xml``).

A sidecar is a file, not a document: it is never registered on its own. ``scan.pdf.xml`` names its
document exactly; ``scan.xml`` belongs to the one file with the stem ``scan`` in the same folder, and when
several files share that stem (``scan.pdf``, ``scan.docx``) it is ambiguous and those files are refused
rather than registered with, or without, a description that may not be theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paired:
    path: Path
    sidecar: Path | None = None
    problem: str | None = None  # set: the file is refused with this reason


def pair_sidecars(files: list[Path]) -> list[Paired]:
    """Each document with its sidecar (if any), in the given order; sidecars themselves are left out."""
    present = set(files)
    by_stem: dict[tuple[Path, str], list[Path]] = {}
    for path in files:
        if path.suffix.lower() != ".xml":
            by_stem.setdefault((path.parent, path.stem), []).append(path)
    sidecar_of: dict[Path, Path] = {}
    problems: dict[Path, str] = {}
    consumed: set[Path] = set()
    for path in files:
        if path.suffix.lower() != ".xml":
            continue
        exact = path.with_suffix("")  # scan.pdf.xml -> scan.pdf
        if exact in present and exact.suffix and exact != path:
            sidecar_of[exact] = path
            consumed.add(path)
            continue
        owners = by_stem.get((path.parent, path.stem), [])
        if len(owners) == 1:
            sidecar_of.setdefault(owners[0], path)
            consumed.add(path)
        elif len(owners) > 1:
            consumed.add(path)
            for owner in owners:
                if owner not in sidecar_of:
                    problems[owner] = (
                        f"sidecar {path.name} could describe {', '.join(o.name for o in owners)}; "
                        f"name it {owner.name}.xml"
                    )
    for path in sidecar_of:  # an exact sidecar (scan.pdf.xml) settles an ambiguous stem
        problems.pop(path, None)
    return [
        Paired(path=path, sidecar=sidecar_of.get(path), problem=problems.get(path))
        for path in files
        if path not in consumed
    ]
