"""The daily mail register ("registre du courrier"): one register's records over a period, as CSV or PDF.

The list is what a clerk prints or opens in Excel at the end of the day or month: every number of the
period in order, a cancelled one shown as cancelled (with its reason) rather than left out, so a reader
sees that the numbering has no gap. The period is by date of registration, in UTC days (docs/intake.md).

The CSV is UTF-8 with a byte-order mark and ``;`` as separator: that is what Excel set to a Belgian or
French locale opens correctly with a double click (with ``,`` it puts a whole line in one cell, and without
the BOM it reads the accents as Windows-1252).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from xml.sax.saxutils import escape

from sqlmodel import Session, select

from dms import models
from dms.accounts import Principal
from dms.errors import BadInput, Forbidden
from dms.models import Record, RegisterKind, Role, Service, Tenant

#: Who may export a register: the registry clerks, the tenant's admin and the archivist (not agents, who
#: see only their services' mail).
EXPORT_ROLES = frozenset({Role.clerk, Role.admin, Role.archivist})
#: Longest period one export covers: a year of mail, a bounded answer.
MAX_DAYS = 366
FORMATS = ("csv", "pdf")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}

REGISTER_TITLES = {
    RegisterKind.incoming: "Registre du courrier entrant",
    RegisterKind.outgoing: "Registre du courrier sortant",
    RegisterKind.internal: "Registre du courrier interne",
}
STATUS_LABELS = {
    "created": "créé",
    "proposed_to_manager": "proposé au responsable",
    "proposed_to_agent": "proposé à l'agent",
    "in_treatment": "en traitement",
    "to_be_signed": "à signer",
    "signed": "signé",
    "sent": "envoyé",
    "closed": "clôturé",
}
CANCELLED = "ANNULÉ"
CSV_HEADER = ("Numéro", "Date d'enregistrement", "Date de réception", "Objet", "Correspondant",
              "Service traitant", "Statut")


@dataclass(frozen=True)
class RegisterLine:
    reference: str
    year: int
    number: int
    registered_at: datetime
    received_at: datetime | None
    subject: str
    correspondent: str  # the sender of incoming mail, the recipients of outgoing mail
    treating_service: str
    status: str
    cancelled: bool
    cancel_reason: str | None


@dataclass(frozen=True)
class RegisterListing:
    tenant_name: str
    register: RegisterKind
    start: date
    end: date
    lines: list[RegisterLine]

    @property
    def title(self) -> str:
        return REGISTER_TITLES[self.register]

    def filename(self, fmt: str) -> str:
        return f"registre-{self.register.name}-{self.start.isoformat()}_{self.end.isoformat()}.{fmt}"


@dataclass(frozen=True)
class RegisterFile:
    content: bytes
    media_type: str
    filename: str
    lines: int


def authorize(principal: Principal) -> str:
    """The tenant whose register the principal may export; raises Forbidden otherwise."""
    if principal.role not in EXPORT_ROLES or principal.tenant_id is None:
        raise Forbidden(f"role {principal.role.value} may not export a register")
    return principal.tenant_id


def parse_period(start: str | date, end: str | date) -> tuple[date, date]:
    def as_date(value: str | date, name: str) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise BadInput(f"{name}: expected a date as YYYY-MM-DD, got {value!r}") from None

    first, last = as_date(start, "from"), as_date(end, "to")
    if last < first:
        raise BadInput("the period ends before it starts (to < from)")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadInput(f"a register export covers at most {MAX_DAYS} days")
    return first, last


def listing(session: Session, tenant_id: str, register: RegisterKind, start: date, end: date) -> RegisterListing:
    """The tenant's records of ``register`` registered from ``start`` to ``end`` (inclusive), in number order."""
    low = datetime.combine(start, time.min, tzinfo=UTC)
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    rows = list(session.exec(
        select(Record)
        .where(Record.tenant_id == tenant_id, Record.register_code == register.value,
               Record.registered_at >= low, Record.registered_at < high)
        .order_by(Record.year, Record.number)
    ).all())
    tenant = session.get(Tenant, tenant_id)
    contacts = _contact_names(session, tenant_id, {
        cid for r in rows for cid in [getattr(r, "sender_id", None), *(getattr(r, "recipient_ids", None) or [])]
        if cid
    })
    services = _service_names(session, tenant_id, {getattr(r, "treating_service_id", None) for r in rows} - {None})
    lines = []
    for r in rows:
        if register == RegisterKind.outgoing:
            correspondent = ", ".join(contacts.get(c, "") for c in (getattr(r, "recipient_ids", None) or []))
        else:
            correspondent = contacts.get(getattr(r, "sender_id", None) or "", "")
        lines.append(RegisterLine(
            reference=r.reference, year=r.year, number=r.number, registered_at=r.registered_at,
            received_at=r.received_at, subject=r.subject, correspondent=correspondent.strip(", "),
            treating_service=services.get(getattr(r, "treating_service_id", None) or "", ""),
            status=CANCELLED if r.cancelled else STATUS_LABELS.get(r.status, r.status),
            cancelled=r.cancelled, cancel_reason=r.cancel_reason,
        ))
    return RegisterListing(tenant_name=tenant.name if tenant else "", register=register, start=start, end=end,
                           lines=lines)


