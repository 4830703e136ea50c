"""Barcodes on scanned pages: separator sheets between documents, and scan-id sheets that link a re-scan to its
record. Reading with zbar (Debian ``libzbar0``, through ``pyzbar``) on pages rendered by pdfium; printing the
sheets with reportlab's own barcode widgets (Code 128 and QR), so nothing else is needed.

What a page may carry:

* ``DMS-SEPARATOR`` (what ``dms barcode separator`` prints), or ``PATCHT`` / ``PATCH T``: the text that
  scanners and Paperless-ngx use for a patch-T sheet printed as a barcode. The page ends one document and is
  dropped. (A real patch code is a pattern of four thick bars that zbar cannot read; its text, printed as a
  barcode, is what mailroom sheets carry in practice.)
* ``DMS-SCAN:<record id>`` (what ``dms barcode scan-sheet RECORD`` prints): the page starts a re-scan of that
  record; it is dropped too. A registration number (``DMS-SCAN:E/2026/00042``) is accepted as well.

Every other barcode (a courier's tracking code, an invoice's payment QR) is ignored.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SEPARATOR = "DMS-SEPARATOR"
PATCH_T = ("PATCHT", "PATCH T", "PATCH-T")
SCAN_PREFIX = "DMS-SCAN:"
#: Render resolution for reading: a sheet's barcodes are large (modules of 0.5 mm and more), 100 dpi gives
#: them several pixels per module while keeping an A4 page under a megapixel.
READ_DPI = 100
MAX_PAGES = 500  # a scan batch longer than this is not looked at for barcodes (it is registered whole)


class BarcodesUnavailable(RuntimeError):
    """zbar (libzbar0) is not installed: separator sheets cannot be read."""


@dataclass(frozen=True)
class PageMark:
    """What a page's barcodes say: a separator, a scan id (the record to re-scan), or nothing."""

    separator: bool = False
    scan_id: str | None = None


def classify(values: list[str]) -> PageMark:
    for value in values:
        text = value.strip()
        if text.upper().startswith(SCAN_PREFIX):
            scan_id = text[len(SCAN_PREFIX):].strip()
            if scan_id:
                return PageMark(scan_id=scan_id)
    for value in values:
        if value.strip().upper() in (SEPARATOR, *PATCH_T):
            return PageMark(separator=True)
    return PageMark()


def _decoder():
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # pyzbar raises ImportError when libzbar is missing
        raise BarcodesUnavailable(f"zbar is not available ({exc}); apt-get install libzbar0") from exc
    return pyzbar


def decode_image(image) -> list[str]:
    """The text of every barcode zbar finds on a PIL image (undecodable bytes replaced)."""
    pyzbar = _decoder()
    return [found.data.decode("utf-8", "replace") for found in pyzbar.decode(image)]


def read_pdf_marks(path: Path, dpi: int = READ_DPI) -> list[PageMark] | None:
    """One mark per page of the PDF at ``path``, or None when it has too many pages to look at or pdfium
    cannot open it (the pipeline then registers it as it is, or refuses it for its own reasons)."""
    import pypdfium2 as pdfium

    _decoder()
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        log.info("%s: not read for barcodes: %s", path.name, exc)
        return None
    try:
        if len(document) > MAX_PAGES:
            return None
        marks = []
        for index in range(len(document)):
            page = document[index]
            try:
                image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
            marks.append(classify(decode_image(image)))
        return marks
    finally:
        document.close()


# --- the printed sheets ----------------------------------------------------------------------------------


def _sheet(title: str, lines: list[str], value: str, *, code128: bool) -> bytes:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode import createBarcodeDrawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setTitle(title)
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawCentredString(width / 2, height - 40 * mm, title)
    canvas.setFont("Helvetica", 11)
    y = height - 52 * mm
    for line in lines:
        canvas.drawCentredString(width / 2, y, line)
        y -= 6 * mm
    qr = createBarcodeDrawing("QR", value=value, width=70 * mm, height=70 * mm, barBorder=4)
    renderPDF.draw(qr, canvas, (width - 70 * mm) / 2, height / 2 - 45 * mm)
    if code128:
        bars = createBarcodeDrawing("Code128", value=value, barWidth=0.6 * mm, barHeight=22 * mm, humanReadable=True,
                                    quiet=True)
        renderPDF.draw(bars, canvas, (width - bars.width) / 2, 45 * mm)
    canvas.setFont("Helvetica", 9)
    canvas.drawCentredString(width / 2, 25 * mm, value)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def separator_sheet_pdf() -> bytes:
    """One A4 page to put between documents in the scanner's feeder (print it as often as needed)."""
    return _sheet(
        "Feuille de séparation",
        ["Placez cette feuille entre deux documents dans le chargeur du scanner.",
         "Elle termine le document qui la précède et n'est pas enregistrée."],
        SEPARATOR,
        code128=True,
    )


def scan_sheet_pdf(record_id: str, reference: str, subject: str) -> bytes:
    """A cover sheet for re-scanning one record: put it on top of the new scan of that record."""
    subject = subject if len(subject) <= 90 else subject[:89] + "…"
    return _sheet(
        f"Nouveau scan : {reference}",
        [subject,
         "Placez cette feuille au-dessus du document rescanné.",
         "Le nouveau scan remplace le fichier du courrier ; l'ancien est conservé comme version précédente."],
        f"{SCAN_PREFIX}{record_id}",
        code128=False,
    )
