"""Errors that cross the service boundary, each with the HTTP status and the one line a user reads."""

from __future__ import annotations


class DmsError(Exception):
    status = 400

    def __init__(self, message: str, **extra: object):
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadInput(DmsError):
    status = 400


class Unauthenticated(DmsError):
    status = 401


class Forbidden(DmsError):
    status = 403


class NotFound(DmsError):
    status = 404


class Conflict(DmsError):
    status = 409


class Duplicate(Conflict):
    """The same bytes are already registered in this tenant; ``extra`` names the first record."""


class TooLarge(DmsError):
    status = 413


class UnsupportedType(DmsError):
    status = 415


class BackendUnavailable(DmsError):
    status = 503