def _contact_names(session: Session, tenant_id: str, ids: set[str]) -> dict[str, str]:
    """Display names of contacts, if this installation has the contacts directory (``dms.models.Contact``)."""
    contact = getattr(models, "Contact", None)
    if contact is None or not ids:
        return {}
    names = {}
    for row in session.exec(select(contact).where(contact.tenant_id == tenant_id, contact.id.in_(ids))).all():
        full = " ".join(p for p in (getattr(row, "first_name", ""), getattr(row, "last_name", "")) if p)
        names[row.id] = getattr(row, "name", "") or full
    return names


def _service_names(session: Session, tenant_id: str, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.exec(select(Service).where(Service.tenant_id == tenant_id, Service.id.in_(ids))).all()
    return {row.id: row.name for row in rows}


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def _cell(value: str) -> str:
    """Text as Excel must show it: a leading = + - @ would make a formula of a subject (CSV injection)."""
    value = " ".join(value.split())
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def status_text(line: RegisterLine) -> str:
    if line.cancelled and line.cancel_reason:
        return f"{CANCELLED} : {line.cancel_reason}"
    return line.status


def to_csv(listing: RegisterListing) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in listing.lines:
        writer.writerow((line.reference, _day(line.registered_at), _day(line.received_at), _cell(line.subject),
                         _cell(line.correspondent), _cell(line.treating_service), _cell(status_text(line))))
    return out.getvalue().encode("utf-8-sig")


def _fonts() -> tuple[str, str]:
    """DejaVu when installed (any name with accents or other scripts), else the PDF base fonts (Latin-1)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    try:
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", regular))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", bold))
        return "DejaVuSans", "DejaVuSans-Bold"
    except Exception:  # no such file, or not a usable font
        return "Helvetica", "Helvetica-Bold"


def to_pdf(listing: RegisterListing) -> bytes:
    """A4 landscape: the commune, the register and the period on every page, one table row per number,
    "page n / total" at the foot."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as pdfcanvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    page = landscape(A4)
    body = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10)
    struck = ParagraphStyle("cancelled", parent=body, textColor=colors.grey)
    head = ParagraphStyle("head", parent=body, fontName=bold)
    title = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)
    subtitle = ParagraphStyle("subtitle", fontName=regular, fontSize=10, leading=13)
    period = f"du {listing.start.strftime('%d/%m/%Y')} au {listing.end.strftime('%d/%m/%Y')}"
    heading = f"{listing.tenant_name} — {listing.title} — {period}"

    class NumberedCanvas(pdfcanvas.Canvas):
        """Two passes over the pages so each can say how many there are."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(regular, 8)
                self.drawString(15 * mm, 8 * mm, heading)
                self.drawRightString(page[0] - 15 * mm, 8 * mm, f"Page {self._pageNumber} / {total}")
                super().showPage()
            super().save()

    def cell(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    rows = [[cell(h, head) for h in CSV_HEADER]]
    for line in listing.lines:
        style = struck if line.cancelled else body
        rows.append([cell(line.reference, style), cell(_french_day(line.registered_at), style),
                     cell(_french_day(line.received_at), style), cell(line.subject, style),
                     cell(line.correspondent, style), cell(line.treating_service, style),
                     cell(status_text(line), style)])
    widths = [x * mm for x in (28, 22, 22, 88, 45, 30, 0)]
    widths[-1] = page[0] - 30 * mm - sum(widths)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story = [cell(listing.tenant_name, title), cell(f"{listing.title} — {period}", subtitle),
             cell(f"{len(listing.lines)} numéro(s), dont {sum(1 for x in listing.lines if x.cancelled)} annulé(s)",
                  subtitle), Spacer(1, 4 * mm)]
    story.append(table if listing.lines else cell("Aucun enregistrement sur la période.", subtitle))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                            bottomMargin=15 * mm, title=heading, author=listing.tenant_name, creator="dms")
    doc.build(story, canvasmaker=NumberedCanvas)
    return out.getvalue()


def _french_day(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def export_register(session: Session, principal: Principal, register: RegisterKind | str, start: str | date,
                    end: str | date, fmt: str = "csv") -> RegisterFile:
    """The one service function behind the API and the CLI."""
    tenant_id = authorize(principal)
    if isinstance(register, str):
        try:
            register = RegisterKind.parse(register)
        except ValueError:
            raise BadInput(f"unknown register {register!r}: incoming, outgoing or internal") from None
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}: csv or pdf")
    first, last = parse_period(start, end)
    found = listing(session, tenant_id, register, first, last)
    content = to_csv(found) if fmt == "csv" else to_pdf(found)
    return RegisterFile(content=content, media_type=MEDIA_TYPES[fmt], filename=found.filename(fmt),
                        lines=len(found.lines))
