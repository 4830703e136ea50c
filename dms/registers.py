"""Registration numbers: per tenant, register and year, gap-free and unique under concurrency.

The number is taken in the caller's transaction by incrementing the counter row; the row lock holds other
writers until that transaction ends, and a rollback gives the number back, so no gap and no duplicate.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from dms.models import RegisterKind

DEFAULT_FORMAT = "{register}/{year}/{number:05d}"

_ENSURE = text(
    "INSERT INTO register_counters (tenant_id, register_code, year, last_number) "
    "VALUES (:tenant, :register, :year, 0) ON CONFLICT (tenant_id, register_code, year) DO NOTHING"
)
_NEXT = text(
    "UPDATE register_counters SET last_number = last_number + :count "
    "WHERE tenant_id = :tenant AND register_code = :register AND year = :year RETURNING last_number"
)


def next_number(session: Session, tenant_id: str, register: RegisterKind, year: int) -> int:
    return take_numbers(session, tenant_id, register, year, 1)[0]


def take_numbers(session: Session, tenant_id: str, register: RegisterKind, year: int, count: int) -> range:
    """The next ``count`` numbers, consecutive, in one statement once the counter row exists (the first
    registration of a register and year creates it).

    The caller holds the row lock from here to its commit: everything that does not need the number is best
    done before (``records.prepare``), and a batch of registrations takes its block at once (dms/registrar.py).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    params = {"tenant": tenant_id, "register": register.value, "year": year, "count": count}
    last = session.execute(_NEXT, params).scalar_one_or_none()
    if last is None:
        session.execute(_ENSURE, params)
        last = session.execute(_NEXT, params).scalar_one()
    return range(int(last) - count + 1, int(last) + 1)


def format_reference(register: RegisterKind, year: int, number: int, fmt: str = DEFAULT_FORMAT) -> str:
    return fmt.format(register=register.value, year=year, number=number)
