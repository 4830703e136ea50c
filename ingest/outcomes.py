"""What became of one item a channel took in (a file, a document of a scan batch, a message of a mailbox)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """``kind``: imported (a new record), replaced (a re-scan replaced a record's file), duplicate, refused,
    or retry (left in place: a backend was down)."""

    name: str
    kind: str
    reference: str | None = None
    record_id: str | None = None
    reason: str = ""
