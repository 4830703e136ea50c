"""A tenant's services (departments: urbanisme, état civil…) and who works in them.

This is what routes mail: a record has a treating service and services in copy, and an agent sees and acts
on the mail of their own services only (clerks, archivists and admins on all of their tenant's). The rule
lives here, once, and ``records.get`` and ``searching.search_records`` apply it.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from dms.accounts import Principal
from dms.audit import record_event
from dms.errors import BadInput, Conflict, NotFound
from dms.models import Record, Role, Service, User, UserService

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: The filter value an agent with no service searches with: no record carries it, so they find nothing.
NO_SERVICE = "none"


def create(session: Session, tenant_id: str, actor_id: str | None, code: str, name: str) -> Service:
    code = code.strip().lower()
    name = " ".join(name.split()) or code
    if not _CODE.match(code):
        raise BadInput(f"invalid service code {code!r}: lowercase letters, digits, - and _")
    if len(name) > 200:
        raise BadInput("service name longer than 200 characters")
    if session.exec(select(Service).where(Service.tenant_id == tenant_id, Service.code == code)).first():
        raise Conflict(f"service {code!r} already exists")
    row = Service(tenant_id=tenant_id, code=code, name=name)
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="service.created", object_type="service",
                 object_id=row.id, data={"code": code, "name": name})
    return row


def list_services(session: Session, tenant_id: str) -> list[Service]:
    return list(session.exec(select(Service).where(Service.tenant_id == tenant_id).order_by(Service.code)).all())


def get(session: Session, tenant_id: str, service_id_or_code: str) -> Service:
    """By id or by code, within the tenant."""
    row = session.get(Service, service_id_or_code)
    if row is None or row.tenant_id != tenant_id:
        row = session.exec(
            select(Service).where(Service.tenant_id == tenant_id, Service.code == service_id_or_code)
        ).first()
    if row is None:
        raise NotFound("no such service")
    return row


def _user(session: Session, tenant_id: str, user_ref: str) -> User:
    user = session.get(User, user_ref)
    if user is None:
        user = session.exec(select(User).where(User.email == user_ref.strip().lower())).first()
    if user is None or user.tenant_id != tenant_id:
        raise NotFound("no such user")
    return user


def add_member(session: Session, tenant_id: str, actor_id: str | None, user_ref: str, service_ref: str) -> UserService:
    """Put a user (id or e-mail) in a service of the same tenant; doing it twice changes nothing."""
    user = _user(session, tenant_id, user_ref)
    service = get(session, tenant_id, service_ref)
    link = session.get(UserService, (user.id, service.id))
    if link is not None:
        return link
    link = UserService(user_id=user.id, service_id=service.id)
    session.add(link)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="service.member_added",
                 object_type="service", object_id=service.id, data={"user_id": user.id, "email": user.email})
    return link


def remove_member(session: Session, tenant_id: str, actor_id: str | None, user_ref: str, service_ref: str) -> None:
    user = _user(session, tenant_id, user_ref)
    service = get(session, tenant_id, service_ref)
    link = session.get(UserService, (user.id, service.id))
    if link is None:
        return
    session.delete(link)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="service.member_removed",
                 object_type="service", object_id=service.id, data={"user_id": user.id, "email": user.email})


def members(session: Session, tenant_id: str, service_ref: str) -> list[User]:
    service = get(session, tenant_id, service_ref)
    return list(session.exec(
        select(User).join(UserService, UserService.user_id == User.id)
        .where(UserService.service_id == service.id).order_by(User.email)
    ).all())


def service_ids_of(session: Session, user_id: str | None) -> list[str]:
    if user_id is None:
        return []
    return sorted(session.exec(select(UserService.service_id).where(UserService.user_id == user_id)).all())


def restricted_to(session: Session, principal: Principal | None) -> list[str] | None:
    """The services whose mail the principal may see, or None when they see all of their tenant's."""
    if principal is None or principal.role != Role.agent:
        return None
    return service_ids_of(session, principal.user_id)


def record_services(record: Record) -> list[str]:
    """The services a record is routed to: its treating service and its services in copy."""
    ids = [record.treating_service_id] if record.treating_service_id else []
    return list(dict.fromkeys(ids + list(record.copy_service_ids or [])))


def may_see(session: Session, principal: Principal | None, record: Record) -> bool:
    allowed = restricted_to(session, principal)
    return allowed is None or bool(set(allowed) & set(record_services(record)))


def to_dict(row: Service) -> dict:
    return {"id": row.id, "code": row.code, "name": row.name}
