"""Realistic French commune mail, generated on demand for the demo, the tests and the benchmarks.

Why generate instead of committing fixtures: the repository stays free of binaries, every format is produced
from the same letter (so a test can check that the words written are the words extracted), and the benchmarks
can make as many distinct documents as they need. Everything is deterministic for a seed: the same seed gives
the same letter, and the writers give the same bytes where the format allows it (reportlab ``invariant``).

The writers are plain functions ``write_<format>(letter, path) -> Path``; :data:`WRITERS` maps a file
extension to its writer for callers that loop over formats.
"""

from __future__ import annotations

import html
import random
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from textwrap import wrap

__all__ = [
    "SampleLetter",
    "WRITERS",
    "letter_text",
    "write_docx",
    "write_eml",
    "write_html",
    "write_jpeg",
    "write_odt",
    "write_pdf",
    "write_png",
    "write_rtf",
    "write_sample",
    "write_scanned_pdf",
    "write_tiff",
    "write_txt",
]

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

COMMUNES = (
    ("Namur", "5000"), ("Liège", "4000"), ("Charleroi", "6000"), ("Mons", "7000"), ("Wavre", "1300"),
    ("Ottignies-Louvain-la-Neuve", "1340"), ("Arlon", "6700"), ("Bastogne", "6600"), ("Dinant", "5500"),
    ("Huy", "4500"), ("Gembloux", "5030"), ("Tournai", "7500"), ("Nivelles", "1400"),
    ("Marche-en-Famenne", "6900"), ("Spa", "4900"), ("Ciney", "5590"), ("Andenne", "5300"),
    ("Waremme", "4300"), ("Braine-l'Alleud", "1420"), ("Malmedy", "4960"),
)  # fmt: skip

FIRST_NAMES = (
    "Marie", "Jean", "Nathalie", "Philippe", "Isabelle", "Michel", "Sophie", "Luc", "Catherine", "Olivier",
    "Véronique", "Didier", "Françoise", "Benoît", "Anne", "Thierry", "Chantal", "Jérôme", "Hélène", "Rémi",
    "Céline", "François", "Aurélie", "Grégory", "Noémie", "Stéphane", "Mélanie", "Frédéric",
)  # fmt: skip

LAST_NAMES = (
    "Dubois", "Lambert", "Dupont", "Martin", "Lejeune", "Renard", "Leclercq", "Simon", "Laurent", "Gérard",
    "Collard", "Wauters", "Mathieu", "Delvaux", "Piette", "Henrard", "Gillet", "Lemaire", "Thiry", "Jacquet",
    "Noël", "Lefèvre", "Hubert", "Rousseau", "Defrêne", "Bodart", "Mélotte", "Warnier",
)  # fmt: skip

STREETS = (
    "rue de la Station", "rue du Moulin", "avenue des Tilleuls", "chaussée de Bruxelles", "place Communale",
    "rue de l'Église", "rue des Écoles", "rue du Château", "chemin des Prés", "rue Haute", "allée des Érables",
    "rue de la Fontaine", "boulevard du Nord", "rue Saint-Martin", "route de Marche", "rue des Fusillés",
)  # fmt: skip


@dataclass(frozen=True)
class _Topic:
    """One kind of mail a commune receives. ``keyword`` appears in the subject and in the body."""

    code: str
    keyword: str
    service: str
    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    details: tuple[str, ...]
    requests: tuple[str, ...]


