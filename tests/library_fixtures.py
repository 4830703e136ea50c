"""Letter templates and images made on the fly (python-docx, odfpy, Pillow): no binary committed.

The templates cut their placeholders across runs and spans on purpose, as Word and LibreOffice do."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from odf import draw, style, text
from odf.opendocument import OpenDocumentText
from PIL import Image

PUBLICCODE = """publiccodeYmlVersion: "0.4"
name: Courrier XSLT
url: https://git.example.org/commune/courrier-xslt
platforms: [web, linux]
developmentStatus: stable
softwareType: library
description:
  fr:
    shortDescription: Transformations XSLT pour le courrier communal
legal:
  license: EUPL-1.2
maintenance:
  type: community
localisation:
  localisationReady: true
  availableLanguages: [fr, nl]
"""


def png(color: tuple[int, int, int], size: tuple[int, int] = (120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def reply_docx(*, marker: str = "", extra_paragraphs: list[str] | None = None, logo: bool = True) -> bytes:
    """A reply template: the regional placeholder logo, the commune's address block, the reference of the letter
    answered split over three runs, and the footer in the section footer."""
    doc = Document()
    if logo:
        doc.add_picture(io.BytesIO(png((200, 200, 200))), width=Cm(4))
        for pr in doc.element.body.iter(qn("wp:docPr")):
            pr.set("name", "logo")
            pr.set("descr", "logo de la commune")
    doc.add_paragraph("{{ commune.name }}")
    doc.add_paragraph("{{ commune.street }}, {{ commune.postal_code }} {{ commune.city }}")
    to = doc.add_paragraph()
    for piece in ("À l'attention de {{ recip", "ient.name }}"):
        to.add_run(piece)
    ref = doc.add_paragraph()
    for piece, bold in (("Votre courrier n° {", False), ("{ record.refe", True), ("rence }}", False),
                        (" du {{ record.date }}", False)):
        ref.add_run(piece).bold = bold
    doc.add_paragraph("Objet : {{ reply.subject }}")
    doc.add_paragraph(f"Madame, Monsieur, nous accusons réception de votre demande. {marker}")
    doc.add_paragraph("{{ commune.signatory1_name }}, {{ commune.signatory1_title }}")
    for paragraph in extra_paragraphs or []:
        doc.add_paragraph(paragraph)
    doc.sections[0].footer.paragraphs[0].text = "{{ commune.footer }}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def reply_odt(*, extra: str = "") -> bytes:
    """The same letter as an ODT, its reference placeholder cut across two spans, the logo a named frame."""
    doc = OpenDocumentText()
    bold = style.Style(name="Gras", family="text")
    bold.addElement(style.TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    picture = doc.addPicture("Pictures/logo.png", "image/png", png((200, 200, 200)))
    frame_para = text.P()
    frame = draw.Frame(name="logo", width="4cm", height="2cm", anchortype="paragraph")
    frame.addElement(draw.Image(href=picture))
    frame_para.addElement(frame)
    doc.text.addElement(frame_para)
    doc.text.addElement(text.P(text="{{ commune.name }}"))
    ref = text.P(text="Votre courrier n° {{ record.")
    ref.addElement(text.Span(stylename=bold, text="reference }}"))
    doc.text.addElement(ref)
    doc.text.addElement(text.P(text="Objet : {{ reply.subject }}"))
    if extra:
        doc.text.addElement(text.P(text=extra))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
