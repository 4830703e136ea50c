"""SKOS files and helpers shared by the tests/test_thesaurus_*.py modules (not a test module itself)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path

from dms import accounts, vocabulary
from dms.db import unit_of_work
from dms.models import ThesaurusScheme
from tests.conftest import TenantUser

UNESCO = Path(__file__).resolve().parents[2] / "shared/data/thesaurus/unesco-thesaurus.ttl"
REGION = "https://thesaurus.region.example/region/"
PLAN = "https://thesaurus.region.example/classement/"
PREFIXES = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""

REGION_TTL = PREFIXES + f"""@base <{REGION}> .
<> a skos:ConceptScheme ; dct:title "Thésaurus régional"@fr , "Regionale thesaurus"@nl ;
   skos:hasTopConcept <education> , <voirie> , <environnement> .
<education> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ;
   skos:prefLabel "Éducation"@fr , "Onderwijs"@nl , "Bildung"@de , "Education"@en ;
   skos:altLabel "Enseignement"@fr .
<accueil-extrascolaire> a skos:Concept ; skos:inScheme <> ; skos:broader <education> ;
   skos:prefLabel "Accueil extrascolaire"@fr , "Buitenschoolse opvang"@nl ; skos:altLabel "Garderie"@fr .
<ecole> a skos:Concept ; skos:inScheme <> ; skos:broader <education> ;
   skos:prefLabel "École"@fr , "School"@nl , "Schule"@de , "School"@en .
<ecole-primaire> a skos:Concept ; skos:inScheme <> ; skos:broader <ecole> ; skos:prefLabel "École primaire"@fr .
<voirie> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ;
   skos:prefLabel "Voirie"@fr , "Wegenis"@nl ; skos:altLabel "Routes communales"@fr .
<eclairage-public> a skos:Concept ; skos:inScheme <> ; skos:broader <voirie> ;
   skos:prefLabel "Éclairage public"@fr , "Openbare verlichting"@nl .
<environnement> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ;
   skos:prefLabel "Environnement"@fr , "Leefmilieu"@nl .
<dechets> a skos:Concept ; skos:inScheme <> ; skos:broader <environnement> ;
   skos:prefLabel "Déchets"@fr , "Afval"@nl ; skos:altLabel "Ordures"@fr , "Immondices"@fr .
"""

# The classification plan the sample letters (ingest.samples, 7 topics) are filed in.
PLAN_CLASSES = {
    "URB": ("2.73", "Urbanisme", ["Permis d'urbanisme", "Aménagement du territoire"]),
    "FIN": ("4.84", "Taxes communales", ["Taxe", "Fiscalité communale"]),
    "EC": ("1.31", "État civil", ["Actes d'état civil"]),
    "VOI": ("2.75", "Voirie communale", ["Travaux de voirie", "Chaussée"]),
    "SUB": ("4.85", "Subsides", ["Subvention", "Subside communal"]),
    "ENV": ("2.76", "Troubles de voisinage", ["Voisinage", "Nuisances"]),
    "POP": ("1.32", "Population — domiciliation", ["Domiciliation", "Changement d'adresse"]),
}


def plan_ttl() -> str:
    lines = [PREFIXES, f"@base <{PLAN}> .",
             '<> a skos:ConceptScheme ; dct:title "Plan de classement"@fr ; skos:hasTopConcept <1> , <2> , <4> .',
             '<1> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "1" ;'
             ' skos:prefLabel "Administration générale"@fr .',
             '<2> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "2" ;'
             ' skos:prefLabel "Travaux publics et territoire"@fr .',
             '<4> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "4" ;'
             ' skos:prefLabel "Finances"@fr .']
    for code, label, alts in PLAN_CLASSES.values():
        alt = " , ".join(f'"{a}"@fr' for a in alts)
        lines.append(f'<{code}> a skos:Concept ; skos:inScheme <> ; skos:broader <{code.split(".")[0]}> ;'
                     f' skos:notation "{code}" ; skos:prefLabel "{label}"@fr ; skos:altLabel {alt} .')
    return "\n".join(lines) + "\n"


def plan_uri(topic: str) -> str:
    return PLAN + PLAN_CLASSES[topic][0]


def make_curator(runtime) -> TenantUser:
    email = f"curator-{uuid.uuid4().hex[:8]}@region.example"
    with unit_of_work(runtime.backends.engine) as session:
        accounts.create_user(session, email, role="curator", tenant_slug=None)
        token = accounts.create_token(session, email)
    return TenantUser(slug="", tenant_id="", email=email, token=token)


def import_text(runtime, text: str, *, tenant_id: str | None = None, filename: str = "file.ttl", **options):
    with unit_of_work(runtime.backends.engine) as session:
        return vocabulary.import_skos(session, text.encode(), filename=filename, tenant_id=tenant_id, **options)


def drop_schemes(runtime, *uris: str) -> None:
    """Remove regional schemes a test imported: the production stack's database is shared by the session."""
    with unit_of_work(runtime.backends.engine) as session:
        for row in session.exec(ThesaurusScheme.__table__.select()).all():
            if row.uri in uris or not uris:
                vocabulary.delete_scheme(session, row.id, actor_id=None)


@contextmanager
def regional(runtime, *texts: str):
    """Regional schemes imported for the length of a block, then removed."""
    summaries = [import_text(runtime, text) for text in texts]
    try:
        yield summaries
    finally:
        drop_schemes(runtime, *(s.scheme_uri for s in summaries))