TOPICS: tuple[_Topic, ...] = (
    _Topic(
        code="URB",
        keyword="urbanisme",
        service="Service de l'urbanisme",
        subjects=(
            "Demande de permis d'urbanisme pour la construction d'une véranda",
            "Permis d'urbanisme : régularisation d'un abri de jardin",
            "Recours contre un permis d'urbanisme délivré au {street}",
        ),
        openings=(
            "Je me permets de vous adresser la présente concernant mon dossier d'urbanisme relatif au bien "
            "situé {address}, cadastré section {section} numéro {parcel}.",
            "Par la présente, je sollicite un permis d'urbanisme pour des travaux de transformation de mon "
            "habitation sise {address}.",
        ),
        details=(
            "Les travaux envisagés consistent en l'extension de la façade arrière sur une profondeur de "
            "{depth} mètres, avec une toiture plate végétalisée. Les plans dressés par l'architecte "
            "{architect} sont joints en annexe, ainsi que le formulaire statistique et les photographies "
            "des lieux.",
            "Le projet respecte les prescriptions du guide communal d'urbanisme : gabarit, matériaux en "
            "briques de teinte rouge-brun, menuiseries en bois et faîtage parallèle à la voirie. "
            "Aucune dérogation au plan de secteur n'est sollicitée.",
        ),
        requests=(
            "Je vous saurais gré de bien vouloir m'indiquer si le dossier est complet et dans quel délai "
            "l'enquête publique pourra être organisée.",
            "Je souhaiterais obtenir un rendez-vous avec le conseiller en aménagement du territoire afin de "
            "présenter le projet avant le dépôt définitif.",
        ),
    ),
    _Topic(
        code="FIN",
        keyword="taxe",
        service="Service des finances",
        subjects=(
            "Réclamation contre la taxe sur l'enlèvement des immondices {year}",
            "Demande d'exonération de la taxe sur les secondes résidences",
            "Contestation de l'avertissement-extrait de rôle de la taxe communale",
        ),
        openings=(
            "J'ai bien reçu l'avertissement-extrait de rôle numéro {ref_number} relatif à la taxe communale "
            "pour l'exercice {year}, d'un montant de {amount} euros.",
            "Je conteste par la présente la taxe qui m'a été réclamée pour l'immeuble situé {address}.",
        ),
        details=(
            "Or, j'ai quitté ce logement le {moved} et je suis domicilié depuis lors dans une autre commune, "
            "comme en atteste le certificat de résidence ci-joint. La taxe ne me semble donc pas due pour "
            "l'exercice entier.",
            "Le ménage ne compte plus qu'une seule personne depuis le décès de mon époux, de sorte que le "
            "montant forfaitaire appliqué ne correspond pas à la composition de ménage réelle.",
        ),
        requests=(
            "Je vous prie de bien vouloir procéder au dégrèvement de cette taxe et, le cas échéant, au "
            "remboursement des sommes déjà versées sur le compte {iban}.",
            "Je sollicite un plan d'apurement en {instalments} mensualités, ma situation financière ne me "
            "permettant pas de régler ce montant en une fois.",
        ),
    ),
    _Topic(
        code="EC",
        keyword="état civil",
        service="Service de l'état civil",
        subjects=(
            "Demande d'extrait d'acte de naissance – service de l'état civil",
            "Déclaration de cohabitation légale auprès de l'état civil",
            "Réservation d'une date de mariage à l'état civil",
        ),
        openings=(
            "Je m'adresse au service de l'état civil afin d'obtenir une copie conforme de l'acte de naissance "
            "de mon fils, né le {birth} à {commune}.",
            "Mon compagnon et moi-même souhaitons faire une déclaration de cohabitation légale auprès de "
            "l'officier de l'état civil.",
        ),
        details=(
            "Ce document est requis par l'ambassade dans le cadre d'une demande de visa et doit être revêtu "
            "de l'apostille. Vous trouverez en annexe une copie recto verso de ma carte d'identité.",
            "Nous sommes tous deux domiciliés {address} depuis le {moved} et disposons des documents "
            "demandés : cartes d'identité, actes de naissance récents et composition de ménage.",
        ),
        requests=(
            "Pourriez-vous m'indiquer les frais administratifs éventuels ainsi que le délai de délivrance ?",
            "Nous vous remercions de nous communiquer les plages de rendez-vous disponibles au mois de {month}.",
        ),
    ),
    _Topic(
        code="VOI",
        keyword="voirie",
        service="Service des travaux et de la voirie",
        subjects=(
            "Signalement d'un nid-de-poule dangereux sur la voirie {street}",
            "Demande de réfection de la voirie et de l'éclairage public",
            "Dégâts causés par les travaux de voirie {street}",
        ),
        openings=(
            "Je souhaite attirer votre attention sur l'état de la voirie à hauteur du numéro {number} de la "
            "{street}, où un affaissement important s'est formé depuis l'hiver.",
            "Les riverains de la {street} constatent depuis plusieurs semaines une dégradation rapide du "
            "revêtement de la voirie ainsi que des pannes répétées de l'éclairage public.",
        ),
        details=(
            "Plusieurs cyclistes ont déjà chuté et un véhicule a été endommagé le {incident}. Le trottoir est "
            "en outre encombré par des dalles descellées, ce qui oblige les piétons et les poussettes à "
            "circuler sur la chaussée.",
            "Lors des récents travaux d'égouttage, la bordure devant mon garage a été brisée et l'accès à ma "
            "propriété est rendu difficile. Des photographies datées sont jointes à ce courrier.",
        ),
        requests=(
            "Je vous demande de faire intervenir le service des travaux dans les meilleurs délais afin de "
            "sécuriser les lieux.",
            "Je vous remercie de me tenir informé des mesures prises et du calendrier des réparations.",
        ),
    ),
    _Topic(
        code="SUB",
        keyword="subside",
        service="Service des sports, de la culture et de la jeunesse",
        subjects=(
            "Demande de subside pour l'organisation de la fête de quartier",
            "Demande de subside communal pour le club de football des jeunes",
            "Justificatifs du subside octroyé à l'association {association}",
        ),
        openings=(
            "Au nom de l'association « {association} », j'ai l'honneur de solliciter un subside communal "
            "pour notre activité prévue le {event}.",
            "Conformément au règlement communal relatif à l'octroi des subventions, nous vous transmettons "
            "notre demande de subside pour la saison {year}.",
        ),
        details=(
            "Le budget prévisionnel s'élève à {amount} euros ; il comprend la location du chapiteau, la "
            "sonorisation, l'assurance en responsabilité civile et les animations pour les enfants. Les "
            "comptes de l'exercice précédent, approuvés par l'assemblée générale, sont joints.",
            "Notre club accueille plus de {members} jeunes affiliés, encadrés par des bénévoles diplômés. "
            "Le subside servirait à l'achat de matériel et au remplacement des filets de but.",
        ),
        requests=(
            "Nous restons à votre disposition pour tout renseignement complémentaire et vous remercions de "
            "l'attention portée à notre demande.",
            "Nous vous saurions gré de bien vouloir inscrire ce point à l'ordre du jour du prochain Collège communal.",
        ),
    ),
    _Topic(
        code="ENV",
        keyword="voisinage",
        service="Service de l'environnement",
        subjects=(
            "Plainte pour troubles de voisinage – nuisances sonores",
            "Troubles de voisinage : haie non entretenue et dépôt de déchets",
            "Plainte de voisinage relative à des odeurs persistantes",
        ),
        openings=(
            "Je me vois contraint de vous adresser une plainte pour troubles de voisinage causés par "
            "l'occupant de l'immeuble voisin situé au numéro {neighbour} de la {street}.",
            "Malgré plusieurs tentatives de conciliation, la situation de voisinage se dégrade et je "
            "sollicite l'intervention de l'administration communale.",
        ),
        details=(
            "Depuis le {incident}, des aboiements et de la musique amplifiée se prolongent régulièrement "
            "au-delà de vingt-deux heures, en violation du règlement général de police. La haie mitoyenne "
            "dépasse par ailleurs largement sur le trottoir.",
            "Des sacs de déchets ménagers et des encombrants sont entreposés dans le jardin, attirant des "
            "rats. L'agent constatateur a déjà été informé par téléphone, sans suite à ce jour.",
        ),
        requests=(
            "Je vous demande de bien vouloir faire procéder à un constat et, si nécessaire, à une médiation "
            "entre les parties.",
            "Je vous remercie de me faire savoir quelles suites le Collège entend réserver à cette plainte.",
        ),
    ),
    _Topic(
        code="POP",
        keyword="domiciliation",
        service="Service de la population",
        subjects=(
            "Changement d'adresse et demande de domiciliation",
            "Domiciliation provisoire à la suite d'un déménagement",
            "Demande de radiation et de domiciliation à l'étranger",
        ),
        openings=(
            "Je vous informe de mon déménagement au {address} et vous prie d'enregistrer ma domiciliation à "
            "cette nouvelle adresse à compter du {moved}.",
            "Suite à la vente de notre maison, nous occupons temporairement un logement et sollicitons une "
            "domiciliation provisoire.",
        ),
        details=(
            "Le ménage se compose de {household} personnes. Je joins une copie du bail enregistré ainsi que "
            "les cartes d'identité des membres majeurs du ménage.",
            "L'agent de quartier peut passer en semaine après dix-sept heures pour l'enquête de résidence ; "
            "je reste joignable au numéro {phone}.",
        ),
        requests=(
            "Je vous remercie de me confirmer l'enregistrement de la demande et de m'indiquer la date de la "
            "visite de l'agent de quartier.",
            "Je vous prie de me faire parvenir le certificat de résidence dès que la procédure sera terminée.",
        ),
    ),
)

