"""Atheris harness: the XML metadata parser (metadata/): SEDA 2.3 ArchiveUnit and ArchiveTransfer, Dublin
Core and sidecars, on any bytes. Only ``MetadataError`` (a clear refusal) may come out; anything else, a hang
or a blow-up of memory is a finding. Seeds: fuzz/seeds/metadata. Run: ``fuzz/run.py --only metadata``."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["metadata"]):
    from metadata import MetadataError, parse_archive_transfer, parse_archive_unit, parse_sidecar, parse_xml

MAX_BYTES = 1 << 20


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris calls)
    for parse in (lambda d: parse_xml(d, max_bytes=MAX_BYTES), parse_sidecar, parse_archive_unit,
                  parse_archive_transfer):
        try:
            parse(data)
        except MetadataError:
            pass


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
