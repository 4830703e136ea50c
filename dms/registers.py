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
    "UPDATE register_counters SET last_number = last_number + 1 "
    "WHERE tenant_id = :tenant AND register_code = :register AND year = :year RETURNING last_number"
)


def next_number(session: Session, tenant_id: str, register: RegisterKind, year: int) -> int:
    params = {"tenant": tenant_id, "register": register.value, "year": year}
    session.execute(_ENSURE, params)
    return int(session.execute(_NEXT, params).scalar_one())


def format_reference(register: RegisterKind, year: int, number: int, fmt: str = DEFAULT_FORMAT) -> str:
    return fmt.format(register=register.value, year=year, number=number)
