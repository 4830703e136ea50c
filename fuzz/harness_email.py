"""Atheris harness: e-mail parsing (ingest/email_messages.parse_message) on any bytes. Only ``MessageError``
(a 400 with the reason) may come out, and a parsed message has a usable file name and bounded attachments.
Seeds: fuzz/seeds/email. Run: ``fuzz/run.py --only email``."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["ingest.email_messages"]):
    from ingest import email_messages

MAX_BYTES = 1 << 20


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris calls)
    try:
        parsed = email_messages.parse_message(data, max_bytes=MAX_BYTES)
    except email_messages.MessageError:
        return
    name = email_messages.message_file_name(parsed)
    if not name or "/" in name or "\x00" in name:
        raise AssertionError(f"unsafe message file name {name!r}")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
