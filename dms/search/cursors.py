"""Opaque page cursors shared by the search engines.

A cursor is handed to clients (API ``next`` field, CLI) and comes back untrusted, so it is plain base64url
JSON tagged with the engine that made it: a cursor from another engine or a tampered one is refused with a
clear error rather than silently returning the wrong page.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

_MAX_CURSOR = 4096


class InvalidCursor(ValueError):
    """The ``after`` value was not produced by this engine (bad input, HTTP 400)."""


def encode_cursor(engine: str, state: Any) -> str:
    raw = json.dumps({"e": engine, "s": state}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(engine: str, cursor: str) -> Any:
    if len(cursor) > _MAX_CURSOR:
        raise InvalidCursor("invalid page cursor: too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("invalid page cursor") from exc
    if not isinstance(payload, dict) or payload.get("e") != engine or "s" not in payload:
        raise InvalidCursor("invalid page cursor: not made by this search engine")
    return payload["s"]
