"""The two exceptions of the metadata library.

Callers (the records service, the intake pipeline, the API) translate them to a 400 / a rejected
intake with the message as the one-line reason, so every message is written for a person: it says
what is wrong, not which Python line noticed it.
"""

from __future__ import annotations


class MetadataError(ValueError):
    """Bad metadata input: hostile or malformed XML, an unknown format, an inconsistent record or bag."""


class MetadataInvalid(MetadataError):
    """A document that is well-formed but does not validate against the official SEDA 2.3 schemas.

    ``errors`` keeps the schema's messages ("line N: message") so that a caller can show more than the
    first one.
    """

    def __init__(self, message: str, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors
