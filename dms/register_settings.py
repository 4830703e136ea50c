"""The number format of each register, per tenant (default ``{register}/{year}/{number:05d}``, E/2026/00042).

The format only shapes the reference text; the number itself is still allocated gap-free per tenant, register
and year by ``registers.next_number``, so a change of format never reuses or skips a number. References
already given keep the format they were given with.
"""

from __future__ import annotations

import re
import string

from sqlmodel import Session

from dms.audit import record_event
from dms.errors import BadInput
from dms.models import RegisterKind, RegisterSetting
from dms.registers import DEFAULT_FORMAT, format_reference

MAX_REFERENCE = 64
FIELDS = {"register", "year", "number"}


def check_format(fmt: str) -> str:
    """A usable format: only {register}, {year} and {number} (with a format spec), {number} and {year} present,
    distinct numbers giving distinct references, and a result that fits the reference column."""
    fmt = fmt.strip()
    if not fmt or len(fmt) > 100:
        raise BadInput("a number format needs 1 to 100 characters")
    try:
        parts = [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(fmt) if name is not None]
    except ValueError as exc:
        raise BadInput(f"invalid number format {fmt!r}: {exc}") from None
    names = [name for name, _ in parts]
    if any(len(digits) > 2 for _, spec in parts for digits in re.findall(r"\d+", spec)):
        raise BadInput(f"invalid number format {fmt!r}: widths of at most 99 characters")
    unknown = sorted(set(names) - FIELDS)
    if unknown:
        raise BadInput(f"invalid number format {fmt!r}: unknown field(s) {', '.join(unknown)}; "
                       "use {register}, {year} and {number}")
    missing = [name for name in ("number", "year") if name not in names]
    if missing:
        raise BadInput(f"invalid number format {fmt!r}: it must contain {' and '.join('{' + m + '}' for m in missing)}")
    try:
        samples = {format_reference(RegisterKind.incoming, year, number, fmt)
                   for year, number in ((2026, 1), (2026, 2), (2027, 1), (2026, 99999))}
        longest = format_reference(RegisterKind.incoming, 9999, 9_999_999, fmt)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise BadInput(f"invalid number format {fmt!r}: {exc}") from None
    if len(samples) != 4:
        raise BadInput(f"invalid number format {fmt!r}: different numbers must give different references")
    if len(longest) > MAX_REFERENCE:
        raise BadInput(f"invalid number format {fmt!r}: references would exceed {MAX_REFERENCE} characters")
    return fmt


def format_of(session: Session, tenant_id: str, register: RegisterKind) -> str:
    row = session.get(RegisterSetting, (tenant_id, register.value))
    return row.number_format if row is not None else DEFAULT_FORMAT


def reference(session: Session, tenant_id: str, register: RegisterKind, year: int, number: int) -> str:
    return format_reference(register, year, number, format_of(session, tenant_id, register))


def set_format(session: Session, tenant_id: str, actor_id: str | None, register: RegisterKind, fmt: str) -> str:
    fmt = check_format(fmt)
    row = session.get(RegisterSetting, (tenant_id, register.value))
    before = row.number_format if row is not None else DEFAULT_FORMAT
    if before == fmt:
        return fmt
    if row is None:
        row = RegisterSetting(tenant_id=tenant_id, register_code=register.value, number_format=fmt)
    row.number_format = fmt
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="register.format_changed",
                 object_type="register", object_id=register.value, data={"from": before, "to": fmt})
    return fmt


def all_formats(session: Session, tenant_id: str) -> dict[str, str]:
    return {kind.name: format_of(session, tenant_id, kind) for kind in RegisterKind}
