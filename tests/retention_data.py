"""A small classification plan and helpers shared by the retention tests (not a test module itself)."""

from __future__ import annotations

import io
import uuid
from contextlib import contextmanager

from dms import records
from dms.db import unit_of_work
from dms.models import RecordRetention
from tests.thesaurus_service_data import PREFIXES, regional

PLAN = "https://retention.example/plan/"
ARCHIVES = PLAN + "1"  # DESTROY, P1Y after registration
ARCHIVES_SUB = PLAN + "1.1"  # no schedule of its own: inherits ARCHIVES'
PERMITS = PLAN + "2"  # TRANSFER, P6M after cut-off
CONTRACTS = PLAN + "3"  # DESTROY, P2Y after the event "contract_end"
KEEP = PLAN + "4"  # no schedule
SCRAP = PLAN + "5"  # DESTROY, P1Y after cut-off (set by the route matrix only)

PLAN_TTL = PREFIXES + f"""@base <{PLAN}> .
<> a skos:ConceptScheme ; skos:prefLabel "Plan de classement (conservation)"@fr ;
   skos:hasTopConcept <1> , <2> , <3> , <4> , <5> .
<1> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "R1" ;
    skos:prefLabel "Correspondance courante"@fr .
<1.1> a skos:Concept ; skos:inScheme <> ; skos:broader <1> ; skos:notation "R1.1" ;
    skos:prefLabel "Accusés de réception"@fr .
<2> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "R2" ;
    skos:prefLabel "Permis d'urbanisme"@fr .
<3> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "R3" ;
    skos:prefLabel "Marchés publics"@fr .
<4> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "R4" ;
    skos:prefLabel "Délibérations"@fr .
<5> a skos:Concept ; skos:inScheme <> ; skos:topConceptOf <> ; skos:notation "R5" ;
    skos:prefLabel "Documents sans valeur"@fr .
"""

SCHEDULES_CSV = (
    "class;notation;trigger;event;period;final_action;legal_reference\r\n"
    f"{ARCHIVES};;registered;;P1Y;DESTROY;Tableau de tri communal, 1.1\r\n"
    f";R2;closed;;P6M;TRANSFER;Tableau de tri communal, 2.3\r\n"
    f"{CONTRACTS};;event;contract_end;P2Y;DESTROY;Loi du 17 juin 2016, art. 9\r\n"
)


@contextmanager
def retention_plan(runtime):
    with regional(runtime, PLAN_TTL) as summaries:
        yield summaries


def register(runtime, tenant_id: str, subject: str, classification: str | None = None,
             content: bytes | None = None) -> str:
    content = content or f"Lettre {subject} {uuid.uuid4().hex}\n".encode()
    blob = runtime.backends.blobs.put(tenant_id, io.BytesIO(content))
    with unit_of_work(runtime.backends.engine) as session:
        done = records.register(session, tenant_id, None, records.NewRecord(
            subject=subject, classification=classification,
            files=[records.NewFile(blob=blob, mime="text/plain", original_name="lettre.txt",
                                   text=content.decode(errors="replace"),
                                   text_status=records.TextStatus.done)]))
    return done.record.id


def state(runtime, record_id: str) -> str:
    with unit_of_work(runtime.backends.engine, write=False) as session:
        row = session.get(RecordRetention, record_id)
        return row.state if row else "OPEN"
