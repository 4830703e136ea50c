"""The contacts directory of a tenant: organisations, persons and positions (a person's role in an
organisation), with postal address and e-mail. Senders and recipients of mail are chosen from it.

Every read and write is scoped by tenant: another tenant's contact is reported missing. Contacts are
deactivated rather than deleted, because registered mail keeps naming them.
"""

from __future__ import annotations

import re
import unicodedata

from sqlmodel import Session, col, select

from dms.audit import record_event
from dms.errors import BadInput, NotFound
from dms.models import Contact, ContactKind
from dms.models.base import utcnow
from metadata import Agent

MAX_PREFIX_RESULTS = 50
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Fields a caller may set; the limits mirror the columns.
FIELDS: dict[str, int] = {
    "name": 200,
    "first_name": 100,
    "last_name": 100,
    "role_title": 200,
    "email": 254,
    "phone": 50,
    "street": 200,
    "postal_code": 20,
    "city": 100,
    "country": 100,
}
LINKS = ("organisation_id", "person_id")


def fold(text: str) -> str:
    """Lowercase without accents, spaces collapsed: "Étienne  Dupré" -> "etienne dupre"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def _clean(values: dict[str, object]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for name, value in values.items():
        if name not in FIELDS:
            continue
        text = " ".join(str(value or "").split())
        if len(text) > FIELDS[name]:
            raise BadInput(f"{name} longer than {FIELDS[name]} characters")
        cleaned[name] = text
    if cleaned.get("email") and not _EMAIL.match(cleaned["email"]):
        raise BadInput(f"invalid e-mail address {cleaned['email']!r}")
    return cleaned


def get(session: Session, tenant_id: str, contact_id: str) -> Contact:
    row = session.get(Contact, contact_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("no such contact")
    return row


def _linked(session: Session, tenant_id: str, contact_id: str | None, kind: ContactKind, what: str) -> str | None:
    if not contact_id:
        return None
    try:
        row = get(session, tenant_id, contact_id)
    except NotFound:
        raise BadInput(f"{what} {contact_id} is not a contact of this tenant") from None
    if row.kind != kind.value:
        raise BadInput(f"{what} {contact_id} is a {row.kind}, not a {kind.value}")
    return row.id


def _check_and_key(session: Session, row: Contact) -> None:
    """The rules of each kind, then the folded names the prefix search uses."""
    if row.kind == ContactKind.organisation:
        if not row.name:
            raise BadInput("an organisation needs a name")
        row.first_name = row.last_name = ""
    elif row.kind == ContactKind.person:
        if not (row.name or row.last_name or row.first_name):
            raise BadInput("a person needs a name (last_name, first_name or name)")
        if not row.name:
            row.name = " ".join(p for p in (row.first_name, row.last_name) if p)
    else:
        if not row.person_id or not row.organisation_id:
            raise BadInput("a position needs a person_id and an organisation_id")
        person = session.get(Contact, row.person_id)
        organisation = session.get(Contact, row.organisation_id)
        role = f" - {row.role_title}" if row.role_title else ""
        row.name = f"{person.name}{role} ({organisation.name})"  # type: ignore[union-attr]
    keys = {fold(row.name), fold(row.last_name), fold(row.first_name)}
    if row.kind == ContactKind.position:
        person = session.get(Contact, row.person_id)
        keys |= {fold(person.last_name), fold(person.first_name), fold(person.name)}  # type: ignore[union-attr]
    # "|"-separated so a prefix can match the start of any of the names (see ``search``)
    row.search_key = "|" + "|".join(sorted(k for k in keys if k))[:398]


def create(session: Session, tenant_id: str, actor_id: str | None, kind: str, values: dict[str, object]) -> Contact:
    try:
        parsed = ContactKind(kind)
    except ValueError:
        raise BadInput(f"unknown contact kind {kind!r}: one of {', '.join(k.value for k in ContactKind)}") from None
    unknown = sorted(set(values) - set(FIELDS) - set(LINKS))
    if unknown:
        raise BadInput(f"unknown contact field(s): {', '.join(unknown)}")
    row = Contact(tenant_id=tenant_id, kind=parsed.value, **_clean(values))
    if parsed == ContactKind.position:
        row.person_id = _linked(session, tenant_id, values.get("person_id"), ContactKind.person, "person")  # type: ignore[arg-type]
        row.organisation_id = _linked(session, tenant_id, values.get("organisation_id"),  # type: ignore[arg-type]
                                      ContactKind.organisation, "organisation")
    elif parsed == ContactKind.person and values.get("organisation_id"):
        raise BadInput("link a person to an organisation with a position (kind position)")
    _check_and_key(session, row)
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="contact.created", object_type="contact",
                 object_id=row.id, data={"kind": row.kind, "name": row.name})
    return row


def update(session: Session, tenant_id: str, actor_id: str | None, contact_id: str,
           changes: dict[str, object]) -> Contact:
    row = get(session, tenant_id, contact_id)
    unknown = sorted(set(changes) - set(FIELDS) - {"active"})
    if unknown:
        raise BadInput(f"cannot change {', '.join(unknown)}")
    done: dict[str, dict] = {}
    wanted: dict[str, object] = dict(_clean(changes))
    if "active" in changes:
        wanted["active"] = bool(changes["active"])
    for name, value in wanted.items():
        if getattr(row, name) != value:
            done[name] = {"from": getattr(row, name), "to": value}
            setattr(row, name, value)
    if not done:
        return row
    _check_and_key(session, row)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="contact.updated", object_type="contact",
                 object_id=row.id, data={"changes": done})
    return row


def search(session: Session, tenant_id: str, prefix: str = "", *, kind: str | None = None,
           include_inactive: bool = False, limit: int = 20) -> list[Contact]:
    """Contacts whose name (or a first or last name) starts with ``prefix``, accents and case ignored: the
    autocomplete of the sender and recipient fields."""
    if not 1 <= limit <= MAX_PREFIX_RESULTS:
        raise BadInput(f"limit must be between 1 and {MAX_PREFIX_RESULTS}")
    query = select(Contact).where(Contact.tenant_id == tenant_id)
    folded = fold(prefix)
    if folded:
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(col(Contact.search_key).like(f"%|{escaped}%", escape="\\"))
    if kind:
        if kind not in ContactKind.__members__:
            raise BadInput(f"unknown contact kind {kind!r}: one of {', '.join(k.value for k in ContactKind)}")
        query = query.where(Contact.kind == kind)
    if not include_inactive:
        query = query.where(Contact.active == True)  # noqa: E712
    return list(session.exec(query.order_by(Contact.name, Contact.id).limit(limit)).all())


def to_dict(row: Contact) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "organisation_id": row.organisation_id,
        "person_id": row.person_id,
        "role_title": row.role_title,
        "email": row.email,
        "phone": row.phone,
        "address": {"street": row.street, "postal_code": row.postal_code, "city": row.city, "country": row.country},
        "active": row.active,
    }


def as_agent(session: Session, row: Contact) -> Agent:
    """The contact as a SEDA correspondent (Sender, Addressee): a position names the person within the
    organisation."""
    email = row.email or None
    if row.kind == ContactKind.organisation:
        return Agent(organisation=row.name, email=email, identifier=row.id)
    if row.kind == ContactKind.person:
        if row.first_name or row.last_name:
            return Agent(first_name=row.first_name or None, last_name=row.last_name or None, email=email,
                         identifier=row.id)
        return Agent(name=row.name, email=email, identifier=row.id)
    person = session.get(Contact, row.person_id)
    organisation = session.get(Contact, row.organisation_id)
    return Agent(
        first_name=(person.first_name or None) if person else None,
        last_name=(person.last_name or None) if person else None,
        name=None if person and (person.first_name or person.last_name) else (person.name if person else row.name),
        organisation=organisation.name if organisation else None,
        email=email or (person.email or None if person else None),
        identifier=row.id,
    )
