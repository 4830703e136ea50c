"""File names that arrive from outside (an e-mail attachment, a file dropped in the scanner's folder): a name
that carries a path is refused rather than quietly cut down to its last part.

Why refuse: ``../../etc/cron.d/x`` or ``..\\..\\Windows\\x.pdf`` is never what a correspondent or a scanner
names a document; it is an attempt, and the clerk should see it. The one pipeline (``ingest_file``) checks every
channel's names, the API upload included; ``detect.safe_filename`` then only cleans control characters and length."""

from __future__ import annotations

import re

from dms.errors import BadInput

_PATHLIKE = re.compile(r"(^|[\\/])\.\.($|[\\/])|[\\/]|^[A-Za-z]:")


def check_plain_name(name: str, what: str = "file name") -> None:
    """BadInput when ``name`` holds a directory part (``/``, ``\\``, ``..``, ``C:``)."""
    if _PATHLIKE.search(name or ""):
        shown = name if len(name) <= 120 else name[:119] + "…"
        raise BadInput(f"{what} refused: \"{shown}\" contains a path (/, \\ or ..); rename the file")
