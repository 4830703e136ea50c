"""The destruction certificate (procès-verbal d'élimination): what was destroyed, under which authorisation.

Two renderings of the same listing, both filed as a record of their own: a PDF for people (A4 landscape,
one line per record: number, title, class, dates, SHA-256 digests) and an XML document for machines
(namespace ``urn:dms:destruction-certificate:1``), next to the SEDA ArchiveDestructionNotification that
``metadata.messages`` builds for the State Archives.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from lxml import etree

NAMESPACE = "urn:dms:destruction-certificate:1"


@dataclass(frozen=True)
class Line:
    record_id: str
    reference: str
    title: str
    classification: str  # notation and label (or the URI)
    registered: datetime | None
    received: datetime | None
    closed: date | None
    due: date | None
    digests: list[str]


@dataclass(frozen=True)
class Certificate:
    tenant_name: str
    batch_number: int
    batch_id: str
    authorization_reference: str
    executed_at: datetime
    executed_by: str
    lines: list[Line]

    @property
    def title(self) -> str:
        return f"Certificat de destruction — bordereau n° {self.batch_number}"


def _day(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""


def to_xml(cert: Certificate) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}DestructionCertificate", nsmap={None: NAMESPACE})
    for name, value in (("Organization", cert.tenant_name), ("Batch", str(cert.batch_number)),
                        ("BatchId", cert.batch_id), ("AuthorizationReference", cert.authorization_reference),
                        ("ExecutedAt", _iso(cert.executed_at)), ("ExecutedBy", cert.executed_by)):
        etree.SubElement(root, f"{{{NAMESPACE}}}{name}").text = value
    listing = etree.SubElement(root, f"{{{NAMESPACE}}}Records", count=str(len(cert.lines)))
    for line in cert.lines:
        item = etree.SubElement(listing, f"{{{NAMESPACE}}}Record", id=line.record_id)
        for name, value in (("Number", line.reference), ("Title", line.title), ("Class", line.classification),
                            ("Registered", _iso(line.registered)), ("Received", _iso(line.received)),
                            ("Closed", _iso(line.closed)), ("Due", _iso(line.due))):
            etree.SubElement(item, f"{{{NAMESPACE}}}{name}").text = value
        for digest in line.digests:
            etree.SubElement(item, f"{{{NAMESPACE}}}Digest", algorithm="SHA-256").text = digest
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_text(cert: Certificate) -> str:
    """The searchable text of the certificate record (what extraction would have found in the PDF)."""
    head = f"{cert.tenant_name}\n{cert.title}\nAutorisation {cert.authorization_reference}\n"
    return head + "\n".join(f"{line.reference} {line.title} {line.classification}" for line in cert.lines)


def to_pdf(cert: Certificate) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from dms.register_export import _fonts

    regular, bold = _fonts()
    page = landscape(A4)
    body = ParagraphStyle("cell", fontName=regular, fontSize=7, leading=9)
    head = ParagraphStyle("head", parent=body, fontName=bold)
    title = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)
    sub = ParagraphStyle("sub", fontName=regular, fontSize=10, leading=13)

    def cell(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    columns = ("Numéro", "Objet", "Classe", "Enregistré", "Reçu", "Clôturé", "Échéance", "Empreinte SHA-256")
    rows = [[cell(c, head) for c in columns]]
    for line in cert.lines:
        rows.append([cell(line.reference), cell(line.title), cell(line.classification), cell(_day(line.registered)),
                     cell(_day(line.received)), cell(_day(line.closed)), cell(_day(line.due)),
                     cell(" ".join(line.digests) or "—")])
    widths = [x * mm for x in (26, 60, 40, 18, 18, 18, 18, 0)]
    widths[-1] = page[0] - 30 * mm - sum(widths)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [
        cell(cert.tenant_name, title), cell(cert.title, sub),
        cell(f"Autorisation des Archives de l'État : {cert.authorization_reference}", sub),
        cell(f"Exécuté le {_day(cert.executed_at)} par {cert.executed_by} — {len(cert.lines)} document(s) "
             "détruit(s) ; les métadonnées et les empreintes ci-dessous sont conservées.", sub),
        Spacer(1, 4 * mm), table,
    ]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                      bottomMargin=12 * mm, title=cert.title, author=cert.tenant_name, creator="dms").build(story)
    return out.getvalue()