CLOSINGS = (
    "Dans l'attente de votre réponse, je vous prie d'agréer, Madame, Monsieur, l'expression de mes "
    "salutations distinguées.",
    "Je vous remercie d'avance pour la suite que vous voudrez bien réserver à la présente et vous prie de "
    "croire, Mesdames et Messieurs les membres du Collège, en l'assurance de ma considération distinguée.",
    "Veuillez agréer, Madame la Bourgmestre, l'expression de mes sentiments respectueux.",
)

ASSOCIATIONS = (
    "Les Amis du Quartier", "Comité des fêtes de Saint-Servais", "Jeunesse sportive de Bouge",
    "Cercle d'histoire locale", "Les Tréteaux de la Meuse", "Patro Sainte-Thérèse",
)  # fmt: skip

ANNEX_PARAGRAPH = (
    "Annexe {index} : pièces justificatives. Le présent feuillet récapitule les documents joints au "
    "courrier {reference} : copie de la carte d'identité, photographies des lieux, attestation de "
    "composition de ménage et, le cas échéant, plans et extraits cadastraux. Ces pièces sont communiquées "
    "à l'administration communale de {commune} aux seules fins du traitement du dossier."
)


def french_date(day: date) -> str:
    """``12 mars 2025``: the way the date is written in the body of a letter."""
    return f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class SampleLetter:
    """One incoming letter from a citizen to the commune, as every writer lays it out."""

    seed: int
    topic: str
    keyword: str
    service: str
    sender: str
    sender_email: str
    sender_address: tuple[str, ...]
    commune: str
    postcode: str
    recipient: tuple[str, ...]
    date: date
    reference: str
    subject: str
    paragraphs: tuple[str, ...]
    closing: str

    @property
    def place_and_date(self) -> str:
        return f"{self.sender_address[-1].split(' ', 1)[1]}, le {french_date(self.date)}"

    @property
    def surname(self) -> str:
        return self.sender.split(" ", 1)[1]

    @property
    def distinctive_words(self) -> tuple[str, ...]:
        """Words that every rendering of this letter contains, for tests that check extraction."""
        return (self.keyword, self.surname, self.reference, self.commune)

    def header_lines(self) -> list[str]:
        return [
            self.sender,
            *self.sender_address,
            self.sender_email,
            "",
            *self.recipient,
            "",
            self.place_and_date,
            "",
            f"Réf. : {self.reference}",
            f"Objet : {self.subject}",
            "",
            "Madame, Monsieur,",
        ]

    def body_blocks(self) -> list[str]:
        return [*self.paragraphs, self.closing]

    @property
    def text(self) -> str:
        """The whole letter as plain text, paragraphs separated by a blank line."""
        return "\n".join(self.header_lines()) + "\n\n" + "\n\n".join(self.body_blocks()) + f"\n\n{self.sender}\n"

    def annex(self, index: int) -> str:
        return ANNEX_PARAGRAPH.format(index=index, reference=self.reference, commune=self.commune)


