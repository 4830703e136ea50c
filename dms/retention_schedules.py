"""Retention schedules (tableau de tri): one rule per class of the classification plan, inherited by the
narrower classes that have none of their own.

A rule says when the period starts (the record's registration, receipt or cut-off date, or a named event
recorded later), how long it runs (an ISO 8601 duration such as ``P10Y`` or ``P6M``, parsed with isodate)
and what happens at its end (DESTROY, TRANSFER to the archives, RETAIN_PERMANENTLY, or REVIEW by an
archivist), with the legal text that justifies it. Schedules import and export as CSV (UTF-8, ``;``), the
form the State Archives' tables of retention come in.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import isodate
from sqlmodel import Session, select

from dms import vocabulary
from dms.audit import record_event
from dms.errors import BadInput, NotFound
from dms.models import FinalAction, RetentionSchedule
from dms.models.base import utcnow
from thesaurus.hierarchy import ancestors, descendants

TRIGGERS = ("registered", "received", "closed", "event")
CSV_HEADER = ("class", "notation", "trigger", "event", "period", "final_action", "legal_reference")
MAX_CSV_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Period:
    """An ISO 8601 duration reduced to what a calendar date can move by: years, months and days."""

    years: int
    months: int
    days: int

    def add_to(self, start: date) -> date:
        months = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + months // 12, months % 12 + 1
        day = min(start.day, _days_in_month(year, month))
        return date(year, month, day) + timedelta(days=self.days)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def parse_period(text: str) -> Period:
    """``P10Y``, ``P6M``, ``P2Y6M``, ``P30D``, ``P4W``; refused: times of day, negative or zero periods."""
    value = (text or "").strip().upper()
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError):
        raise BadInput(f"period {text!r} is not an ISO 8601 duration such as P10Y") from None
    if isinstance(parsed, timedelta):
        years, months, rest = 0, 0, parsed
    else:
        years, months, rest = int(parsed.years), int(parsed.months), parsed.tdelta
        if parsed.years != years or parsed.months != months:
            raise BadInput(f"period {text!r}: years and months must be whole numbers")
    if rest.seconds or rest.microseconds:
        raise BadInput(f"period {text!r}: a retention period counts in years, months, weeks or days")
    period = Period(years, months, rest.days)
    if min(years, months, rest.days) < 0 or (years, months, rest.days) == (0, 0, 0):
        raise BadInput(f"period {text!r} must be positive")
    return period


def _check(session: Session, tenant_id: str, class_uri: str, trigger: str, event: str | None, period: str,
           final_action: str) -> tuple[str, str, str | None, str, str]:
    class_uri = (class_uri or "").strip()
    vocab = vocabulary.view(session, tenant_id)
    concept = vocab.thesaurus.get(class_uri)
    if concept is None:
        # a notation names a class too (what a table of retention uses)
        concept = next((c for c in vocab.thesaurus.concepts.values()
                        if c.notation == class_uri and vocab.is_plan_concept(c.uri)), None)
    if concept is None or not vocab.is_plan_concept(concept.uri):
        raise BadInput(f"<{class_uri}> is not a class of the classification plan")
    trigger = (trigger or "").strip().lower()
    if trigger not in TRIGGERS:
        raise BadInput(f"unknown trigger {trigger!r}: {', '.join(TRIGGERS)}")
    event = (event or "").strip() or None
    if trigger == "event" and not event:
        raise BadInput("an event trigger needs the event's name")
    if trigger != "event":
        event = None
    period_text = (period or "").strip().upper()
    parse_period(period_text)
    action = (final_action or "").strip().upper()
    if action not in FinalAction.__members__.values():
        raise BadInput(f"unknown final action {final_action!r}: {', '.join(a.value for a in FinalAction)}")
    return concept.uri, trigger, event, period_text, action


def put_schedule(session: Session, tenant_id: str, actor_id: str | None, *, class_uri: str, trigger: str,
                 period: str, final_action: str, event: str | None = None,
                 legal_reference: str = "") -> RetentionSchedule:
    """Create or replace the schedule of one class (by URI or notation); audited with before and after."""
    class_uri, trigger, event, period, action = _check(session, tenant_id, class_uri, trigger, event, period,
                                                       final_action)
    row = session.exec(select(RetentionSchedule).where(RetentionSchedule.tenant_id == tenant_id,
                                                       RetentionSchedule.class_uri == class_uri)
                       .with_for_update()).first()
    before = to_dict(row) if row else None
    if row is None:
        row = RetentionSchedule(tenant_id=tenant_id, class_uri=class_uri, trigger=trigger, period=period,
                                final_action=action)
    row.trigger, row.trigger_event, row.period, row.final_action = trigger, event, period, action
    row.legal_reference = (legal_reference or "").strip()[:4000]
    row.updated_at, row.updated_by = utcnow(), actor_id
    after = to_dict(row)
    if before is not None and {k: v for k, v in before.items() if k != "updated_at"} == {
            k: v for k, v in after.items() if k != "updated_at"}:
        return row
    session.add(row)
    session.flush()
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.schedule.saved",
                 object_type="retention_schedule", object_id=row.id,
                 data={"before": before, "after": to_dict(row)})
    return row


def delete_schedule(session: Session, tenant_id: str, actor_id: str | None, schedule_id: str) -> None:
    row = session.get(RetentionSchedule, schedule_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("no such schedule")
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="retention.schedule.deleted",
                 object_type="retention_schedule", object_id=row.id, data={"before": to_dict(row)})
    session.delete(row)
    session.flush()


def list_schedules(session: Session, tenant_id: str) -> list[RetentionSchedule]:
    return list(session.exec(select(RetentionSchedule).where(RetentionSchedule.tenant_id == tenant_id)
                             .order_by(RetentionSchedule.class_uri)).all())


def to_dict(row: RetentionSchedule) -> dict[str, Any]:
    return {"id": row.id, "class": row.class_uri, "trigger": row.trigger, "event": row.trigger_event,
            "period": row.period, "final_action": row.final_action, "legal_reference": row.legal_reference,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}


# ------------------------------------------------------------------------------------------ inheritance


def effective(session: Session, tenant_id: str) -> dict[str, RetentionSchedule]:
    """Every class of the tenant's plan that a schedule governs -> that schedule: its own, else the nearest
    broader class's (poly-hierarchy: the nearest, then the first URI, so the answer is stable)."""
    schedules = {row.class_uri: row for row in list_schedules(session, tenant_id)}
    if not schedules:
        return {}
    vocab = vocabulary.view(session, tenant_id)
    thesaurus = vocab.thesaurus
    governed: dict[str, RetentionSchedule] = {}
    candidates: set[str] = set(schedules)
    for uri in schedules:
        candidates.update(descendants(thesaurus, uri) if uri in thesaurus else {})
    for uri in candidates:
        if uri in schedules:
            governed[uri] = schedules[uri]
            continue
        above = ancestors(thesaurus, uri)
        nearest = sorted((distance, broader) for broader, distance in above.items() if broader in schedules)
        if nearest:
            governed[uri] = schedules[nearest[0][1]]
    return governed


