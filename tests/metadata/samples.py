"""Realistic French mail records for the metadata tests (accents, apostrophes, guillemets, every field)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from metadata.model import (
    AccessRule,
    Agent,
    AppraisalRule,
    Classification,
    DataObject,
    HoldRule,
    Keyword,
    Organization,
    RecordMetadata,
)

BRUSSELS = timezone(timedelta(hours=1))
COMMUNE = Organization("BE-0207.370.548", "Commune d'Éghezée")
STATE_ARCHIVES = Organization("BE-AE-NAMUR", "Archives de l'État à Namur")
UNESCO = "http://vocabularies.unesco.org/thesaurus"
PLAN = "https://plan.example.be/classement"
DURATIONS = {"TT-COM-2019/1.778.2": "P10Y"}


def realistic_record(**changes: object) -> RecordMetadata:
    """An incoming letter about a planning permit, with everything SEDA can say about it."""
    fields: dict[str, object] = dict(
        identifier="3f6c2a7e-1b2d-4c5e-8f90-123456789abc",
        registration_number="E/2024/00042",
        title="Demande de permis d'urbanisme – extension d'une habitation, rue de l'Église 12",
        description="Courrier de M. Lefèvre (bureau d'études) : plans modifiés, « avis du fonctionnaire "
        "délégué » attendu. Réponse souhaitée avant l'été.",
        language="fr",
        document_type="Lettre",
        register="incoming",
        sent=date(2024, 3, 1),
        received=date(2024, 3, 4),
        registered=datetime(2024, 3, 4, 10, 15, 7, tzinfo=BRUSSELS),
        created=date(2024, 2, 28),
        updated=datetime(2024, 3, 5, 8, 0, tzinfo=BRUSSELS),
        sender=Agent(
            first_name="Jérôme",
            last_name="Lefèvre",
            email="j.lefevre@bureau-lefevre.be",
            identifier="contact-17",
            organisation="Bureau d'études Lefèvre & Fils",
        ),
        addressees=[
            Agent(organisation="Service de l'urbanisme"),
            Agent(name="Marie-Hélène Dubois", email="mh.dubois@eghezee.be"),
        ],
        recipients=[Agent(organisation="Collège communal")],
        keywords=[
            Keyword("Permis de construire", f"{UNESCO}/concept1234", UNESCO),
            Keyword("Aménagement du territoire", f"{UNESCO}/concept5678", UNESCO),
            Keyword("Église Saint-Pierre", type="name"),
            Keyword("Éghezée", type="geogname"),
        ],
        classification=Classification("1.778.2", "Urbanisme – permis d'urbanisme", f"{PLAN}/1.778.2", PLAN),
        originating_agency=COMMUNE,
        custodial_history=["Reçu par courrier postal, numérisé au guichet de l'accueil."],
        appraisal=AppraisalRule("TT-COM-2019/1.778.2", date(2024, 3, 4), "Destroy", "P10Y"),
        access_rules=[AccessRule("ACC-00001", date(2024, 3, 4)), AccessRule("ACC-00003")],
        holds=[HoldRule("HOLD-2024-7", date(2024, 6, 1), "Recours pendant au Conseil d'État", date(2026, 1, 1))],
        need_authorization=True,
        reply_to="9d2f0e55-0000-4000-8000-000000000001",
        related=["urn:uuid:9d2f0e55-0000-4000-8000-000000000002"],
        files=[
            DataObject(
                "f-1", "Lettre signée – Lefèvre.pdf", "application/pdf", 48213, "a" * 64, pages=3, format_id="fmt/354"
            ),
            DataObject("f-2", "plan_rez.tiff", "image/tiff", 1_204_311, "b" * 64, pages=1),
            DataObject("f-3", "lettre-ocr.pdf", "application/pdf", 51_002, "c" * 64, pages=3, use="Dissemination"),
        ],
    )
    fields.update(changes)
    return RecordMetadata(**fields)  # type: ignore[arg-type]


def numbered_record(index: int, files: list[DataObject] | None = None) -> RecordMetadata:
    """The n-th record of a batch: distinct identifiers, registers, keywords."""
    register = ("incoming", "outgoing", "internal")[index % 3]
    return RecordMetadata(
        identifier=str(uuid.UUID(int=index + 1)),
        registration_number=f"{'ESI'[index % 3]}/2023/{index:05d}",
        title=f"Courrier n° {index} – réclamation relative à l'éclairage public",
        language="fr",
        document_type="Lettre" if index % 2 else "Courriel",
        register=register,  # type: ignore[arg-type]
        sent=date(2023, 1 + index % 12, 1 + index % 28),
        registered=date(2023, 1 + index % 12, 1 + index % 28),
        sender=Agent(name=f"Habitant n° {index}", email=f"habitant{index}@example.be"),
        addressees=[Agent(organisation="Service des travaux")],
        keywords=[Keyword("Éclairage public", f"{UNESCO}/concept{index % 7}", UNESCO)],
        classification=Classification("1.851.1", "Voirie – éclairage", f"{PLAN}/1.851.1", PLAN),
        originating_agency=COMMUNE,
        appraisal=AppraisalRule("TT-COM-2019/1.851.1", date(2023, 12, 31), "Destroy"),
        files=files or [],
    )
