"""Request dependencies: the runtime of this app and the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from dms.accounts import Principal, authenticate
from dms.db import unit_of_work
from dms.errors import Unauthenticated
from ingest.runtime import Runtime

#: The largest id or version number the database's INTEGER columns hold (32 bits on PostgreSQL). Routes bound
#: their integer parameters with it, so a larger one is a 400, not a driver error (a 500): found by fuzzing.
MAX_INT_ID = 2**31 - 1

bearer = HTTPBearer(auto_error=False, description="API token from `dms token create EMAIL`")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def read_session(runtime: Runtime = Depends(get_runtime)) -> Iterator[Session]:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        yield session


def current_principal(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    runtime: Runtime = Depends(get_runtime),
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated("missing bearer token")
    with unit_of_work(runtime.backends.engine, write=False) as session:
        return authenticate(session, credentials.credentials)
