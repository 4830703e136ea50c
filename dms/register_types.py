"""Which file types each register of a tenant accepts (issue 11: "MIME from the bytes with a per-register
allow list").

Intake accepts a fixed set of types, detected from the bytes (``ingest.detect``). A tenant's admin may narrow
it per register: for example only PDF and images in the outgoing register, where every letter is signed and
scanned. A register without a list accepts every type intake accepts. A list can only narrow, never widen:
each type on it must be one intake accepts (the caller passes that set, which lives on the intake floor).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from dms.audit import record_event
from dms.errors import BadInput, UnsupportedType
from dms.models import RegisterKind, RegisterMimePolicy
from dms.models.base import utcnow

_NAMES = {RegisterKind.incoming: "entrant", RegisterKind.outgoing: "sortant", RegisterKind.internal: "interne"}
MAX_TYPES = 100


def allowed(session: Session, tenant_id: str, register: RegisterKind) -> list[str] | None:
    """The register's list, or None when it accepts every type intake accepts."""
    row = session.get(RegisterMimePolicy, (tenant_id, register.value))
    return list(row.mime_types) if row is not None else None


def check(session: Session, tenant_id: str, register: RegisterKind, mime: str) -> None:
    """UnsupportedType (415) when the register's list leaves ``mime`` out."""
    types = allowed(session, tenant_id, register)
    if types is not None and mime not in types:
        raise UnsupportedType(f"Type de fichier refusé : {mime} (non accepté dans le registre {_NAMES[register]}).",
                              mime=mime, register=register.name)


def set_types(session: Session, tenant_id: str, actor_id: str | None, register: RegisterKind,
              types: Iterable[str] | None, *, accepted: frozenset[str]) -> list[str] | None:
    """Set (or with None, remove) a register's list; each type must be one of ``accepted``."""
    wanted = None
    if types is not None:
        wanted = sorted({t.strip().lower() for t in types if t.strip()})
        if not wanted:
            raise BadInput("a list of accepted types needs at least one type (or null for every accepted type)")
        if len(wanted) > MAX_TYPES:
            raise BadInput(f"at most {MAX_TYPES} types")
        unknown = [t for t in wanted if t not in accepted]
        if unknown:
            raise BadInput(f"not types that intake accepts: {', '.join(unknown)}")
    row = session.exec(select(RegisterMimePolicy).where(RegisterMimePolicy.tenant_id == tenant_id,
                                                        RegisterMimePolicy.register_code == register.value)
                       .with_for_update()).first()
    before = list(row.mime_types) if row is not None else None
    if before == wanted:
        return wanted
    if wanted is None:
        session.delete(row)
    else:
        row = row or RegisterMimePolicy(tenant_id=tenant_id, register_code=register.value)
        row.mime_types = wanted
        row.updated_at = utcnow()
        session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="register.mime_types_changed",
                 object_type="register", object_id=register.value, data={"from": before, "to": wanted})
    return wanted


def all_types(session: Session, tenant_id: str) -> dict[str, list[str] | None]:
    return {kind.name: allowed(session, tenant_id, kind) for kind in RegisterKind}