def letter_text(seed: int) -> SampleLetter:
    """The letter for ``seed``: same seed, same letter, on every machine and Python version."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    topic = TOPICS[seed % len(TOPICS)]  # every topic in turn, so a small batch covers them all
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    sender_commune, sender_postcode = rng.choice(COMMUNES)
    commune, postcode = rng.choice(COMMUNES)
    street = rng.choice(STREETS)
    number = rng.randint(1, 180)
    day = date(2024, 1, 2) + timedelta(days=rng.randrange(700))
    year = day.year
    reference = f"{topic.code}/{year}/{rng.randint(1, 9999):04d}"
    slots = {
        "street": street,
        "number": number,
        "address": f"{street} {number}, {sender_postcode} {sender_commune}",
        "section": rng.choice("ABCDEFG"),
        "parcel": f"{rng.randint(1, 999)}{rng.choice('abcdefgh')}",
        "depth": rng.choice(("3,50", "4", "4,20", "5", "6,80")),
        "architect": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        "ref_number": f"{rng.randint(100000, 999999)}",
        "year": year,
        "amount": f"{rng.randint(60, 4800)},{rng.choice(('00', '50', '25'))}",
        "moved": french_date(day - timedelta(days=rng.randint(20, 300))),
        "iban": f"BE{rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} "
        f"{rng.randint(1000, 9999)}",
        "instalments": rng.choice(("trois", "quatre", "six", "dix")),
        "birth": french_date(day - timedelta(days=rng.randint(400, 9000))),
        "commune": commune,
        "month": MONTHS_FR[(day.month + 1) % 12],
        "incident": french_date(day - timedelta(days=rng.randint(3, 60))),
        "association": rng.choice(ASSOCIATIONS),
        "event": french_date(day + timedelta(days=rng.randint(30, 120))),
        "members": rng.randint(40, 260),
        "neighbour": number + rng.choice((1, 2, -1, -2)) if number > 2 else number + 2,
        "household": rng.randint(2, 6),
        "phone": f"04{rng.randint(70, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
    }
    subject = rng.choice(topic.subjects).format(**slots)
    paragraphs = (
        rng.choice(topic.openings).format(**slots),
        *(p.format(**slots) for p in rng.sample(topic.details, k=len(topic.details))),
        rng.choice(topic.requests).format(**slots),
    )
    email_user = f"{first}.{last}".lower()
    email_user = email_user.translate(str.maketrans("éèêëàâîïôöûüç", "eeeeaaiioouuc")).replace("'", "")
    return SampleLetter(
        seed=seed,
        topic=topic.code,
        keyword=topic.keyword,
        service=topic.service,
        sender=f"{first} {last}",
        sender_email=f"{email_user}@example.be",
        sender_address=(f"{street} {number}", f"{sender_postcode} {sender_commune}"),
        commune=commune,
        postcode=postcode,
        recipient=(
            f"Administration communale de {commune}",
            topic.service,
            "Place de l'Hôtel de Ville 1",
            f"{postcode} {commune}",
        ),
        date=day,
        reference=reference,
        subject=subject,
        paragraphs=paragraphs,
        closing=rng.choice(CLOSINGS),
    )


# --- born-digital PDF -------------------------------------------------------------------------------------


def write_pdf(letter: SampleLetter, path: Path, pages: int = 1) -> Path:
    """A born-digital PDF (text layer, standard Helvetica) of exactly ``pages`` pages.

    The canvas API is used rather than platypus because it is several times faster, which matters when a
    benchmark writes ten thousand of these. Pages after the body carry an annex so that the page count is
    the one asked for, whatever the length of the letter.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    if pages < 1:
        raise ValueError("pages must be >= 1")
    width, height = A4
    margin, size, leading = 22 * mm, 10.5, 14
    canvas = Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(letter.subject)
    canvas.setAuthor(letter.sender)
    canvas.setSubject(f"Courrier {letter.reference}")

    blocks = letter.body_blocks()
    # Spread the body over the pages in order; pages beyond the body get an annex.
    per_page = [blocks[i * len(blocks) // pages : (i + 1) * len(blocks) // pages] for i in range(pages)]
    for index in range(pages):
        if not per_page[index]:
            per_page[index] = [letter.annex(index)]

    for index, page_blocks in enumerate(per_page, start=1):
        y = height - margin
        canvas.setFont("Helvetica", size)
        if index == 1:
            for line in letter.header_lines():
                canvas.drawString(margin, y, line)
                y -= leading
        else:
            canvas.setFont("Helvetica-Oblique", 9)
            canvas.drawString(margin, y, f"{letter.reference} – suite")
            canvas.setFont("Helvetica", size)
            y -= 2 * leading
        for block in page_blocks:
            for line in simpleSplit(block, "Helvetica", size, width - 2 * margin):
                if y < margin + leading:  # never lose text: overflow onto an extra page
                    canvas.showPage()
                    canvas.setFont("Helvetica", size)
                    y = height - margin
                canvas.drawString(margin, y, line)
                y -= leading
            y -= leading / 2
        if index == pages:
            canvas.drawString(margin, y - leading, letter.sender)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(width - margin, margin / 2, f"Page {index}/{pages}")
        canvas.showPage()
    canvas.save()
    return path


# --- scanned (image-only) renderings ----------------------------------------------------------------------

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
)


@cache
def _font_path() -> str | None:
    """A TrueType font with French accents: DejaVu (Debian ``fonts-dejavu-core``) or what fontconfig finds."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run(
            [fc_match, "-f", "%{file}", "sans:lang=fr"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found.endswith((".ttf", ".otf")) and Path(found).is_file():
            return found
    return None


@cache
def _font(pixels: int):  # -> ImageFont.FreeTypeFont
    from PIL import ImageFont

    path = _font_path()
    if path is None:
        # Pillow >= 10.1 ships a scalable default font; it lacks nothing French needs but looks plainer.
        return ImageFont.load_default(size=pixels)
    return ImageFont.truetype(path, pixels)


def render_page(letter: SampleLetter, dpi: int = 200):  # -> PIL.Image.Image
    """The first page of the letter as a greyscale A4 image, as a scanner at ``dpi`` would give it.

    Body text is set at 11 pt, large enough for Tesseract to read at 200 dpi and above.
    """
    from PIL import Image, ImageDraw

    width, height = round(8.27 * dpi), round(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = _font(round(11 * dpi / 72))
    margin = round(0.8 * dpi)
    leading = round(16 * dpi / 72)
    # average glyph width of a sans font is about half its size: wrap by characters, cheap and close enough
    columns = int((width - 2 * margin) / (11 * dpi / 72 * 0.52))
    y = margin
    lines = [*letter.header_lines(), ""]
    for block in [*letter.body_blocks(), letter.sender]:
        lines.extend(wrap(block, columns) or [""])
        lines.append("")
    for line in lines:
        if y > height - margin:
            break
        draw.text((margin, y), line, fill=0, font=font)
        y += leading
    return image


def write_scanned_pdf(letter: SampleLetter, path: Path, dpi: int = 200) -> Path:
    """An image-only PDF, like a scanner without OCR produces: no text layer at all, so only OCR reads it."""
    render_page(letter, dpi).save(path, format="PDF", resolution=float(dpi), title=letter.subject)
    return path


def write_png(letter: SampleLetter, path: Path, dpi: int = 200) -> Path:
    render_page(letter, dpi).save(path, format="PNG", dpi=(dpi, dpi), optimize=False)
    return path


def write_jpeg(letter: SampleLetter, path: Path, dpi: int = 200) -> Path:
    render_page(letter, dpi).save(path, format="JPEG", dpi=(dpi, dpi), quality=85)
    return path


def write_tiff(letter: SampleLetter, path: Path, dpi: int = 200) -> Path:
    """A bilevel CCITT G4 TIFF, the format many mailroom scanners still produce."""
    image = render_page(letter, dpi).point(lambda v: 255 if v > 160 else 0).convert("1")
    image.save(path, format="TIFF", dpi=(dpi, dpi), compression="group4")
    return path


# --- office and text formats ------------------------------------------------------------------------------


def write_docx(letter: SampleLetter, path: Path) -> Path:
    from docx import Document

    document = Document()
    document.core_properties.title = letter.subject
    document.core_properties.author = letter.sender
    document.core_properties.language = "fr-BE"
    for line in letter.header_lines():
        document.add_paragraph(line)
    for block in letter.body_blocks():
        document.add_paragraph(block)
    document.add_paragraph(letter.sender)
    document.save(str(path))
    return path


def write_odt(letter: SampleLetter, path: Path) -> Path:
    from odf import dc, meta
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text=letter.subject))
    document.meta.addElement(dc.Creator(text=letter.sender))
    document.meta.addElement(dc.Language(text="fr-BE"))
    document.meta.addElement(meta.Generator(text="dms samples"))
    for line in [*letter.header_lines(), *letter.body_blocks(), letter.sender]:
        document.text.addElement(P(text=line))
    document.save(str(path))
    return path


def write_txt(letter: SampleLetter, path: Path) -> Path:
    path.write_text(letter.text, encoding="utf-8")
    return path


def write_html(letter: SampleLetter, path: Path) -> Path:
    """A letter as a web form or a mail client would save it: UTF-8, ``lang="fr"``, a title."""
    esc = html.escape
    header = "<br>\n".join(esc(line) for line in letter.header_lines())
    body = "\n".join(f"<p>{esc(block)}</p>" for block in letter.body_blocks())
    path.write_text(
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(letter.subject)}</title>\n</head>\n<body>\n"
        f"<p>{header}</p>\n{body}\n<p>{esc(letter.sender)}</p>\n</body>\n</html>\n",
        encoding="utf-8",
    )
    return path


def _rtf_escape(text: str) -> str:
    """RTF is 7-bit: escape the control characters and write every non-ASCII character as ``\\uN?``."""
    out = []
    for char in text:
        code = ord(char)
        if char in "\\{}":
            out.append("\\" + char)
        elif code < 128:
            out.append(char)
        else:
            if code > 0xFFFF:  # outside the BMP: RTF wants the UTF-16 surrogate pair
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10) - 65536}?\\u{0xDC00 + (code & 0x3FF) - 65536}?")
                continue
            out.append(f"\\u{code if code < 32768 else code - 65536}?")
    return "".join(out)


def write_rtf(letter: SampleLetter, path: Path) -> Path:
    paragraphs = [*letter.header_lines(), *letter.body_blocks(), letter.sender]
    body = "\n".join(f"{_rtf_escape(p)}\\par" for p in paragraphs)
    path.write_text(
        "{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1\n"
        "{\\fonttbl{\\f0\\fswiss Helvetica;}}\n"
        f"{{\\info{{\\title {_rtf_escape(letter.subject)}}}{{\\author {_rtf_escape(letter.sender)}}}}}\n"
        f"\\f0\\fs22\\lang2060\n{body}\n}}\n",
        encoding="ascii",
    )
    return path


def write_eml(
    letter: SampleLetter,
    path: Path,
    attachment: Path | None = None,
    attachment_type: str = "application/pdf",
) -> Path:
    """The letter as an e-mail to the commune's registry address, optionally with one attached file."""
    message = EmailMessage()
    message["From"] = f"{letter.sender} <{letter.sender_email}>"
    domain = letter.commune.lower().translate(str.maketrans("éèàç' ", "eeac--"))
    message["To"] = f"Courrier <courrier@{domain}.example.be>"
    message["Subject"] = letter.subject
    sent = datetime.combine(letter.date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = f"<{letter.reference.replace('/', '.')}.{letter.seed}@example.be>"
    message["Content-Language"] = "fr-BE"
    message.set_content(letter.text)
    if attachment is not None:
        maintype, _, subtype = attachment_type.partition("/")
        message.add_attachment(attachment.read_bytes(), maintype=maintype, subtype=subtype, filename=attachment.name)
    path.write_bytes(bytes(message))
    return path


Writer = Callable[[SampleLetter, Path], Path]

WRITERS: dict[str, Writer] = {
    "pdf": write_pdf,
    "scanned.pdf": write_scanned_pdf,
    "png": write_png,
    "jpg": write_jpeg,
    "tif": write_tiff,
    "docx": write_docx,
    "odt": write_odt,
    "eml": write_eml,
    "rtf": write_rtf,
    "html": write_html,
    "txt": write_txt,
}


def write_sample(seed: int, directory: Path, fmt: str = "pdf") -> Path:
    """Write the letter for ``seed`` in format ``fmt`` (a key of :data:`WRITERS`) into ``directory``."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown sample format {fmt!r}; known: {', '.join(WRITERS)}") from None
    letter = letter_text(seed)
    return writer(letter, directory / f"courrier-{seed:06d}.{fmt}")
