"""Mail types: a per-tenant list (letter, invoice, registered-mail return…) a record's ``mail_type`` is chosen
from. A tenant gets the defaults the first time it reads or uses the list; an admin adds, renames or
deactivates types. A type is never deleted: registered mail keeps its code."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import Session, select

from dms.audit import record_event
from dms.errors import BadInput, Conflict, NotFound
from dms.models import MailType
from dms.models.base import new_id

DEFAULTS: tuple[tuple[str, str], ...] = (
    ("lettre", "Lettre"),
    ("facture", "Facture"),
    ("recommande-retour", "Recommandé — retour"),
    ("certificat", "Certificat"),
    ("courriel", "Courriel"),
    ("formulaire", "Formulaire"),
    ("invitation", "Invitation"),
    ("plainte", "Plainte"),
    ("demande", "Demande"),
)
_SEED = text(
    "INSERT INTO mail_types (id, tenant_id, code, label, active) VALUES (:id, :tenant, :code, :label, true) "
    "ON CONFLICT (tenant_id, code) DO NOTHING"
)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def ensure_defaults(session: Session, tenant_id: str) -> None:
    """Seed the defaults once: a tenant with any type (even all deactivated) is left as it is."""
    if session.exec(select(MailType.id).where(MailType.tenant_id == tenant_id).limit(1)).first() is not None:
        return
    for code, label in DEFAULTS:  # two first uses at once: the second insert of a code does nothing
        session.execute(_SEED, {"id": new_id(), "tenant": tenant_id, "code": code, "label": label})


def list_types(session: Session, tenant_id: str, *, include_inactive: bool = False) -> list[MailType]:
    ensure_defaults(session, tenant_id)
    query = select(MailType).where(MailType.tenant_id == tenant_id)
    if not include_inactive:
        query = query.where(MailType.active == True)  # noqa: E712
    return list(session.exec(query.order_by(MailType.label, MailType.code)).all())


def get(session: Session, tenant_id: str, code: str) -> MailType:
    row = session.exec(select(MailType).where(MailType.tenant_id == tenant_id, MailType.code == code)).first()
    if row is None:
        raise NotFound(f"no mail type {code!r}")
    return row


def check_code(session: Session, tenant_id: str, code: str | None) -> str | None:
    """The code a record may carry: an active type of this tenant (BadInput naming the choices otherwise)."""
    if code is None or code == "":
        return None
    ensure_defaults(session, tenant_id)
    row = session.exec(select(MailType).where(MailType.tenant_id == tenant_id, MailType.code == code)).first()
    if row is None or not row.active:
        codes = ", ".join(t.code for t in list_types(session, tenant_id))
        raise BadInput(f"unknown mail type {code!r}: one of {codes}")
    return row.code


def create(session: Session, tenant_id: str, actor_id: str | None, code: str, label: str) -> MailType:
    ensure_defaults(session, tenant_id)
    code = code.strip().lower()
    label = " ".join(label.split())
    if not _CODE.match(code):
        raise BadInput(f"invalid mail type code {code!r}: lowercase letters, digits, - and _")
    if not label or len(label) > 200:
        raise BadInput("a mail type needs a label of 1 to 200 characters")
    if session.exec(select(MailType).where(MailType.tenant_id == tenant_id, MailType.code == code)).first():
        raise Conflict(f"mail type {code!r} already exists")
    row = MailType(tenant_id=tenant_id, code=code, label=label)
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="mail_type.created",
                 object_type="mail_type", object_id=row.id, data={"code": code, "label": label})
    return row


def update(session: Session, tenant_id: str, actor_id: str | None, code: str, *, label: str | None = None,
           active: bool | None = None) -> MailType:
    ensure_defaults(session, tenant_id)
    row = get(session, tenant_id, code)
    done: dict[str, dict] = {}
    if label is not None:
        label = " ".join(label.split())
        if not label or len(label) > 200:
            raise BadInput("a mail type needs a label of 1 to 200 characters")
        if label != row.label:
            done["label"] = {"from": row.label, "to": label}
            row.label = label
    if active is not None and active != row.active:
        done["active"] = {"from": row.active, "to": active}
        row.active = active
    if done:
        session.add(row)
        session.flush()
        record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="mail_type.updated",
                     object_type="mail_type", object_id=row.id, data={"code": row.code, "changes": done})
    return row


def to_dict(row: MailType) -> dict:
    return {"code": row.code, "label": row.label, "active": row.active}
