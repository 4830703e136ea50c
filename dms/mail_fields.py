"""A record's mail fields (sender, recipients, services, assignee, dates, mail type, send modes, links), checked
against the tenant's own directory, services, users, mail types and records before anything is written.

Every id must belong to the record's tenant: another tenant's contact, service, user or record is refused
as unknown (400 naming the field), never linked. ``check`` returns the values as the records table stores
them; ``records.register`` and ``records.update`` are its only callers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from dms import mail_types
from dms.errors import BadInput
from dms.models import Contact, Record, Service, User
from dms.record_metadata import as_datetime

SEND_MODES = ("courrier", "recommande", "email", "remise-en-main-propre", "fax", "guichet", "plateforme")
MAX_LIST = 200
FIELDS = (
    "external_reference",
    "sent_at",
    "sender_id",
    "recipient_ids",
    "treating_service_id",
    "copy_service_ids",
    "assignee_id",
    "due_date",
    "mail_type",
    "send_modes",
    "reply_to_id",
    "related_ids",
)
LIST_FIELDS = ("recipient_ids", "copy_service_ids", "send_modes", "related_ids")


def _ids(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple):
        raise BadInput(f"{name} must be a list")
    items = list(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    if len(items) > MAX_LIST:
        raise BadInput(f"{name}: at most {MAX_LIST} values")
    return items


def _one(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _contacts(session: Session, tenant_id: str, ids: list[str], name: str) -> None:
    found = set(session.exec(select(Contact.id).where(Contact.tenant_id == tenant_id, Contact.id.in_(ids))).all()) \
        if ids else set()
    missing = [i for i in ids if i not in found]
    if missing:
        raise BadInput(f"{name}: no such contact {missing[0]}")


def _services(session: Session, tenant_id: str, ids: list[str], name: str) -> list[str]:
    """Ids or codes of the tenant's services, as ids."""
    rows = session.exec(select(Service).where(Service.tenant_id == tenant_id)).all() if ids else []
    by_ref = {r.id: r.id for r in rows} | {r.code: r.id for r in rows}
    missing = [i for i in ids if i not in by_ref]
    if missing:
        raise BadInput(f"{name}: no such service {missing[0]}")
    return list(dict.fromkeys(by_ref[i] for i in ids))


def _records(session: Session, tenant_id: str, ids: list[str], name: str, own_id: str | None) -> None:
    if own_id is not None and own_id in ids:
        raise BadInput(f"{name}: a record cannot be linked to itself")
    found = set(session.exec(select(Record.id).where(Record.tenant_id == tenant_id, Record.id.in_(ids))).all()) \
        if ids else set()
    missing = [i for i in ids if i not in found]
    if missing:
        raise BadInput(f"{name}: no such record {missing[0]}")


def check(session: Session, tenant_id: str, values: dict[str, object], *, record_id: str | None = None) -> dict:
    """The given mail fields, checked and normalised; fields not given are left out."""
    out: dict[str, object] = {}
    for name, value in values.items():
        if name not in FIELDS:
            continue
        if name == "external_reference":
            text = " ".join(str(value or "").split())
            if len(text) > 200:
                raise BadInput("external_reference longer than 200 characters")
            out[name] = text
        elif name == "sent_at":
            if isinstance(value, str) and value:
                try:
                    value = datetime.fromisoformat(value)
                except ValueError:
                    raise BadInput(f"sent_at: not an ISO 8601 date {value!r}") from None
            out[name] = as_datetime(value or None)  # type: ignore[arg-type]
        elif name == "due_date":
            if isinstance(value, str) and value:
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    raise BadInput(f"due_date: not an ISO 8601 date {value!r}") from None
            if isinstance(value, datetime):
                value = value.date()
            out[name] = value or None
        elif name == "sender_id":
            sender = _one(value)
            _contacts(session, tenant_id, [sender] if sender else [], name)
            out[name] = sender
        elif name == "recipient_ids":
            ids = _ids(value, name)
            _contacts(session, tenant_id, ids, name)
            out[name] = ids
        elif name == "treating_service_id":
            service = _one(value)
            out[name] = _services(session, tenant_id, [service], name)[0] if service else None
        elif name == "copy_service_ids":
            out[name] = _services(session, tenant_id, _ids(value, name), name)
        elif name == "assignee_id":
            user_id = _one(value)
            if user_id:
                user = session.get(User, user_id)
                if user is None or user.tenant_id != tenant_id:
                    raise BadInput(f"assignee_id: no such user {user_id}")
            out[name] = user_id
        elif name == "mail_type":
            out[name] = mail_types.check_code(session, tenant_id, _one(value))
        elif name == "send_modes":
            modes = _ids(value, name)
            unknown = [m for m in modes if m not in SEND_MODES]
            if unknown:
                raise BadInput(f"send_modes: unknown mode {unknown[0]!r}: one of {', '.join(SEND_MODES)}")
            out[name] = modes
        elif name == "reply_to_id":
            target = _one(value)
            _records(session, tenant_id, [target] if target else [], name, record_id)
            out[name] = target
        elif name == "related_ids":
            ids = _ids(value, name)
            _records(session, tenant_id, ids, name, record_id)
            out[name] = ids
    return out
