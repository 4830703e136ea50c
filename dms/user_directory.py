"""The tenant's users as its admin sees them: role, services and whether they can sign in to the web."""

from __future__ import annotations

from sqlmodel import Session, select

from dms.models import Service, User, UserService


def tenant_users(session: Session, tenant_id: str) -> list[dict]:
    users = session.exec(select(User).where(User.tenant_id == tenant_id).order_by(User.email)).all()
    links = session.exec(
        select(UserService.user_id, Service.name).join(Service, Service.id == UserService.service_id)
        .where(Service.tenant_id == tenant_id)
    ).all()
    services: dict[str, list[str]] = {}
    for user_id, name in links:
        services.setdefault(user_id, []).append(name)
    return [{"id": u.id, "email": u.email, "name": u.name, "role": u.role, "active": u.active,
             "has_password": bool(u.password_hash), "services": sorted(services.get(u.id, []))} for u in users]
