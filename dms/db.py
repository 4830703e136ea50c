"""Database engines and the unit of work, on SQLite (embedded) or PostgreSQL (psycopg 3).

SQLite runs in WAL mode with a busy timeout, and a write transaction starts with ``BEGIN IMMEDIATE`` so two
writers queue for the lock up front instead of failing when one upgrades a read lock. On PostgreSQL the row
locks taken by the services (register counters, audit heads, ``SKIP LOCKED`` job claims) do the ordering.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from dms.errors import BackendUnavailable


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"connect_timeout": 5},
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        # set before every transaction (it cannot change inside one): FULL unless this one may be lost in a
        # power cut (unit_of_work(durable=False)); in WAL mode the next FULL commit flushes its frames anyway
        conn.exec_driver_sql("PRAGMA synchronous=" + ("FULL" if options.get("durable", True) else "NORMAL"))
        conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True, durable: bool = True) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error.

    Database outages surface as BackendUnavailable (503) rather than a raw driver error. ``durable=False`` is
    for bookkeeping whose loss in a power cut or an operating-system crash costs nothing but a repeat (a job's
    claim or its done mark: the job runs again, and jobs are idempotent): its commit does not wait for the
    disk (PostgreSQL ``synchronous_commit = off`` for the transaction, SQLite ``synchronous = NORMAL``). Never
    for anything acknowledged to a user.
    """
    sqlite = is_sqlite(engine)
    options: dict[str, object] = {}
    if write and sqlite:
        options["sqlite_begin"] = "IMMEDIATE"
    if not durable and sqlite:
        options["durable"] = False
    session = Session(bind=engine.execution_options(**options) if options else engine, expire_on_commit=False)
    try:
        if not durable and not sqlite:
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if _is_connection_problem(exc):
            raise BackendUnavailable(f"database unavailable: {exc.orig}") from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _is_connection_problem(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    return any(word in text for word in ("connection", "could not connect", "server closed", "terminating"))