def schedule_for(session: Session, tenant_id: str, class_uri: str | None) -> RetentionSchedule | None:
    if not class_uri:
        return None
    return effective(session, tenant_id).get(class_uri)


# ------------------------------------------------------------------------------------------------- CSV


def export_csv(session: Session, tenant_id: str) -> bytes:
    vocab = vocabulary.view(session, tenant_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in list_schedules(session, tenant_id):
        concept = vocab.thesaurus.get(row.class_uri)
        writer.writerow((row.class_uri, concept.notation if concept else "", row.trigger, row.trigger_event or "",
                         row.period, row.final_action, row.legal_reference))
    return out.getvalue().encode("utf-8-sig")


def import_csv(session: Session, tenant_id: str, actor_id: str | None, data: bytes) -> dict[str, int]:
    """All or nothing: every line is checked first; one bad line refuses the file, naming each bad line.
    A line's ``class`` is a class URI or, when empty, its ``notation``."""
    if len(data) > MAX_CSV_BYTES:
        raise BadInput("CSV file larger than 5 MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("the CSV file must be UTF-8") from None
    sample = text[:2000]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = {"trigger", "period", "final_action"} - set(reader.fieldnames or [])
    if missing or not ({"class", "notation"} & set(reader.fieldnames or [])):
        raise BadInput(f"CSV header must name the columns {', '.join(CSV_HEADER)}")
    wanted, problems = [], []
    for line_no, line in enumerate(reader, start=2):
        ref = (line.get("class") or "").strip() or (line.get("notation") or "").strip()
        try:
            checked = _check(session, tenant_id, ref, line.get("trigger") or "", line.get("event"),
                             line.get("period") or "", line.get("final_action") or "")
        except BadInput as exc:
            problems.append(f"line {line_no}: {exc.message}")
            continue
        wanted.append((checked, (line.get("legal_reference") or "").strip()))
    if problems:
        raise BadInput(f"CSV refused, nothing changed: {'; '.join(problems[:20])}", problems=problems)
    saved = 0
    for (uri, trigger, event, period, action), legal in wanted:
        put_schedule(session, tenant_id, actor_id, class_uri=uri, trigger=trigger, event=event, period=period,
                     final_action=action, legal_reference=legal)
        saved += 1
    return {"lines": saved}
